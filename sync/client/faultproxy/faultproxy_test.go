package faultproxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
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
		{"faithful", backend.Listener.Addr().String(), Faults{}, false, 1,
			func(s Stats) bool { return s.BytesUp > int64(len(body)) && s.BytesDown > int64(len(body)) }},
		{"down", "", Faults{}, true, 0, func(s Stats) bool { return s.Refused == 1 }},
		{"cut mid-request", backend.Listener.Addr().String(), Faults{CutAfter: 8 << 10}, true, 0,
			func(s Stats) bool { return s.Cuts == 1 && s.BytesUp <= 12<<10 }},
		{"response lost after the work was done", backend.Listener.Addr().String(), Faults{DropResponse: 1}, true, 1,
			func(s Stats) bool { return s.Drops == 1 }},
		// The same faults on a slow line with latency: shaping delays
		// bytes, it does not save a cut request or a swallowed answer.
		{"shaped and delayed, faithful", backend.Listener.Addr().String(), shaped(Faults{}), false, 1,
			func(s Stats) bool { return s.BytesUp > int64(len(body)) && s.BytesDown > int64(len(body)) }},
		{"shaped, cut mid-request", backend.Listener.Addr().String(), shaped(Faults{CutAfter: 8 << 10}), true, 0,
			func(s Stats) bool { return s.Cuts == 1 && s.BytesUp <= 12<<10 && s.BytesDown == 0 }},
		{"shaped, response lost after the work was done", backend.Listener.Addr().String(), shaped(Faults{DropResponse: 1}), true, 1,
			func(s Stats) bool { return s.Drops == 1 && s.BytesUp > int64(len(body)) && s.BytesDown == 0 }},
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

// shaped puts f on a 4 Mbit/s line with 20 ms of round trip.
func shaped(f Faults) Faults {
	f.UpRate, f.DownRate, f.RTT = 500_000, 500_000, 20*time.Millisecond
	return f
}

// TestShapedLineTakesItsTime: 256 kB down and 256 kB up through a 2 Mbit/s
// line take about a second each, at the same time (the directions are
// independent), and two uploads share the upward rate as one line.
func TestShapedLineTakesItsTime(t *testing.T) {
	const rateBytes = 250_000 // 2 Mbit/s
	const size = 256_000
	payload := bytes.Repeat([]byte("z"), size)
	uploaded := make(chan time.Time, 2) // when the backend has read a whole upload
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Write(payload)
			return
		}
		if n, err := io.Copy(io.Discard, r.Body); err == nil && n == size/2 {
			uploaded <- time.Now()
		}
	}))
	defer backend.Close()
	p, err := Start(backend.Listener.Addr().String(), Faults{UpRate: rateBytes, DownRate: rateBytes}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	client := &http.Client{Timeout: 10 * time.Second}
	want := time.Duration(float64(size) / rateBytes * float64(time.Second))
	within := func(what string, got time.Duration) {
		t.Helper()
		if r := float64(got) / float64(want); r < 0.85 || r > 1.15 {
			t.Errorf("%s took %v, want %v ± 15%%", what, got.Round(time.Millisecond), want)
		}
	}

	// The download starts first, so that the uploads filling the upward
	// line do not hold back its request.
	start := time.Now()
	resp, err := client.Get(p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	upStart := time.Now()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, err := client.Post(p.URL(), "application/octet-stream", bytes.NewReader(payload[:size/2])); err == nil {
				resp.Body.Close()
			}
		}()
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil || len(b) != size {
		t.Fatalf("downloaded %d bytes, %v", len(b), err)
	}
	within("the download of 256 kB", time.Since(start))
	wg.Wait()
	if len(uploaded) != 2 {
		t.Fatalf("%d of 2 uploads arrived whole", len(uploaded))
	}
	<-uploaded
	within("two uploads of 128 kB sharing the line", (<-uploaded).Sub(upStart))
	// The proxy counts a write after it returned: the client may have
	// read the bytes a moment before.
	deadline := time.Now().Add(time.Second)
	for st := p.Stats(); st.BytesUp < size || st.BytesDown < size; st = p.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestNewRateReachesOpenConnections: SetFaults shapes a kept-alive
// connection opened while the line was fast.
func TestNewRateReachesOpenConnections(t *testing.T) {
	const size = 500_000
	payload := bytes.Repeat([]byte("y"), size)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(payload) }))
	defer backend.Close()
	p, err := Start(backend.Listener.Addr().String(), Faults{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	get := func() time.Duration {
		start := time.Now()
		resp, err := client.Get(p.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if b, err := io.ReadAll(resp.Body); err != nil || len(b) != size {
			t.Fatalf("read %d bytes, %v", len(b), err)
		}
		return time.Since(start)
	}
	get()
	p.SetFaults(Faults{DownRate: 1_000_000})
	want := 500 * time.Millisecond
	if took := get(); took < want*85/100 || took > want*115/100 {
		t.Fatalf("500 kB at 8 Mbit/s took %v, want %v ± 15%%", took, want)
	}
	if st := p.Stats(); st.Conns != 1 {
		t.Fatalf("%d connections, want the first one kept alive", st.Conns)
	}
}

// TestAddedLatency: a request and its answer each wait half the round
// trip; the connection to the proxy itself is not delayed.
func TestAddedLatency(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer backend.Close()
	const rtt = 200 * time.Millisecond
	p, err := Start(backend.Listener.Addr().String(), Faults{RTT: rtt}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	for range 2 { // a fresh connection, then a kept-alive one
		start := time.Now()
		resp, err := client.Get(p.URL())
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		if err != nil || string(b) != "ok" {
			t.Fatalf("answer %q, %v", b, err)
		}
		if took < rtt || took > rtt+150*time.Millisecond {
			t.Fatalf("a round trip took %v with %v of added latency", took, rtt)
		}
	}
}
