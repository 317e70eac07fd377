package api

import (
	"bytes"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"

	"motcua/app/accounts"
	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
)

func TestOpenDocumentHandsThePDFToTheViewer(t *testing.T) {
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	off := office.NewService(st)
	rec, _ := reception.New(st, off)
	var opened []string
	printDir := t.TempDir()
	srv := httptest.NewServer(New(Config{Version: "t", Office: off, Store: st, Reception: rec, Accounts: accounts.New(st),
		PrintDir: printDir, OpenDocument: func(p string) error { opened = append(opened, p); return nil },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()

	admin := newClient(t, srv.URL)
	admin.do("POST", "/api/setup", map[string]any{"settings": mustJSON(validSettings),
		"admin": map[string]any{"username": "quantri", "fullName": "Lê Văn Quản", "password": "mật khẩu dài 2026"}})
	admin.do("POST", "/api/users", map[string]any{"username": "canbo", "fullName": "Cán bộ", "roles": []string{"clerk"}, "password": "tam thoi 2026"})
	c := newClient(t, srv.URL)
	c.do("POST", "/api/session", map[string]any{"username": "canbo", "password": "tam thoi 2026"})
	c.do("PUT", "/api/session/password", map[string]any{"old": "tam thoi 2026", "password": "mật khẩu riêng 1"})
	code, body := c.do("POST", "/api/dossiers", mustJSON(receptionBody("req-400000001", "001190012345")))
	if code != 201 {
		t.Fatalf("receive %d %v", code, body)
	}
	id := body["dossier"].(map[string]any)["id"].(string)

	if code, body := c.do("GET", "/api/version", nil); code != 200 || body["desktop"] != true {
		t.Fatalf("version does not say desktop: %v", body)
	}
	if code, body := c.do("POST", "/api/documents/open", map[string]any{"url": "/api/dossiers/" + id + "/forms/receipt"}); code != 200 {
		t.Fatalf("open: %d %v", code, body)
	}
	if len(opened) != 1 {
		t.Fatalf("viewer calls: %v", opened)
	}
	b, _ := os.ReadFile(opened[0])
	if !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Fatal("opened file is not the PDF")
	}
	for _, bad := range []string{"/api/users", "/api/dossiers/" + id, "/api/dossiers/../users", "http://example.com/x"} {
		if code, _ := c.do("POST", "/api/documents/open", map[string]any{"url": bad}); code != 400 {
			t.Errorf("%s: %d, want 400", bad, code)
		}
	}
	// The document is fetched as the caller: a form that does not apply
	// comes back as the API's own error, and nothing is opened.
	if code, body := c.do("POST", "/api/documents/open", map[string]any{"url": "/api/dossiers/" + id + "/forms/refusal"}); code != 409 || errCode(body) != codeFormNotApplicable {
		t.Fatalf("refusal: %d %v", code, body)
	}
	anon := newClient(t, srv.URL)
	if code, _ := anon.do("POST", "/api/documents/open", map[string]any{"url": "/api/dossiers/" + id + "/forms/receipt"}); code != 401 {
		t.Fatal("anonymous open")
	}
	if len(opened) != 1 {
		t.Fatalf("viewer called for refused documents: %v", opened)
	}
}

func TestOpenable(t *testing.T) {
	for url, want := range map[string]bool{
		"/api/dossiers/x/forms/receipt":      true,
		"/api/dossiers/x":                    false,
		"/api/register.pdf?from=2026-01-01":  true,
		"/api/scans/j1/pdf":                  true,
		"/api/scans/j1/original":             true,
		"/api/scans/j1":                      false,
		"/api/scans/j1/pages/2/image":        false,
		"/api/archive/batches/b1/export.zip": true,
		"/api/archive/batches/b1":            false,
		"/api/scans/../users/pdf":            false,
		"/api/users":                         false,
	} {
		if got := openable(url); got != want {
			t.Errorf("openable(%q) = %v, want %v", url, got, want)
		}
	}
}
