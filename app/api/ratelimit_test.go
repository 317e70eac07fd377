package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"motcua/app/accounts"
	"motcua/app/office"
	"motcua/app/store"
)

// limitedAPI is the API with accounts and small rate limits. Requests are
// served in-process with a chosen peer address (documentation ranges), so
// no traffic leaves the test.
func limitedAPI(t *testing.T, rl *RateLimits) http.Handler {
	t.Helper()
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(Config{Version: "t", Office: office.NewService(st), Store: st, Accounts: accounts.New(st), RateLimit: rl,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

func serveFrom(h http.Handler, peer, method, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = peer
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestLoginIsLimitedPerClientIP(t *testing.T) {
	h := limitedAPI(t, &RateLimits{Login: rate.Every(time.Hour), LoginBurst: 3, API: 1000, APIBurst: 1000})
	login := `{"username":"ai-do","password":"đoán mò"}`
	for i := range 3 {
		if w := serveFrom(h, "192.0.2.10:40000", "POST", "/api/session", login); w.Code != 401 {
			t.Fatalf("attempt %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	w := serveFrom(h, "192.0.2.10:40001", "POST", "/api/session", login)
	var body map[string]any
	json.Unmarshal(w.Body.Bytes(), &body)
	secs, _ := strconv.Atoi(w.Header().Get("Retry-After"))
	if w.Code != 429 || errCode(body) != codeRateLimited || secs < 60*59 || !strings.Contains(errMsg(body), "giây") {
		t.Fatalf("fourth login from the same PC: %d %q %v", w.Code, w.Header().Get("Retry-After"), body)
	}
	// Other routes from that PC, and logins from another PC, go on.
	if w := serveFrom(h, "192.0.2.10:40002", "GET", "/api/health", ""); w.Code != 200 {
		t.Fatalf("health from the limited PC: %d", w.Code)
	}
	if w := serveFrom(h, "192.0.2.11:40000", "POST", "/api/session", login); w.Code != 401 {
		t.Fatalf("login from another PC: %d", w.Code)
	}
	// The same PC over IPv4-mapped IPv6 is the same client.
	if w := serveFrom(h, "[::ffff:192.0.2.10]:40003", "POST", "/api/session", login); w.Code != 429 {
		t.Fatalf("mapped address escaped the limit: %d", w.Code)
	}
	// The desk PC itself (loopback) is never limited.
	for i := range 4 {
		if w := serveFrom(h, "127.0.0.1:50000", "POST", "/api/session", login); w.Code != 401 {
			t.Fatalf("loopback attempt %d: %d", i+1, w.Code)
		}
		if w := serveFrom(h, "[::1]:50000", "POST", "/api/session", login); w.Code != 401 {
			t.Fatalf("IPv6 loopback attempt %d: %d", i+1, w.Code)
		}
	}
}

func TestEveryAPIRequestIsLimitedPerClientIP(t *testing.T) {
	h := limitedAPI(t, &RateLimits{Login: 100, LoginBurst: 100, API: rate.Every(time.Minute), APIBurst: 5})
	for i := range 5 {
		if w := serveFrom(h, "198.51.100.7:1234", "GET", "/api/health", ""); w.Code != 200 {
			t.Fatalf("request %d: %d", i+1, w.Code)
		}
	}
	w := serveFrom(h, "198.51.100.7:1234", "GET", "/api/version", "")
	if w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("sixth request: %d %v", w.Code, w.Header())
	}
	if w := serveFrom(h, "198.51.100.8:1234", "GET", "/api/version", ""); w.Code != 200 {
		t.Fatalf("another PC: %d", w.Code)
	}
	// Without limits (the desktop window) nothing is refused.
	open := limitedAPI(t, nil)
	for i := range 20 {
		if w := serveFrom(open, "198.51.100.7:1234", "GET", "/api/health", ""); w.Code != 200 {
			t.Fatalf("unlimited request %d: %d", i+1, w.Code)
		}
	}
}

func TestIdleClientsAreForgotten(t *testing.T) {
	l := newIPLimiter(rate.Every(time.Hour), 1)
	t0 := time.Now()
	for i := range 50 {
		ip := mustAddr(t, "203.0.113."+strconv.Itoa(i))
		if _, ok := l.allow(ip, t0); !ok {
			t.Fatal("first request refused")
		}
	}
	if _, ok := l.allow(mustAddr(t, "203.0.113.1"), t0.Add(time.Second)); ok {
		t.Fatal("second request within the hour allowed")
	}
	l.allow(mustAddr(t, "203.0.113.200"), t0.Add(forgetAfter+2*time.Minute))
	if n := len(l.clients); n != 1 {
		t.Fatalf("%d clients remembered after they went idle", n)
	}
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
