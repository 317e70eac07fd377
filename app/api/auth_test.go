package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"motcua/app/accounts"
	"motcua/app/audit"
	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
)

type client struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newAuthServer(t *testing.T) string {
	t.Helper()
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	off := office.NewService(st)
	rec, _ := reception.New(st, off)
	h := New(Config{Version: "t", Office: off, Store: st, Reception: rec, Recovery: off, Accounts: accounts.New(st),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, c: &http.Client{Jar: jar}}
}

func (c *client) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func mustJSON(s string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		panic(err)
	}
	return m
}

func TestFirstRunSetupThenRolesAreEnforced(t *testing.T) {
	base := newAuthServer(t)
	anon := newClient(t, base)
	if code, body := anon.do("GET", "/api/setup", nil); code != 200 || body["needed"] != true {
		t.Fatalf("setup needed: %d %v", code, body)
	}
	for _, p := range []string{"/api/settings", "/api/dossiers", "/api/procedures", "/api/users"} {
		if code, body := anon.do("GET", p, nil); code != 401 || errCode(body) != codeUnauthenticated {
			t.Fatalf("%s without login: %d %v", p, code, body)
		}
	}
	if code, _ := anon.do("GET", "/api/health", nil); code != 200 {
		t.Fatal("health needs no login")
	}
	// Setup validates both parts before writing either.
	bad := map[string]any{"settings": mustJSON(validSettings), "admin": map[string]any{"username": "qt", "fullName": "Lê Văn Quản", "password": "123"}}
	code, body := anon.do("POST", "/api/setup", bad)
	fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
	if code != 422 || fields["admin.username"] == nil || fields["admin.password"] == nil {
		t.Fatalf("bad setup: %d %v", code, body)
	}
	admin := newClient(t, base)
	good := map[string]any{"settings": mustJSON(validSettings), "admin": map[string]any{"username": "quantri", "fullName": "Lê Văn Quản", "password": "mật khẩu dài 2026"}}
	if code, body := admin.do("POST", "/api/setup", good); code != 201 {
		t.Fatalf("setup: %d %v", code, body)
	}
	if code, _ := anon.do("POST", "/api/setup", good); code != 409 {
		t.Fatal("second setup accepted")
	}
	if code, body := admin.do("GET", "/api/session", nil); code != 200 || body["user"].(map[string]any)["username"] != "quantri" {
		t.Fatalf("session after setup: %d %v", code, body)
	}
	for _, u := range []map[string]any{
		{"username": "tiepnhan", "fullName": "Trần Thị Mai", "roles": []string{"clerk"}, "password": "tam thoi 2026"},
		{"username": "chuyenmon", "fullName": "Phạm Văn Long", "roles": []string{"specialist"}, "password": "tam thoi 2026"},
	} {
		if code, body := admin.do("POST", "/api/users", u); code != 201 {
			t.Fatalf("create user: %d %v", code, body)
		}
	}
	clerk, spec := newClient(t, base), newClient(t, base)
	for _, c := range []struct {
		cl   *client
		name string
	}{{clerk, "tiepnhan"}, {spec, "chuyenmon"}} {
		if code, _ := c.cl.do("POST", "/api/session", map[string]any{"username": c.name, "password": "tam thoi 2026"}); code != 200 {
			t.Fatalf("%s login", c.name)
		}
		// The temporary password must be changed before anything else.
		if code, body := c.cl.do("GET", "/api/dossiers", nil); code != 403 || errCode(body) != codePasswordChange {
			t.Fatalf("%s with a temporary password: %d %v", c.name, code, body)
		}
		if code, body := c.cl.do("PUT", "/api/session/password", map[string]any{"old": "tam thoi 2026", "password": "mật khẩu riêng 1"}); code != 200 {
			t.Fatalf("%s change password: %d %v", c.name, code, body)
		}
	}
	// The clerk receives; the specialist may not.
	rcv := mustJSON(receptionBody("req-300000001", "001190012345"))
	if code, body := spec.do("POST", "/api/dossiers", rcv); code != 403 || errCode(body) != codeForbidden {
		t.Fatalf("specialist receiving: %d %v", code, body)
	}
	code, body = clerk.do("POST", "/api/dossiers", rcv)
	if code != 201 {
		t.Fatalf("clerk receiving: %d %v", code, body)
	}
	d := body["dossier"].(map[string]any)
	id := d["id"].(string)
	if d["createdBy"] == "local" || d["createdBy"] == "" {
		t.Fatalf("dossier not attributed to the clerk: %v", d["createdBy"])
	}
	// Processing belongs to the specialist.
	act := map[string]any{"requestId": "req-300000002", "action": "record_result", "resultDocs": []string{"Bản sao"}}
	if code, body := clerk.do("POST", "/api/dossiers/"+id+"/actions", act); code != 403 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "Công chức chuyên môn") {
		t.Fatalf("clerk recording a result: %d %v", code, body)
	}
	if code, body := spec.do("POST", "/api/dossiers/"+id+"/actions", act); code != 200 {
		t.Fatalf("specialist recording a result: %d %v", code, body)
	}
	// Only the admin changes settings and users.
	if code, _ := clerk.do("PUT", "/api/settings", mustJSON(validSettings)); code != 403 {
		t.Fatal("clerk changed settings")
	}
	if code, _ := clerk.do("GET", "/api/users", nil); code != 403 {
		t.Fatal("clerk listed users")
	}
	code, body = admin.do("GET", "/api/users", nil)
	if code != 200 || strings.Contains(mustString(body), "argon2") {
		t.Fatalf("user list leaks hashes or failed: %d", code)
	}
	// Logout ends the session.
	clerk.do("DELETE", "/api/session", nil)
	if code, _ := clerk.do("GET", "/api/dossiers", nil); code != 401 {
		t.Fatal("session alive after logout")
	}
}

