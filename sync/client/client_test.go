package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"motcua/sync/client/faultproxy"
	"motcua/sync/hub"
	"motcua/sync/wire"
)

func TestHealthTellsTheHubFromImpostors(t *testing.T) {
	h := newHub(t)
	portal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>Đăng nhập Wi-Fi miễn phí</html>"))
	}))
	defer portal.Close()
	// A cache or a replaying middlebox: the right marker, a stale challenge.
	cached := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(wire.HealthResponse{Marker: wire.HealthMarker, Challenge: "old", Protocol: "1.0", MinProtocol: "1", Database: "ok"})
	}))
	defer cached.Close()
	future := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(wire.HealthResponse{Marker: wire.HealthMarker, Challenge: r.URL.Query().Get("challenge"),
			Protocol: "3.0", MinProtocol: "2.0", HubTime: time.Now(), Database: "ok"})
	}))
	defer future.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + l.Addr().String()
	l.Close()

	for _, tc := range []struct {
		name string
		base string
		ok   bool
		want error
		code string
	}{
		{name: "real hub", base: h.http.URL, ok: true},
		{name: "captive portal answering 200", base: portal.URL, want: ErrNotHub},
		{name: "stale challenge", base: cached.URL, want: ErrNotHub},
		{name: "nobody listening", base: closed, want: ErrUnreachable},
		{name: "hub needs a newer app", base: future.URL, code: wire.CodeClientTooOld},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.base, func(c *Config) { c.HealthTimeout = 3 * time.Second })
			hr, err := c.Health(context.Background())
			switch {
			case tc.ok:
				if err != nil || hr.Marker != wire.HealthMarker {
					t.Fatalf("health: %+v %v", hr, err)
				}
			case tc.want != nil:
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
			default:
				var we *wire.Error
				if !errors.As(err, &we) || we.Code != tc.code {
					t.Fatalf("got %v, want code %s", err, tc.code)
				}
			}
		})
	}
}

func TestEnrolIsIdempotentAndRefusesWrongCodes(t *testing.T) {
	h := newHub(t)
	c := newClient(t, h.http.URL)
	ctx := context.Background()
	code := h.code(t)
	_, key, _ := ed25519.GenerateKey(nil)
	first, err := c.Enrol(ctx, code, "Máy một cửa 1", "test", key)
	if err != nil || first.CommuneCode != commune {
		t.Fatalf("enrol: %+v %v", first, err)
	}
	// The answer was lost; the same key asks again and gets the same device.
	again, err := c.Enrol(ctx, code, "Máy một cửa 1", "test", key)
	if err != nil || again.DeviceID != first.DeviceID {
		t.Fatalf("repeat: %+v %v", again, err)
	}
	_, other, _ := ed25519.GenerateKey(nil)
	for _, tc := range []struct {
		name, code string
		key        ed25519.PrivateKey
		want       string
	}{
		{"code used by another key", code, other, wire.CodeEnrolCodeUsed},
		{"made-up code", "ABCD-EFGH-JKMN", other, wire.CodeEnrolCodeBad},
	} {
		_, err := c.Enrol(ctx, tc.code, "Máy khác", "test", tc.key)
		var we *wire.Error
		if !errors.As(err, &we) || we.Code != tc.want || we.Message == "" {
			t.Errorf("%s: got %v, want %s with the hub's message", tc.name, err, tc.want)
		}
	}
	if n := h.count(t, "SELECT count(*) FROM devices"); n != 1 {
		t.Fatalf("%d devices, want 1", n)
	}
}

func TestPushAndPullAreIdempotent(t *testing.T) {
	h := newHub(t)
	c := enrolled(t, h, h.http.URL)
	ctx := context.Background()
	d := sampleDossier()
	for i, want := range []string{wire.OutcomeCreated, wire.OutcomeDuplicate} {
		resp, err := c.Push(ctx, wire.PushRequest{Dossiers: []wire.Dossier{d}})
		if err != nil || resp.Dossiers[0].Outcome != want || !resp.Dossiers[0].Accepted() {
			t.Fatalf("push %d: %+v %v", i, resp, err)
		}
	}
	ch, err := h.srv.RecordChange(ctx, hub.ChangeInput{DossierID: d.ID, Kind: wire.ChangeStatus, Action: "start_processing",
		To: "processing", NationalStatus: wire.StatusProcessing, Actor: "staff-1"})
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.Pull(ctx, "", 10)
	if err != nil || len(page.Changes) != 1 || page.Changes[0].ID != ch.ID || page.Changes[0].From != "received" {
		t.Fatalf("pull: %+v %v", page, err)
	}
	next, err := c.Pull(ctx, page.Cursor, 10)
	if err != nil || len(next.Changes) != 0 || next.More {
		t.Fatalf("pull after cursor: %+v %v", next, err)
	}
}

