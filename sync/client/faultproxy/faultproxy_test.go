package faultproxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	var served atomic.Int64
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return // the body was cut: the handler sees it, nothing is "served"
		}
		served.Add(1)
		w.Write(b)
	}))
	defer backend.Close()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	post := func(p *Proxy, body []byte) error {
		resp, err := client.Post(p.URL(), "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		if err == nil && !bytes.Equal(got, body) {
			t.Fatalf("the proxy changed the bytes")
		}
		return err
	}
	body := bytes.Repeat([]byte("x"), 64<<10)

	for _, tc := range []struct {
		name       string
		target     string
		faults     Faults
		wantErr    bool
		wantServed int64 // requests the backend completed
		check      func(Stats) bool
	}{
		{"faithful", backend.Listener.Addr().String(), Faults{}, false, 1, func(s Stats) bool { return s.BytesUp > int64(len(body)) }},
		{"down", "", Faults{}, true, 0, func(s Stats) bool { return s.Refused == 1 }},
		{"cut mid-request", backend.Listener.Addr().String(), Faults{CutAfter: 8 << 10}, true, 0,
			func(s Stats) bool { return s.Cuts == 1 && s.BytesUp <= 12<<10 }},
		{"response lost after the work was done", backend.Listener.Addr().String(), Faults{DropResponse: 1}, true, 1,
			func(s Stats) bool { return s.Drops == 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Start(tc.target, tc.faults, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			served.Store(0)
			err = post(p, body)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			// The backend finishes its side after the proxy closed ours.
			deadline := time.Now().Add(2 * time.Second)
			for (served.Load() != tc.wantServed || !tc.check(p.Stats())) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if got := served.Load(); got != tc.wantServed {
				t.Fatalf("backend served %d, want %d", got, tc.wantServed)
			}
			if st := p.Stats(); !tc.check(st) {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}