func mustString(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestLoginIsRateLimited(t *testing.T) {
	base := newAuthServer(t)
	admin := newClient(t, base)
	good := map[string]any{"settings": mustJSON(validSettings), "admin": map[string]any{"username": "quantri", "fullName": "Lê Văn Quản", "password": "mật khẩu dài 2026"}}
	admin.do("POST", "/api/setup", good)
	c := newClient(t, base)
	var code int
	var body map[string]any
	for i := 0; i < accounts.MaxFailedLogins; i++ {
		code, body = c.do("POST", "/api/session", map[string]any{"username": "quantri", "password": "đoán mò"})
	}
	if code != 429 || errCode(body) != codeLockedOut {
		t.Fatalf("after %d failures: %d %v", accounts.MaxFailedLogins, code, body)
	}
	if code, _ := c.do("POST", "/api/session", map[string]any{"username": "quantri", "password": "mật khẩu dài 2026"}); code != 429 {
		t.Fatal("locked account logged in")
	}
}

func TestSettingsSaveIsAuditedAsTheAdmin(t *testing.T) {
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	off := office.NewService(st)
	srv := httptest.NewServer(New(Config{Version: "t", Office: off, Store: st, Accounts: accounts.New(st),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	admin := newClient(t, srv.URL)
	_, body := admin.do("POST", "/api/setup", map[string]any{"settings": mustJSON(validSettings),
		"admin": map[string]any{"username": "quantri", "fullName": "Lê Văn Quản", "password": "mật khẩu dài 2026"}})
	adminID := body["user"].(map[string]any)["id"].(string)
	if code, _ := admin.do("PUT", "/api/settings", mustJSON(validSettings)); code != 200 {
		t.Fatal("save")
	}
	var last audit.Entry
	st.View(func(x *store.Txn) error {
		return x.Iterate(store.PrefixAudit(), func(_, v []byte) error {
			var e audit.Entry
			json.Unmarshal(v, &e)
			if e.Action == "save_settings" {
				last = e
			}
			return nil
		})
	})
	if last.Actor != adminID || last.Role != "admin" {
		t.Fatalf("settings save audited as %q/%q, want the admin %q", last.Actor, last.Role, adminID)
	}
}
