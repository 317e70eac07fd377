package hub

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"motcua/sync/hub/blobdisk"
	"motcua/sync/hub/pgtest"
	"motcua/sync/wire"
)

// cluster is the PostgreSQL server every test of this package shares; each
// test gets its own database in it.
var cluster *pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }

const (
	adminToken = "test-admin-token"
	communeA   = "000.17.22.H56"
	communeB   = "000.18.22.H56"
)

// env is one hub on its own database, served over real HTTP on loopback.
type env struct {
	t     *testing.T
	dbURL string
	dir   string
	srv   *Server
	http  *httptest.Server
	store *blobdisk.Store
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	url, err := cluster.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dbURL: url, dir: t.TempDir()}
	e.start()
	for _, a := range []Agency{
		{Code: "H56", Name: "UBND tỉnh Thanh Hóa", Kind: "province", Level: 1},
		{Code: communeA, Name: "UBND xã Quảng Hưng", Kind: "commune", Level: 2, ParentCode: "H56"},
		{Code: communeB, Name: "UBND xã Quảng Tâm", Kind: "commune", Level: 2, ParentCode: "H56"},
	} {
		if err := e.srv.UpsertAgency(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// start (re)starts the hub process on the env's database and blob dir.
func (e *env) start() {
	e.t.Helper()
	store, err := blobdisk.New(e.dir)
	if err != nil {
		e.t.Fatal(err)
	}
	srv, err := New(context.Background(), Config{
		DatabaseURL: e.dbURL, Blobs: store, AdminToken: adminToken, PublicURL: "https://hub.example",
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		UploadLockWait: 10 * time.Second, MaxDBConns: 30,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv, e.store = srv, store
	e.http = httptest.NewServer(srv)
	e.t.Cleanup(e.stop)
}

func (e *env) stop() {
	if e.http != nil {
		e.http.Close()
		e.srv.Close()
		e.http = nil
	}
}

// restart simulates a hub restart: new process state, same database.
func (e *env) restart() {
	e.stop()
	e.start()
}

func (e *env) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.srv.DB().QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// client is a minimal commune device: enough of a client to drive the
// protocol, not the real outbox.
type client struct {
	e       *env
	id      string
	key     ed25519.PrivateKey
	commune string
	// skew shifts the signing clock (a desk PC with a wrong clock).
	skew time.Duration
}

func (e *env) enrol(commune string) *client {
	e.t.Helper()
	ec, err := e.srv.CreateEnrolmentCode(context.Background(), commune, "test", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	var resp wire.EnrolResponse
	status := e.postJSON("/v1/enrol", wire.NewEnrolRequest(ec.Code, "Máy test", "test", key), &resp)
	if status != http.StatusCreated {
		e.t.Fatalf("enrol: status %d", status)
	}
	return &client{e: e, id: resp.DeviceID, key: key, commune: commune}
}

// postJSON sends an unsigned JSON request (enrolment) and decodes the answer.
func (e *env) postJSON(path string, body, out any) int {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+path, bytes.NewReader(b))
	req.Header.Set(wire.HeaderProtocol, wire.Current.String())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		raw, _ := io.ReadAll(resp.Body)
		if err := wire.DecodeLenient(bytes.NewReader(raw), 1<<20, out); err != nil && resp.StatusCode < 300 {
			e.t.Fatalf("decode %s answer: %v: %s", path, err, raw)
		}
	}
	return resp.StatusCode
}

// newRequest builds a signed request; hdr is applied before signing.
func (c *client) newRequest(method, path string, body []byte, hdr map[string]string) *http.Request {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.http.URL+path, bytes.NewReader(body))
	if err != nil {
		c.e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if err := wire.SignRequest(req, c.id, c.key, body, time.Now().Add(c.skew)); err != nil {
		c.e.t.Fatal(err)
	}
	return req
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) err() wire.Error {
	var er wire.ErrorResponse
	json.Unmarshal(a.body, &er)
	return er.Error
}

func send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func (c *client) do(method, path string, body []byte, hdr map[string]string) answer {
	c.e.t.Helper()
	return send(c.e.t, c.newRequest(method, path, body, hdr))
}

func jsonHdr() map[string]string { return map[string]string{"Content-Type": "application/json"} }

func (c *client) push(req wire.PushRequest) (wire.PushResponse, answer) {
	c.e.t.Helper()
	b, _ := json.Marshal(req)
	a := c.do(http.MethodPost, "/v1/push", b, jsonHdr())
	var resp wire.PushResponse
	if a.status == http.StatusOK {
		if err := wire.DecodeLenient(bytes.NewReader(a.body), wire.MaxPushBytes, &resp); err != nil {
			c.e.t.Fatal(err)
		}
		if len(resp.Dossiers) != len(req.Dossiers) || len(resp.Events) != len(req.Events) {
			c.e.t.Fatalf("push answered %d+%d results for %d+%d items", len(resp.Dossiers), len(resp.Events),
				len(req.Dossiers), len(req.Events))
		}
	}
	return resp, a
}

// patch sends one chunk.
func (c *client) patch(sum string, offset, length int64, chunk []byte) answer {
	return c.do(http.MethodPatch, wire.BlobPath(sum), chunk, map[string]string{
		wire.HeaderUploadOffset: strconv.FormatInt(offset, 10),
		wire.HeaderUploadLength: strconv.FormatInt(length, 10),
		"Content-Type":          wire.ChunkContentType,
	})
}

// upload sends a whole blob in chunks and fails the test unless the hub
// ends up holding it.
func (c *client) upload(data []byte, chunk int) string {
	c.e.t.Helper()
	sum := wire.SumHex(data)
	for off := 0; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		a := c.patch(sum, int64(off), int64(len(data)), data[off:end])
		want := http.StatusNoContent
		if end == len(data) {
			want = http.StatusCreated
		}
		if a.status != want {
			c.e.t.Fatalf("chunk at %d: status %d, want %d: %s", off, a.status, want, a.body)
		}
	}
	return sum
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func stringsReader(s string) io.Reader { return bytes.NewReader([]byte(s)) }

func readCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }
