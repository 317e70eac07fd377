package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"motcua/app/accounts"
	"motcua/app/audit"
	"motcua/app/office"
	"motcua/app/store"
	"motcua/app/vault"
)

func TestNewRecoveryKeyFromTheAPI(t *testing.T) {
	// The vault's recovery slot does not depend on what the store holds: a
	// plain store serves the routes here; app/office tests an encrypted one.
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	data, off := t.TempDir(), office.NewService(st)
	v, oldKey, err := vault.Create(data, vault.Options{MachineDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	off.SetVault(v)
	srv := httptest.NewServer(New(Config{Version: "t", Office: off, Store: st, Recovery: off, Accounts: accounts.New(st),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	opens := func(key string) error {
		_, err := vault.Unlock(data, vault.Options{MachineDir: t.TempDir(), RecoveryKey: key})
		return err
	}

	admin := newClient(t, srv.URL)
	const pw = "mật khẩu dài 2026"
	setup := map[string]any{"settings": mustJSON(validSettings), "admin": map[string]any{"username": "quantri", "fullName": "Lê Văn Quản", "password": pw}}
	if code, body := admin.do("POST", "/api/setup", setup); code != 201 {
		t.Fatalf("setup: %d %v", code, body)
	}
	const rotate = "/api/security/recovery-key/rotate"
	// Without the password, or with a wrong one, nothing changes.
	if code, body := admin.do("POST", rotate, map[string]any{"password": "đoán thử"}); code != 401 || errCode(body) != codeBadCredentials {
		t.Fatalf("wrong password: %d %v", code, body)
	}
	if code, _ := admin.do("POST", rotate, map[string]any{}); code != 401 {
		t.Fatalf("no password: %d", code)
	}
	if err := opens(oldKey); err != nil {
		t.Fatalf("a refused request changed the key: %v", err)
	}
	// Only admins.
	if code, _ := admin.do("POST", "/api/users", map[string]any{"username": "tiepnhan", "fullName": "Trần Thị Mai",
		"roles": []string{"clerk"}, "password": "tam thoi 2026"}); code != 201 {
		t.Fatal("create clerk")
	}
	clerk := newClient(t, srv.URL)
	clerk.do("POST", "/api/session", map[string]any{"username": "tiepnhan", "password": "tam thoi 2026"})
	clerk.do("PUT", "/api/session/password", map[string]any{"old": "tam thoi 2026", "password": "mật khẩu riêng 1"})
	if code, body := clerk.do("POST", rotate, map[string]any{"password": "mật khẩu riêng 1"}); code != 403 || errCode(body) != codeForbidden {
		t.Fatalf("clerk: %d %v", code, body)
	}

	if code, body := admin.do("POST", rotate, map[string]any{"password": pw}); code != 200 || body["pending"] != true {
		t.Fatalf("rotate: %d %v", code, body)
	}
	// Shown once, as at first run.
	code, body := admin.do("GET", "/api/security/recovery-key", nil)
	newKey, _ := body["recoveryKey"].(string)
	if code != 200 || body["pending"] != true || newKey == "" || newKey == oldKey {
		t.Fatalf("pending key: %d %v", code, body)
	}
	if err := opens(oldKey); !errors.Is(err, vault.ErrBadSecret) {
		t.Fatalf("the old key still opens the vault: %v", err)
	}
	if err := opens(newKey); err != nil {
		t.Fatalf("the new key: %v", err)
	}
	if code, _ := admin.do("POST", "/api/security/recovery-key/ack", nil); code != 200 {
		t.Fatal("ack")
	}
	if _, body := admin.do("GET", "/api/security/recovery-key", nil); body["pending"] != false || body["recoveryKey"] != nil {
		t.Fatalf("after ack: %v", body)
	}
	// The password check did not end the admin's session; the change is
	// in the audit chain, by the admin.
	if code, _ := admin.do("GET", "/api/session", nil); code != 200 {
		t.Fatal("the admin's session ended")
	}
	head, _, _ := audit.Head(st)
	entries, _ := audit.Since(st, 0, int(head))
	var rotated []audit.Entry
	for _, e := range entries {
		if e.Action == "rotate_recovery_key" {
			rotated = append(rotated, e)
		}
	}
	if len(rotated) != 1 || rotated[0].Actor == "" || rotated[0].Actor == "local" || rotated[0].Role != "admin" {
		t.Fatalf("audit: %+v", rotated)
	}
}

func TestNewRecoveryKeyWithoutVault(t *testing.T) {
	base := newAuthServer(t) // a store without encryption
	admin := newClient(t, base)
	const pw = "mật khẩu dài 2026"
	setup := map[string]any{"settings": mustJSON(validSettings), "admin": map[string]any{"username": "quantri", "fullName": "Lê Văn Quản", "password": pw}}
	if code, _ := admin.do("POST", "/api/setup", setup); code != 201 {
		t.Fatal("setup")
	}
	if code, body := admin.do("POST", "/api/security/recovery-key/rotate", map[string]any{"password": pw}); code != 409 || errCode(body) != codeNoVault {
		t.Fatalf("%d %v", code, body)
	}
	if _, body := admin.do("GET", "/api/security/recovery-key", nil); body["pending"] != false {
		t.Fatalf("%v", body)
	}
}

// On the network-served API a web page of another origin cannot make the
// browser choose a fresh desk's first admin (or do any other write); the
// same page's own requests, programs without browser headers, reads, and
// the desktop window's API are unaffected.
func TestCrossOriginWritesRefusedOnTheNetwork(t *testing.T) {
	good, err := json.Marshal(map[string]any{"settings": mustJSON(validSettings),
		"admin": map[string]any{"username": "quantri", "fullName": "Lê Văn Quản", "password": "mật khẩu dài 2026"}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(h http.Handler, method, path string, hdr map[string]string, body []byte) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, bytes.NewReader(body))
		r.RemoteAddr = "192.0.2.7:5000"
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	api := func(network bool) http.Handler {
		st, err := store.Open(store.Options{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return New(Config{Version: "t", Office: office.NewService(st), Store: st, Accounts: accounts.New(st),
			Network: network, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}
	lan := api(true)
	for _, hdr := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:9999"},
		{"Origin": "https://evil.example"}, // an older browser: no Sec-Fetch-Site
	} {
		w := send(lan, "POST", "/api/setup", hdr, good)
		var body map[string]any
		json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != 403 || errCode(body) != codeCrossOrigin || !strings.Contains(errMsg(body), "trang web khác") {
			t.Fatalf("%v: %d %s", hdr, w.Code, w.Body)
		}
	}
	if w := send(lan, "GET", "/api/setup", map[string]string{"Sec-Fetch-Site": "cross-site"}, nil); w.Code != 200 || !strings.Contains(w.Body.String(), `"needed":true`) {
		t.Fatalf("a read, and nothing was set up: %d %s", w.Code, w.Body)
	}
	// The desk's own page (same origin) and a program set it up.
	if w := send(lan, "POST", "/api/setup", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://127.0.0.1:8080",
		"Content-Type": "application/json"}, good); w.Code != 201 {
		t.Fatalf("same origin: %d %s", w.Code, w.Body)
	}
	if w := send(api(true), "POST", "/api/setup", map[string]string{"Content-Type": "application/json"}, good); w.Code != 201 {
		t.Fatalf("no browser headers: %d %s", w.Code, w.Body)
	}
	// The desktop window's API has no port a web page could reach.
	if w := send(api(false), "POST", "/api/setup", map[string]string{"Sec-Fetch-Site": "cross-site"}, good); w.Code != 201 {
		t.Fatalf("desktop: %d %s", w.Code, w.Body)
	}
}
