package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
)

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	off := office.NewService(st)
	rec, err := reception.New(st, off)
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{
		Version: "test", Office: off, Store: st, Reception: rec,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, ctype string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", method, url, err)
	}
	return resp.StatusCode, out
}

const validSettings = `{"province":"Khánh Hòa","parentAgency":"UBND xã Cam Hải Đông",
"unitName":"Trung tâm Phục vụ hành chính công xã Cam Hải Đông","communeName":"Cam Hải Đông",
"agencyCode":"000.17.22.H56","address":"Thôn Thủy Triều","phone":"0258 3854 123","email":"",
"formSet":"03/2025","hours":{"morningStart":"07:00","morningEnd":"11:30","afternoonStart":"13:30","afternoonEnd":"17:00"}}`

func TestSettingsFirstRunThenSave(t *testing.T) {
	srv := newTestServer(t)
	code, body := do(t, "GET", srv.URL+"/api/settings", "", nil)
	if code != 200 || body["configured"] != false {
		t.Fatalf("fresh: %d %v", code, body)
	}
	hours := body["settings"].(map[string]any)["hours"].(map[string]any)
	if hours["morningStart"] != "07:00" {
		t.Fatalf("defaults not offered: %v", hours)
	}
	code, body = do(t, "PUT", srv.URL+"/api/settings", "application/json", []byte(validSettings))
	if code != 200 || body["configured"] != true {
		t.Fatalf("save: %d %v", code, body)
	}
	code, body = do(t, "GET", srv.URL+"/api/settings", "", nil)
	got := body["settings"].(map[string]any)
	if code != 200 || got["communeName"] != "Cam Hải Đông" || got["agencyCode"] != "000.17.22.H56" {
		t.Fatalf("reload: %d %v", code, body)
	}
}

func TestBadInputIs4xxAndChangesNothing(t *testing.T) {
	srv := newTestServer(t)
	if code, _ := do(t, "PUT", srv.URL+"/api/settings", "application/json", []byte(validSettings)); code != 200 {
		t.Fatal("setup save failed")
	}
	_, before := do(t, "GET", srv.URL+"/api/settings", "", nil)

	huge := `{"province":"` + strings.Repeat("a", 1<<20+10) + `"}`
	cases := []struct {
		name, ctype, body string
		status            int
		code              string
	}{
		{"syntax", "application/json", `{"province": "x",`, 400, codeInvalidJSON},
		{"not json", "application/json", `hello`, 400, codeInvalidJSON},
		{"empty", "application/json", ``, 400, codeInvalidJSON},
		{"trailing", "application/json", validSettings + `{}`, 400, codeInvalidJSON},
		{"wrong type", "application/json", `{"communeName": 12}`, 400, codeInvalidType},
		{"wrong nested type", "application/json", `{"hours": "07:00"}`, 400, codeInvalidType},
		{"array root", "application/json", `[1,2]`, 400, codeInvalidType},
		{"unknown field", "application/json", `{"communeName":"A","isAdmin":true}`, 400, codeUnknownField},
		{"oversize", "application/json", huge, 413, codeTooLarge},
		{"content type", "text/plain", validSettings, 415, codeUnsupportedMedia},
		{"validation", "application/json", strings.Replace(validSettings, `"000.17.22.H56"`, `"mã sai"`, 1), 422, codeValidation},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := do(t, "PUT", srv.URL+"/api/settings", c.ctype, []byte(c.body))
			e, _ := body["error"].(map[string]any)
			if status != c.status || e == nil || e["code"] != c.code {
				t.Fatalf("got %d %v, want %d %s", status, body, c.status, c.code)
			}
			msg, _ := e["message"].(string)
			if msg == "" || !norm.NFC.IsNormalString(msg) || !strings.ContainsAny(msg, "ữđảệá") {
				t.Fatalf("message not Vietnamese NFC: %q", msg)
			}
			_, after := do(t, "GET", srv.URL+"/api/settings", "", nil)
			if !jsonEqual(before, after) {
				t.Fatalf("stored settings changed:\n%v\n%v", before, after)
			}
		})
	}
}

func TestValidationNamesFieldsInVietnamese(t *testing.T) {
	srv := newTestServer(t)
	body := strings.Replace(validSettings, `"unitName":"Trung tâm Phục vụ hành chính công xã Cam Hải Đông"`, `"unitName":""`, 1)
	body = strings.Replace(body, `"afternoonStart":"13:30"`, `"afternoonStart":"1h30"`, 1)
	status, out := do(t, "PUT", srv.URL+"/api/settings", "application/json", []byte(body))
	fields := out["error"].(map[string]any)["fields"].(map[string]any)
	if status != 422 || fields["unitName"] != "Tên đơn vị tiếp nhận không được để trống." {
		t.Fatalf("%d %v", status, out)
	}
	if !strings.Contains(fields["hours.afternoonStart"].(string), "GG:PP") {
		t.Fatalf("%v", fields)
	}
}

func TestRoutingEnvelopes(t *testing.T) {
	srv := newTestServer(t)
	status, body := do(t, "GET", srv.URL+"/api/nope", "", nil)
	if status != 404 || body["error"].(map[string]any)["code"] != codeNotFound {
		t.Fatalf("%d %v", status, body)
	}
	status, body = do(t, "DELETE", srv.URL+"/api/settings", "", nil)
	if status != 405 || body["error"].(map[string]any)["code"] != codeMethod {
		t.Fatalf("%d %v", status, body)
	}
	status, body = do(t, "GET", srv.URL+"/api/health", "", nil)
	if status != 200 || body["status"] != "ok" {
		t.Fatalf("%d %v", status, body)
	}
	status, body = do(t, "GET", srv.URL+"/api/version", "", nil)
	if status != 200 || body["version"] != "test" || body["schema"].(float64) < 1 {
		t.Fatalf("%d %v", status, body)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
