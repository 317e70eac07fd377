package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"motcua/sync/hub"
	"motcua/sync/hub/blobdisk"
	"motcua/sync/hub/pgtest"
	"motcua/sync/wire"
)

var cluster *pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &cluster)) }

const (
	communeA = "000.17.22.H56"
	communeB = "000.18.22.H56"
	password = "Mật khẩu cán bộ tỉnh"
)

// env is a hub with its staff UI on loopback, as cmd/hub serves it. Its
// clock runs offset from the real one; devices sign with the same clock.
type env struct {
	t      *testing.T
	hub    *hub.Server
	srv    *httptest.Server
	offset atomic.Int64
}

func (e *env) now() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) }

func newEnv(t *testing.T, tls bool, cfg Config) *env {
	t.Helper()
	ctx := context.Background()
	dbURL, err := cluster.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store, err := blobdisk.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := hub.New(ctx, hub.Config{DatabaseURL: dbURL, Blobs: store, AdminToken: "admin-token", Logger: quiet, Now: e.now})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger, cfg.Now = quiet, e.now
	ui, err := New(h, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.hub = h
	if tls {
		e.srv = httptest.NewTLSServer(ui)
	} else {
		e.srv = httptest.NewServer(ui)
	}
	t.Cleanup(func() { e.srv.Close(); h.Close() })
	for _, a := range []hub.Agency{
		{Code: "H56", Name: "Sở Tư pháp tỉnh Thanh Hóa", Kind: "province", Level: 1},
		{Code: communeA, Name: "UBND xã Quảng Hưng", Kind: "commune", Level: 2, ParentCode: "H56"},
		{Code: communeB, Name: "UBND xã Quảng Tâm", Kind: "commune", Level: 2, ParentCode: "H56"},
	} {
		if err := h.UpsertAgency(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []hub.NewStaff{
		{Username: "canbo", FullName: "Lê Thu Hà", AgencyCode: "H56", Password: password},
		{Username: "canbo2", FullName: "Phạm Quốc Việt", AgencyCode: "H56", Password: password},
		{Username: "quantri", FullName: "Trịnh Minh Đức", Role: hub.RoleAdmin, Password: password},
	} {
		if _, err := h.CreateStaff(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// device is a commune device speaking the signed protocol.
type device struct {
	e   *env
	id  string
	key ed25519.PrivateKey
}

func (e *env) device(commune string) *device {
	e.t.Helper()
	code, err := e.hub.CreateEnrolmentCode(context.Background(), commune, "test", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	body, _ := json.Marshal(wire.NewEnrolRequest(code.Code, "Máy một cửa", "test", key))
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/enrol", bytes.NewReader(body))
	req.Header.Set(wire.HeaderProtocol, wire.Current.String())
	req.Header.Set("Content-Type", "application/json")
	var out wire.EnrolResponse
	if status := e.decode(req, &out); status != http.StatusCreated {
		e.t.Fatalf("enrol: %d", status)
	}
	return &device{e: e, id: out.DeviceID, key: key}
}

// decode sends req with the test server's client and decodes a JSON answer.
func (e *env) decode(req *http.Request, out any) int {
	e.t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			e.t.Fatal(err)
		}
	}
	return resp.StatusCode
}

func (d *device) request(method, path string, body []byte, hdr http.Header) *http.Request {
	req, _ := http.NewRequest(method, d.e.srv.URL+path, bytes.NewReader(body))
	for k, v := range hdr {
		req.Header[k] = v
	}
	if err := wire.SignRequest(req, d.id, d.key, body, d.e.now()); err != nil {
		d.e.t.Fatal(err)
	}
	return req
}

// upload sends a blob in one chunk.
func (d *device) upload(data []byte) wire.BlobRef {
	d.e.t.Helper()
	hdr := http.Header{}
	hdr.Set(wire.HeaderUploadOffset, "0")
	hdr.Set(wire.HeaderUploadLength, fmt.Sprint(len(data)))
	hdr.Set("Content-Type", wire.ChunkContentType)
	if status := d.e.decode(d.request(http.MethodPatch, wire.BlobPath(wire.SumHex(data)), data, hdr), nil); status != http.StatusCreated {
		d.e.t.Fatalf("upload: %d", status)
	}
	return wire.BlobRef{SHA256: wire.SumHex(data), Size: int64(len(data)), MediaType: "application/pdf", Name: "to-khai.pdf"}
}

func (d *device) push(ds ...wire.Dossier) {
	d.e.t.Helper()
	body, _ := json.Marshal(wire.PushRequest{Dossiers: ds})
	var resp wire.PushResponse
	if status := d.e.decode(d.request(http.MethodPost, "/v1/push", body, http.Header{"Content-Type": {"application/json"}}), &resp); status != http.StatusOK {
		d.e.t.Fatalf("push: %d", status)
	}
	for _, r := range resp.Dossiers {
		if !r.Accepted() {
			d.e.t.Fatalf("push: %+v", r)
		}
	}
}

// changes returns the commune's whole pull log.
func (d *device) changes() []wire.Change {
	d.e.t.Helper()
	var resp wire.PullResponse
	if status := d.e.decode(d.request(http.MethodGet, "/v1/changes?limit=1000", nil, nil), &resp); status != http.StatusOK {
		d.e.t.Fatalf("pull: %d", status)
	}
	return resp.Changes
}

var pdfSeq atomic.Int64

func pdfBytes() []byte {
	return []byte(fmt.Sprintf("%%PDF-1.4\n%% tệp thử %d\n%s", pdfSeq.Add(1), strings.Repeat("0123456789", 50)))
}

// dossier is a received dossier of commune due at due, with scans.
func (e *env) dossier(commune string, due time.Time, scans ...wire.BlobRef) wire.Dossier {
	received := e.now().Add(-48 * time.Hour)
	comps := []wire.Component{{Name: "Căn cước", FromNationalDB: true}}
	if len(scans) > 0 {
		comps = append(comps, wire.Component{Name: "Tờ khai đăng ký khai sinh", Digitised: true, Blobs: scans})
	}
	return wire.Dossier{
		ID: uuid.Must(uuid.NewV7()).String(), Code: fmt.Sprintf("%s-%d", commune, pdfSeq.Add(1)), CommuneCode: commune,
		Procedure:  wire.Procedure{Code: "1.001193", Name: "Đăng ký khai sinh", FieldName: "Hộ tịch"},
		Applicant:  wire.Applicant{Name: "Nguyễn Thị Hoà", IDNumber: "038190001234", Kind: wire.ApplicantPerson},
		Channel:    wire.ChannelInPerson,
		ReceivedAt: received, DueAt: &due,
		Status:     wire.Status{National: wire.StatusReceived, State: "received"},
		ReceivedBy: "u-01", Components: comps,
	}
}

// seeded enrols a device of commune A and pushes one received dossier
// with a scan, due in three days.
func (e *env) seeded() (*device, wire.BlobRef, wire.Dossier) {
	e.t.Helper()
	dev := e.device(communeA)
	scan := dev.upload(pdfBytes())
	d := e.dossier(communeA, e.now().Add(72*time.Hour), scan)
	dev.push(d)
	return dev, scan, d
}

// browser is a staff member's browser: a cookie jar, redirects not
// followed so the tests see them.
type browser struct {
	e   *env
	c   *http.Client
	jar *cookiejar.Jar
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{e: e, c: &c, jar: jar}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) answer {
	b.e.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

func (b *browser) get(path string) answer {
	req, _ := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	return b.do(req)
}

// post sends a form as a browser of the hub's own pages does.
func (b *browser) post(path string, form url.Values) answer {
	req, _ := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.e.srv.URL)
	return b.do(req)
}

var (
	csrfRE   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	changeRE = regexp.MustCompile(`action="/ho-so/[^/"]+/([a-z-]+)"[^>]*>\s*<input type="hidden" name="csrf" value="[^"]*"><input type="hidden" name="change_id" value="([^"]+)"><input type="hidden" name="state" value="([^"]*)">`)
)

func field(re *regexp.Regexp, body string) string {
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// login logs in as username and returns the answer that set the cookie.
func (b *browser) login(username string) answer {
	b.e.t.Helper()
	p := b.get(pathLogin)
	if p.status != http.StatusOK {
		b.e.t.Fatalf("login page: %d", p.status)
	}
	p = b.post(pathLogin, url.Values{"csrf": {field(csrfRE, p.body)}, "username": {username}, "password": {password}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != pathInbox {
		b.e.t.Fatalf("login %s: %d %s", username, p.status, p.body)
	}
	return p
}

// forms reads the action forms of a dossier page: form → hidden fields.
func forms(body string) map[string]url.Values {
	out := map[string]url.Values{}
	for _, m := range changeRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = url.Values{"csrf": {field(csrfRE, body)}, "change_id": {m[2]}, "state": {m[3]}}
	}
	return out
}
