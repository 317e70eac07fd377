package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"motcua/sync/hub"
)

// TestStaffSeeOnlyTheirCommunes: through every page and action, an
// official of commune B cannot list, open, act on or download anything of
// commune A: each answers as if A's dossier did not exist, and nothing
// reaches A's pull log or the blob store. An admin sees both; an official
// without an agency sees nothing and is told why.
func TestStaffSeeOnlyTheirCommunes(t *testing.T) {
	e := newEnv(t, false, Config{})
	ctx := context.Background()
	devA, scanA, dA := e.seeded()
	devB := e.device(communeB)
	scanB := devB.upload(pdfBytes())
	dB := e.dossier(communeB, e.now().Add(72*time.Hour), scanB)
	devB.push(dB)
	for _, s := range []hub.NewStaff{
		{Username: "canbo.xa.b", FullName: "Đỗ Văn Nam", AgencyCode: communeB, Password: password},
		{Username: "chuagan", FullName: "Hoàng Thị Lan", Password: password},
	} {
		if _, err := e.hub.CreateStaff(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	blobs := func() int {
		var n int
		if err := e.hub.DB().QueryRow(ctx, "SELECT count(*) FROM blobs").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	b := e.browser()
	b.login("canbo.xa.b")
	inbox := b.get(pathInbox + "?trang-thai=all")
	if inbox.status != http.StatusOK || !strings.Contains(inbox.body, dB.Code) || strings.Contains(inbox.body, dA.Code) ||
		strings.Contains(inbox.body, communeA) || strings.Contains(inbox.body, "Quảng Hưng") {
		t.Fatalf("inbox of commune B's official: %d\n%s", inbox.status, inbox.body)
	}
	if p := b.get(pathInbox + "?trang-thai=all&xa=" + url.QueryEscape(communeA)); p.status != http.StatusOK ||
		strings.Contains(p.body, dA.Code) || strings.Contains(p.body, dB.Code) {
		t.Fatalf("inbox filtered on commune A: %d", p.status)
	}
	if p := b.get(pathInbox + "/" + dA.ID); p.status != http.StatusNotFound || strings.Contains(p.body, dA.Code) ||
		strings.Contains(p.body, scanA.SHA256) {
		t.Fatalf("dossier of A: %d", p.status)
	}
	if p := b.get(pathInbox + "/" + dB.ID); p.status != http.StatusOK || !strings.Contains(p.body, dB.Code) {
		t.Fatalf("own dossier: %d", p.status)
	}
	// Nor can they tell A's dossier from one that does not exist.
	missing := b.get(pathInbox + "/" + uuid.Must(uuid.NewV7()).String())
	if other := b.get(pathInbox + "/" + dA.ID); other.body != missing.body {
		t.Fatal("a dossier of another commune answers differently from a missing one")
	}
	if p := b.get(pathFiles + scanA.SHA256); p.status != http.StatusNotFound || strings.Contains(p.body, "%PDF") {
		t.Fatalf("scan of A: %d", p.status)
	}
	if p := b.get(pathFiles + scanB.SHA256); p.status != http.StatusOK || !strings.HasPrefix(p.body, "%PDF") {
		t.Fatalf("own scan: %d", p.status)
	}
	if p := b.get(pathCommunes); p.status != http.StatusOK || !strings.Contains(p.body, `data-commune="`+communeB+`"`) ||
		strings.Contains(p.body, communeA) {
		t.Fatalf("indicators: %d", p.status)
	}

	csrf := field(csrfRE, inbox.body)
	before := blobs()
	for _, action := range []string{"nhan-xu-ly", "ghi-chu", "yeu-cau-bo-sung"} {
		p := b.post(pathInbox+"/"+dA.ID+"/"+action, url.Values{"csrf": {csrf}, "change_id": {uuid.Must(uuid.NewV7()).String()},
			"state": {"received"}, "note": {"Ghi chú"}, "items": {"Tờ khai"}, "reason": {"Thiếu giấy tờ"}})
		if p.status != http.StatusNotFound || strings.Contains(p.body, dA.Code) {
			t.Errorf("POST %s on A's dossier: %d", action, p.status)
		}
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"csrf": csrf, "change_id": uuid.Must(uuid.NewV7()).String(), "state": "received",
		"paper_name": "Giấy khai sinh"} {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "kq.pdf")
	fw.Write(pdfBytes())
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+pathInbox+"/"+dA.ID+"/ket-qua", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", e.srv.URL)
	if p := b.do(req); p.status != http.StatusNotFound {
		t.Errorf("result upload on A's dossier: %d", p.status)
	}
	if n := len(devA.changes()); n != 0 {
		t.Fatalf("%d changes reached commune A", n)
	}
	if n := blobs(); n != before {
		t.Fatalf("the refused result paper was stored (%d blobs, %d before)", n, before)
	}

	// The admin keeps the whole province.
	admin := e.browser()
	admin.login("quantri")
	if p := admin.get(pathInbox + "?trang-thai=all"); !strings.Contains(p.body, dA.Code) || !strings.Contains(p.body, dB.Code) {
		t.Fatal("the admin's inbox lacks a commune")
	}
	if p := admin.get(pathInbox + "/" + dA.ID); p.status != http.StatusOK {
		t.Fatalf("admin opens A's dossier: %d", p.status)
	}

	// No agency: nothing, and a message saying what to do.
	none := e.browser()
	none.login("chuagan")
	for _, path := range []string{pathInbox + "?trang-thai=all", pathCommunes} {
		p := none.get(path)
		if p.status != http.StatusOK || !strings.Contains(p.body, "chưa được gán cơ quan") ||
			strings.Contains(p.body, dA.Code) || strings.Contains(p.body, dB.Code) || strings.Contains(p.body, `data-commune=`) {
			t.Fatalf("%s without an agency: %d\n%s", path, p.status, p.body)
		}
	}
	if p := none.get(pathInbox + "/" + dB.ID); p.status != http.StatusNotFound {
		t.Fatalf("dossier without an agency: %d", p.status)
	}
	if p := none.get(pathFiles + scanB.SHA256); p.status != http.StatusNotFound {
		t.Fatalf("scan without an agency: %d", p.status)
	}
}

// TestInboxSearchBox: the search box finds by unaccented name, keeps the
// query in the box and in the paging links, and never shows another
// subtree's dossier.
func TestInboxSearchBox(t *testing.T) {
	e := newEnv(t, false, Config{})
	ctx := context.Background()
	_, _, dA := e.seeded() // Nguyễn Thị Hoà, commune A
	devB := e.device(communeB)
	dB := e.dossier(communeB, e.now().Add(72*time.Hour))
	dB.Applicant.Name = "Lê Văn Tám"
	devB.push(dB)
	if _, err := e.hub.CreateStaff(ctx, hub.NewStaff{Username: "canbo.xa.b", FullName: "Đỗ Văn Nam", AgencyCode: communeB, Password: password}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("canbo.xa.b")
	p := b.get(pathInbox + "?tim=" + url.QueryEscape("le van tam"))
	if p.status != http.StatusOK || !strings.Contains(p.body, dB.Code) || !strings.Contains(p.body, `name="tim" value="le van tam"`) {
		t.Fatalf("search by unaccented name: %d\n%s", p.status, p.body)
	}
	for _, q := range []string{"hoa", "nguyen thi", dA.Code} {
		// Rows link to their dossier by ID (the query itself is echoed).
		if p := b.get(pathInbox + "?trang-thai=all&tim=" + url.QueryEscape(q)); strings.Contains(p.body, dA.ID) || strings.Contains(p.body, dB.ID) ||
			!strings.Contains(p.body, "Không có hồ sơ nào khớp với") {
			t.Fatalf("search %q from commune B shows: %s", q, p.body)
		}
	}
	admin := e.browser()
	admin.login("quantri")
	if p := admin.get(pathInbox + "?tim=" + url.QueryEscape("NGUYEN THI HOA")); !strings.Contains(p.body, dA.Code) || strings.Contains(p.body, dB.Code) {
		t.Fatal("the admin's search misses commune A's dossier or finds B's")
	}
	if u := inboxURL(hub.InboxFilter{Query: "lê văn", Commune: communeB, State: hub.InboxAll}, "123.abc"); !strings.Contains(u, "tim=l%C3%AA+v%C4%83n") ||
		!strings.Contains(u, "sau=123.abc") || !strings.Contains(u, "xa=") {
		t.Fatalf("paging link %q loses the search", u)
	}
}
