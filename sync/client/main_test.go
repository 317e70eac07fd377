package client

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"motcua/sync/hub"
	"motcua/sync/hub/blobdisk"
	"motcua/sync/hub/pgtest"
	"motcua/sync/wire"
)

// cluster is the PostgreSQL server the tests' hubs share, one database each.
var cluster *pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }

const commune = "000.17.22.H56"

var quiet = slog.New(slog.DiscardHandler)

// testHub is a real hub on its own database, over loopback HTTP.
type testHub struct {
	srv   *hub.Server
	http  *httptest.Server
	blobs *blobdisk.Store
}

func newHub(t *testing.T) *testHub {
	t.Helper()
	ctx := context.Background()
	url, err := cluster.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := blobdisk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv, err := hub.New(ctx, hub.Config{DatabaseURL: url, Blobs: bs, Logger: quiet, UploadLockWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []hub.Agency{
		{Code: "H56", Name: "UBND tỉnh Thanh Hóa", Kind: "province", Level: 1},
		{Code: commune, Name: "UBND xã Quảng Hưng", Kind: "commune", Level: 2, ParentCode: "H56"},
	} {
		if err := srv.UpsertAgency(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	h := &testHub{srv: srv, http: httptest.NewServer(srv), blobs: bs}
	t.Cleanup(func() { h.http.Close(); srv.Close() })
	return h
}

func (h *testHub) code(t *testing.T) string {
	t.Helper()
	ec, err := h.srv.CreateEnrolmentCode(context.Background(), commune, "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	return ec.Code
}

func (h *testHub) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := h.srv.DB().QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func newClient(t *testing.T, base string, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: base, Logger: quiet, RetryWaitMin: 5 * time.Millisecond, RetryWaitMax: 50 * time.Millisecond, RetryMax: 6}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolled returns a client enrolled with h as a device of commune.
func enrolled(t *testing.T, h *testHub, base string, mod ...func(*Config)) *Client {
	t.Helper()
	c := newClient(t, base, mod...)
	_, key, _ := ed25519.GenerateKey(nil)
	resp, err := c.Enrol(context.Background(), h.code(t), "Máy test", "test", key)
	if err != nil {
		t.Fatal(err)
	}
	c.SetIdentity(Identity{DeviceID: resp.DeviceID, Key: key})
	return c
}

var codeSeq atomic.Int64

func sampleDossier(scans ...wire.BlobRef) wire.Dossier {
	received := time.Date(2026, 3, 2, 8, 15, 0, 0, time.FixedZone("ICT", 7*3600))
	comps := []wire.Component{{Name: "Tờ khai đăng ký khai sinh"}}
	for _, s := range scans {
		comps = append(comps, wire.Component{Name: "Bản quét", Digitised: true, Blobs: []wire.BlobRef{s}})
	}
	return wire.Dossier{
		ID: uuid.Must(uuid.NewV7()).String(), Code: fmt.Sprintf("%s-260302-%04d", commune, codeSeq.Add(1)), CommuneCode: commune,
		Procedure:  wire.Procedure{Code: "1.001193", Name: "Đăng ký khai sinh"},
		Applicant:  wire.Applicant{Name: "Nguyễn Thị Hoà", IDNumber: "038190001234", Kind: wire.ApplicantPerson},
		Channel:    wire.ChannelInPerson,
		ReceivedAt: received,
		Status:     wire.Status{National: wire.StatusReceived, State: "received"},
		ReceivedBy: "u-01",
		Components: comps,
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