func TestWrongDeviceClockIsCorrectedFromTheHub(t *testing.T) {
	h := newHub(t)
	// The desk PC is two hours behind; it never did a health check.
	c := enrolled(t, h, h.http.URL, func(c *Config) { c.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) } })
	resp, err := c.Push(context.Background(), wire.PushRequest{Dossiers: []wire.Dossier{sampleDossier()}})
	if err != nil || resp.Dossiers[0].Outcome != wire.OutcomeCreated {
		t.Fatalf("push with a wrong clock: %+v %v", resp, err)
	}
	if off := c.ClockOffset(); off < 2*time.Hour-time.Minute || off > 2*time.Hour+time.Minute {
		t.Fatalf("clock offset %v, want about 2h", off)
	}
}

// countingTransport counts request attempts and the body bytes they carry.
type countingTransport struct {
	base       http.RoundTripper
	patches    atomic.Int64
	patchBytes atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPatch {
		c.patches.Add(1)
		c.patchBytes.Add(r.ContentLength)
	}
	return c.base.RoundTrip(r)
}

func TestUploadResumesAfterCutConnectionsAndResendsOnlyTheCutChunk(t *testing.T) {
	h := newHub(t)
	proxy, err := faultproxy.Start(h.http.Listener.Addr().String(), faultproxy.Faults{CutAfter: 400 << 10}, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	ct := &countingTransport{base: http.DefaultTransport.(*http.Transport).Clone()}
	const chunk = 128 << 10
	c := enrolled(t, h, proxy.URL(), func(c *Config) {
		c.ChunkSize = chunk
		c.HTTPClient = &http.Client{Transport: ct, Timeout: 30 * time.Second}
	})
	ctx := context.Background()
	data := randomBytes(2<<20 + 12345)
	blob := wire.BlobSize{SHA256: wire.SumHex(data), Size: int64(len(data))}

	missing, err := c.Missing(ctx, []wire.BlobSize{blob})
	if err != nil || len(missing) != 1 || missing[0].Offset != 0 {
		t.Fatalf("missing: %+v %v", missing, err)
	}
	var last int64
	if err := c.Upload(ctx, missing[0], bytes.NewReader(data), func(done int64) { last = done }); err != nil {
		t.Fatalf("upload: %v (proxy %+v)", err, proxy.Stats())
	}
	if last != blob.Size {
		t.Fatalf("progress ended at %d of %d", last, blob.Size)
	}
	st := proxy.Stats()
	if st.Cuts < 3 {
		t.Fatalf("only %d cuts: the test did not test resuming", st.Cuts)
	}
	// Each cut costs at most the chunk it cut; the (empty) calls that
	// follow a lost acknowledgement cost nothing.
	if resent := ct.patchBytes.Load() - blob.Size; resent > st.Cuts*chunk {
		t.Fatalf("re-sent %d bytes for %d cuts of %d-byte chunks", resent, st.Cuts, chunk)
	}
	if missing, err := c.Missing(ctx, []wire.BlobSize{blob}); err != nil || len(missing) != 0 {
		t.Fatalf("after upload, missing: %+v %v", missing, err)
	}
	f, err := h.blobs.Open(ctx, blob.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := readAll(t, f); !bytes.Equal(got, data) {
		t.Fatal("the hub holds other bytes than were uploaded")
	}
	// The record that references the blob is accepted now.
	d := sampleDossier(wire.BlobRef{SHA256: blob.SHA256, Size: blob.Size, MediaType: "application/pdf"})
	resp, err := c.Push(ctx, wire.PushRequest{Dossiers: []wire.Dossier{d}})
	if err != nil || !resp.Dossiers[0].Accepted() {
		t.Fatalf("push after upload: %+v %v", resp, err)
	}
}

func TestRetriedPushesThroughLostResponsesStoreOnce(t *testing.T) {
	h := newHub(t)
	proxy, err := faultproxy.Start(h.http.Listener.Addr().String(), faultproxy.Faults{}, 11)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	c := enrolled(t, h, proxy.URL(), func(c *Config) { c.RetryMax = 20 })
	proxy.SetFaults(faultproxy.Faults{DropResponse: 0.5})
	ctx := context.Background()
	var ids []string
	for i := 0; i < 10; i++ {
		d := sampleDossier()
		ids = append(ids, d.ID)
		resp, err := c.Push(ctx, wire.PushRequest{Dossiers: []wire.Dossier{d}})
		if err != nil || !resp.Dossiers[0].Accepted() {
			t.Fatalf("push %d: %+v %v", i, resp, err)
		}
	}
	if proxy.Stats().Drops == 0 {
		t.Fatal("no response was dropped: the test did not test replays")
	}
	if n := h.count(t, "SELECT count(*) FROM dossiers WHERE id = ANY($1)", ids); n != len(ids) {
		t.Fatalf("%d dossiers stored, want %d", n, len(ids))
	}
	if n := h.count(t, "SELECT count(*) FROM dossiers"); n != len(ids) {
		t.Fatalf("%d dossiers in all, want %d", n, len(ids))
	}
}

func TestSignedCallsNeedAnIdentity(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1")
	if _, err := c.Pull(context.Background(), "", 0); !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("got %v, want ErrNoIdentity", err)
	}
	for _, bad := range []string{"", "ftp://hub", "hub.tinh.gov.vn", "http://hub/?x=1"} {
		if _, err := New(Config{BaseURL: bad}); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}
