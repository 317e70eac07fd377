package syncing

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"motcua/app/dossier"
	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/sync/client"
	"motcua/sync/client/faultproxy"
	"motcua/sync/hub"
	"motcua/sync/hub/blobdisk"
	"motcua/sync/hub/pgtest"
	"motcua/sync/outbox"
)

var cluster *pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }

const commune = "000.17.22.H56"

var quiet = slog.New(slog.DiscardHandler)

// hubEnv is a real hub on its own database, reached through a fault proxy
// so the tests can take it down, bring it back and break the link.
type hubEnv struct {
	t      *testing.T
	dbURL  string
	dir    string
	refDir string // the hub's published documents (catalog.json, calendar-YYYY.json)
	srv    *hub.Server
	http   *httptest.Server
	blobs  *blobdisk.Store
	proxy  *faultproxy.Proxy
}

func newHubEnv(t *testing.T) *hubEnv {
	t.Helper()
	url, err := cluster.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e := &hubEnv{t: t, dbURL: url, dir: t.TempDir(), refDir: t.TempDir()}
	e.proxy, err = faultproxy.Start("", faultproxy.Faults{}, 42)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.proxy.Close() })
	e.startHub()
	t.Cleanup(e.stopHub)
	ctx := context.Background()
	for _, a := range []hub.Agency{
		{Code: "H56", Name: "UBND tỉnh Thanh Hóa", Kind: "province", Level: 1},
		{Code: commune, Name: "UBND xã Quảng Hưng", Kind: "commune", Level: 2, ParentCode: "H56"},
		{Code: "000.18.22.H56", Name: "UBND xã Quảng Tâm", Kind: "commune", Level: 2, ParentCode: "H56"},
	} {
		if err := e.srv.UpsertAgency(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// startHub starts a hub process on the env's database and points the
// proxy at it.
func (e *hubEnv) startHub() {
	e.t.Helper()
	bs, err := blobdisk.New(e.dir)
	if err != nil {
		e.t.Fatal(err)
	}
	srv, err := hub.New(context.Background(), hub.Config{DatabaseURL: e.dbURL, Blobs: bs, Logger: quiet, UploadLockWait: time.Second,
		ReferenceDir: e.refDir})
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv, e.blobs, e.http = srv, bs, httptest.NewServer(srv)
	e.proxy.SetTarget(e.http.Listener.Addr().String())
}

// stopHub takes the hub down: the proxy refuses connections and the hub
// process is gone.
func (e *hubEnv) stopHub() {
	e.proxy.SetTarget("")
	if e.http != nil {
		e.http.CloseClientConnections()
		e.http.Close()
		e.srv.Close()
		e.http = nil
	}
}

func (e *hubEnv) code(commune string) string {
	e.t.Helper()
	ec, err := e.srv.CreateEnrolmentCode(context.Background(), commune, "test", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return ec.Code
}

func (e *hubEnv) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.srv.DB().QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// desk is a commune desk: its own store, reception and sync service.
type desk struct {
	t    *testing.T
	st   *store.Store
	rec  *reception.Service
	sync *Service
}

type deskOption func(*Config)

func newDesk(t *testing.T, agencyCode string, opts ...deskOption) *desk {
	t.Helper()
	st, err := store.Open(store.Options{Dir: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	off := office.NewService(st)
	set := office.Defaults()
	set.ParentAgency, set.UnitName, set.CommuneName, set.AgencyCode = "UBND xã Quảng Hưng", "Bộ phận một cửa xã Quảng Hưng", "Quảng Hưng", agencyCode
	if agencyCode != "" { // "": a desk whose office settings were never saved
		if _, err := off.Save(context.Background(), set); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{
		Store: st, Office: off, Logger: quiet, AppVersion: "test", DeviceName: "Máy test",
		Client:       client.Config{RetryMax: 3, RetryWaitMin: 5 * time.Millisecond, RetryWaitMax: 40 * time.Millisecond, ChunkSize: 64 << 10},
		Policy:       outbox.Policy{Base: 40 * time.Millisecond, Max: 300 * time.Millisecond, MaxAttempts: 40},
		PollInterval: 300 * time.Millisecond, OfflineMin: 40 * time.Millisecond, OfflineMax: 200 * time.Millisecond,
		Settle: 20 * time.Millisecond,
	}
	for _, o := range opts {
		o(&cfg)
	}
	syn, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := reception.New(st, off, reception.WithOutbox(syn))
	if err != nil {
		t.Fatal(err)
	}
	d := &desk{t: t, st: st, rec: rec, sync: syn}
	// Cleanups run last-in first-out: the loop stops before the store.
	t.Cleanup(func() { st.Close() })
	t.Cleanup(func() { syn.Close() })
	return d
}

func (d *desk) enrol(e *hubEnv) Enrolment {
	d.t.Helper()
	en, err := d.sync.Enrol(context.Background(), e.proxy.URL(), e.code(commune))
	if err != nil {
		d.t.Fatalf("enrol: %v", err)
	}
	return en
}

var clerk = reception.Actor{ID: "u1", Name: "Trần Văn Bình", Role: "clerk"}

func (d *desk) receive() reception.Dossier {
	d.t.Helper()
	in := reception.Reception{
		RequestID: uuid.NewString(), ProcedureCode: "2.000815",
		Applicant: reception.ApplicantInput{Kind: dossier.ApplicantPerson, Name: "Nguyễn Thị Hương", IDNumber: "001190012345",
			Address: "Thôn Đông, xã Quảng Hưng", Phone: "0912 345 678"},
		Components: []reception.Component{{Name: "Tờ khai", Originals: 1}},
		Outcome:    reception.OutcomeComplete,
	}
	dos, _, err := d.rec.Receive(context.Background(), in, clerk)
	if err != nil {
		d.t.Fatalf("receive: %v", err)
	}
	return dos
}

func (d *desk) act(id string, in reception.ActionInput) (reception.Dossier, error) {
	d.t.Helper()
	if in.RequestID == "" {
		in.RequestID = fmt.Sprintf("req-%s", uuid.NewString()[:18])
	}
	dos, _, _, err := d.rec.Act(context.Background(), id, in, clerk)
	return dos, err
}

func (d *desk) status() Status {
	d.t.Helper()
	st, err := d.sync.Status(context.Background())
	if err != nil {
		d.t.Fatal(err)
	}
	return st
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
