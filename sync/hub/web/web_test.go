package web

import (
	"bytes"
	"context"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"motcua/sync/hub"
	"motcua/sync/wire"
)

func sessionCookieOf(t *testing.T, p answer) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	return nil
}

// TestPagesNeedLogin: without a session every staff page and file sends
// the browser to the login page, and a POST changes nothing.
func TestPagesNeedLogin(t *testing.T) {
	e := newEnv(t, false, Config{})
	dev, scan, d := e.seeded()
	b := e.browser()
	for _, path := range []string{"/", pathInbox, pathInbox + "/" + d.ID, pathCommunes, pathDevices, pathFiles + scan.SHA256} {
		p := b.get(path)
		loc := p.header.Get("Location")
		if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, pathLogin) && !(path == "/" && loc == pathInbox) {
			t.Errorf("GET %s: %d → %q", path, p.status, loc)
		}
		if path != "/" && loc != pathLogin+"?tiep="+url.QueryEscape(path) {
			t.Errorf("GET %s: login link %q does not come back here", path, loc)
		}
		if strings.Contains(p.body, "Nguyễn Thị Hoà") || strings.Contains(p.body, "%PDF") {
			t.Errorf("GET %s leaks the dossier to an anonymous visitor", path)
		}
	}
	for _, action := range []string{"nhan-xu-ly", "ghi-chu", "yeu-cau-bo-sung", "ket-qua"} {
		p := b.post(pathInbox+"/"+d.ID+"/"+action, url.Values{"change_id": {"0195f4b0-1111-7222-8333-444455556666"},
			"state": {"received"}, "note": {"x"}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != pathLogin {
			t.Errorf("POST %s: %d → %q", action, p.status, p.header.Get("Location"))
		}
	}
	if n := len(dev.changes()); n != 0 {
		t.Fatalf("%d changes recorded without a session", n)
	}
	// The login page itself, the styles and the script are public.
	for _, path := range []string{pathLogin, "/static/hub.css", "/static/hub.js"} {
		if p := b.get(path); p.status != http.StatusOK {
			t.Errorf("GET %s: %d", path, p.status)
		}
	}
	if p := b.get("/khong-co"); p.status != http.StatusNotFound || !strings.Contains(p.body, "Không tìm thấy trang") {
		t.Errorf("unknown page: %d", p.status)
	}
}

func TestLoginLogoutLockout(t *testing.T) {
	e := newEnv(t, false, Config{})
	b := e.browser()
	p := b.get(pathLogin + "?tiep=" + url.QueryEscape("/chi-so-xa?tu=2026-03-01"))
	token := field(csrfRE, p.body)
	if token == "" || !strings.Contains(p.body, `name="tiep" value="/chi-so-xa?tu=2026-03-01"`) {
		t.Fatalf("login page: %s", p.body)
	}
	form := func(user, pw string) url.Values {
		return url.Values{"csrf": {token}, "username": {user}, "password": {pw}, "tiep": {"/chi-so-xa?tu=2026-03-01"}}
	}

	// Wrong password: 401, a Vietnamese message, no session.
	p = b.post(pathLogin, form("canbo", "sai mật khẩu"))
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Tên đăng nhập hoặc mật khẩu không đúng.") ||
		sessionCookieOf(t, p) != nil {
		t.Fatalf("wrong password: %d %v", p.status, sessionCookieOf(t, p))
	}
	token = field(csrfRE, p.body) // each rendering of the form has a fresh token

	// The login form's own CSRF: a post without the token of its cookie.
	other := e.browser()
	if p := other.post(pathLogin, form("canbo", password)); p.status != http.StatusForbidden || sessionCookieOf(t, p) != nil {
		t.Fatalf("login without the login cookie: %d", p.status)
	}

	p = b.post(pathLogin, form("canbo", password))
	c := sessionCookieOf(t, p)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/chi-so-xa?tu=2026-03-01" || c == nil {
		t.Fatalf("login: %d %q %v", p.status, p.header.Get("Location"), c)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/" {
		t.Fatalf("session cookie flags: %+v", c)
	}
	if p := b.get(pathInbox); p.status != http.StatusOK || !strings.Contains(p.body, "Lê Thu Hà") {
		t.Fatalf("inbox after login: %d", p.status)
	}
	// Logged in, the login page sends the browser on.
	if p := b.get(pathLogin); p.status != http.StatusSeeOther || p.header.Get("Location") != pathInbox {
		t.Fatalf("login page while logged in: %d %q", p.status, p.header.Get("Location"))
	}
	// Logout needs the CSRF token too.
	if p := b.post(pathLogout, nil); p.status != http.StatusForbidden {
		t.Fatalf("logout without a token: %d", p.status)
	}
	page := b.get(pathInbox)
	if p := b.post(pathLogout, url.Values{"csrf": {field(csrfRE, page.body)}}); p.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", p.status)
	}
	if p := b.get(pathInbox); p.status != http.StatusSeeOther {
		t.Fatalf("inbox after logout: %d", p.status)
	}
	// The old cookie is dead on the server, not only in this browser.
	replay := e.browser()
	replay.jar.SetCookies(mustURL(e.srv.URL), []*http.Cookie{{Name: sessionCookie, Value: c.Value}})
	if p := replay.get(pathInbox); p.status != http.StatusSeeOther {
		t.Fatalf("a logged-out token still opens the inbox: %d", p.status)
	}

	// An outside target after login is replaced by the inbox.
	for _, next := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example"} {
		if got := safeNext(next); got != pathInbox {
			t.Errorf("next %q → %q", next, got)
		}
	}

	// Lock-out after repeated failures: 429, then even the right password.
	l := e.browser()
	p = l.get(pathLogin)
	for i := 1; i <= hub.MaxFailedLogins; i++ {
		p = l.post(pathLogin, url.Values{"csrf": {field(csrfRE, p.body)}, "username": {"canbo2"}, "password": {"sai"}})
	}
	if p.status != http.StatusTooManyRequests || !strings.Contains(p.body, "Tài khoản tạm khóa") {
		t.Fatalf("after %d failures: %d", hub.MaxFailedLogins, p.status)
	}
	p = l.post(pathLogin, url.Values{"csrf": {field(csrfRE, p.body)}, "username": {"canbo2"}, "password": {password}})
	if p.status != http.StatusTooManyRequests || sessionCookieOf(t, p) != nil {
		t.Fatalf("right password while locked: %d", p.status)
	}
	e.offset.Store(int64(hub.LockDuration + time.Minute))
	p = l.post(pathLogin, url.Values{"csrf": {field(csrfRE, p.body)}, "username": {"canbo2"}, "password": {password}})
	if p.status != http.StatusSeeOther || sessionCookieOf(t, p) == nil {
		t.Fatalf("after the lock ended: %d", p.status)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestSecureCookies(t *testing.T) {
	for name, tc := range map[string]struct {
		tls    bool
		config bool
	}{"over TLS": {true, false}, "behind a TLS proxy": {false, true}} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, tc.tls, Config{SecureCookies: tc.config})
			c := sessionCookieOf(t, e.browser().login("canbo"))
			if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Fatalf("session cookie: %+v", c)
			}
		})
	}
}

// TestCSRF: a staff POST without the session's token, with another token,
// or from another site is refused with 403 and records nothing.
func TestCSRF(t *testing.T) {
	e := newEnv(t, false, Config{})
	dev, _, d := e.seeded()
	b := e.browser()
	b.login("canbo")
	take := forms(b.get(pathInbox + "/" + d.ID).body)["nhan-xu-ly"]
	if take.Get("change_id") == "" || take.Get("csrf") == "" || take.Get("state") != "received" {
		t.Fatalf("take form: %v", take)
	}
	path := pathInbox + "/" + d.ID + "/nhan-xu-ly"
	noToken := url.Values{"change_id": take["change_id"], "state": take["state"]}
	// Another token: its first character changed (to one it is not: a
	// random token starts with "x" one time in 64).
	tok := take.Get("csrf")
	first := "x"
	if tok[:1] == first {
		first = "y"
	}
	wrong := url.Values{"csrf": {first + tok[1:]}, "change_id": take["change_id"], "state": take["state"]}
	for name, p := range map[string]answer{"missing": b.post(path, noToken), "wrong": b.post(path, wrong)} {
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "Biểu mẫu đã hết hạn") {
			t.Errorf("%s token: %d", name, p.status)
		}
	}
	// Another browser's session has its own token.
	b2 := e.browser()
	b2.login("canbo2")
	if p := b2.post(path, take); p.status != http.StatusForbidden {
		t.Errorf("another session's token: %d", p.status)
	}
	for name, hdr := range map[string][2]string{
		"cross-site origin": {"Origin", "https://evil.example"},
		"fetch metadata":    {"Sec-Fetch-Site", "cross-site"},
		"opaque origin":     {"Origin", "null"},
	} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(take.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(hdr[0], hdr[1])
		if p := b.do(req); p.status != http.StatusForbidden {
			t.Errorf("%s: %d", name, p.status)
		}
	}
	if n := len(dev.changes()); n != 0 {
		t.Fatalf("%d changes recorded by refused posts", n)
	}
	if p := b.post(path, take); p.status != http.StatusSeeOther {
		t.Fatalf("the same form with its token: %d %s", p.status, p.body)
	}
	if n := len(dev.changes()); n != 1 {
		t.Fatalf("%d changes, want 1", n)
	}
}

// TestCredentialsDoNotCross: a staff cookie opens no sync or admin API,
// and a device signature opens no staff page or file.
func TestCredentialsDoNotCross(t *testing.T) {
	e := newEnv(t, false, Config{})
	dev, scan, d := e.seeded()
	b := e.browser()
	b.login("quantri")
	for _, path := range []string{"/v1/changes", wire.BlobPath(scan.SHA256), "/admin/v1/devices", "/admin/v1/blobs/" + scan.SHA256} {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
		req.Header.Set(wire.HeaderProtocol, wire.Current.String())
		if p := b.do(req); p.status != http.StatusUnauthorized {
			t.Errorf("staff cookie on %s: %d", path, p.status)
		}
	}
	for _, path := range []string{pathInbox, pathInbox + "/" + d.ID, pathFiles + scan.SHA256, pathCommunes} {
		req := dev.request(http.MethodGet, path, nil, nil)
		resp, err := e.srv.Client().Transport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), pathLogin) {
			t.Errorf("device signature on %s: %d", path, resp.StatusCode)
		}
	}
	// Each still works with its own credential.
	if n := len(dev.changes()); n != 0 {
		t.Fatalf("changes: %d", n)
	}
	if p := b.get(pathFiles + scan.SHA256); p.status != http.StatusOK {
		t.Fatalf("staff file: %d", p.status)
	}
}

// TestActionsThroughPages drives every action form as a browser does:
// each records exactly one change in the commune's pull log, a double
// submit of the same form records once, and a result paper arrives
// hash-checked.
func TestActionsThroughPages(t *testing.T) {
	e := newEnv(t, false, Config{})
	dev := e.device(communeA)
	scan := dev.upload(pdfBytes())
	d1 := e.dossier(communeA, e.now().Add(72*time.Hour), scan)
	d2 := e.dossier(communeA, e.now().Add(96*time.Hour))
	dev.push(d1, d2)
	b := e.browser()
	b.login("canbo")

	view := func(id string) (answer, map[string]url.Values) {
		p := b.get(pathInbox + "/" + id)
		if p.status != http.StatusOK {
			t.Fatalf("dossier page: %d", p.status)
		}
		return p, forms(p.body)
	}
	p, f := view(d1.ID)
	if !strings.Contains(p.body, `<iframe class="viewer" src="/tep/`+scan.SHA256+`?ten=to-khai.pdf#view=FitH"`) {
		t.Fatalf("no PDF viewer of the scan on the dossier page")
	}
	resultOpen := regexp.MustCompile(`<details class="act" open>\s*<summary>Đính kèm kết quả`)
	if _, ok := f["ket-qua"]; !ok || resultOpen.MatchString(p.body) {
		t.Fatal("the result form is missing, or open before anyone took the dossier")
	}
	take := f["nhan-xu-ly"]
	for i := 0; i < 2; i++ { // a double click
		if p := b.post(pathInbox+"/"+d1.ID+"/nhan-xu-ly", take); p.status != http.StatusSeeOther ||
			p.header.Get("Location") != pathInbox+"/"+d1.ID+"?da=nhan" {
			t.Fatalf("take %d: %d %q", i, p.status, p.header.Get("Location"))
		}
	}
	chs := dev.changes()
	if len(chs) != 1 || chs[0].ID != take.Get("change_id") || chs[0].Action != "start_processing" || chs[0].ActorName != "Lê Thu Hà" {
		t.Fatalf("after take: %+v", chs)
	}
	p, f = view(d1.ID)
	if !strings.Contains(p.body, "<strong>Bắt đầu xử lý</strong> → Đang xử lý") || !strings.Contains(p.body, `data-state="processing"`) ||
		!regexp.MustCompile(`<dd data-taken>Lê Thu Hà`).MatchString(p.body) {
		t.Fatal("the dossier page does not show the take")
	}
	if p := b.get(pathInbox + "/" + d1.ID + "?da=nhan"); !strings.Contains(p.body, "Đã nhận xử lý hồ sơ.") {
		t.Fatal("no flash after the take")
	}
	if _, ok := f["nhan-xu-ly"]; ok || !resultOpen.MatchString(p.body) {
		t.Fatal("a take form on a taken dossier, or the result form closed for its official")
	}

	// A note, with an empty one refused first.
	note := f["ghi-chu"]
	note.Set("note", "   ")
	if p := b.post(pathInbox+"/"+d1.ID+"/ghi-chu", note); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "Hãy ghi nội dung bước xử lý") {
		t.Fatalf("empty note: %d", p.status)
	}
	note.Set("note", "Đã chuyển phòng Hộ tịch thẩm định")
	if p := b.post(pathInbox+"/"+d1.ID+"/ghi-chu", note); p.status != http.StatusSeeOther {
		t.Fatalf("note: %d %s", p.status, p.body)
	}

	// The result: a PDF, hash-checked; a wrong hash and a non-PDF refused.
	paper := pdfBytes()
	result := func(form url.Values, name string, data []byte, sum string) answer {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k, vs := range form {
			mw.WriteField(k, vs[0])
		}
		mw.WriteField("paper_name", "Giấy khai sinh (bản chính)")
		mw.WriteField("sha256", sum)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+pathInbox+"/"+d1.ID+"/ket-qua", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", e.srv.URL)
		return b.do(req)
	}
	_, f = view(d1.ID)
	res := f["ket-qua"]
	if p := result(res, "giay-khai-sinh.pdf", paper, wire.SumHex([]byte("other"))); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "không khớp mã băm") {
		t.Fatalf("wrong hash: %d", p.status)
	}
	if p := result(res, "anh.png", []byte("\x89PNG\r\n\x1a\n...."), ""); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "phải là tệp PDF") {
		t.Fatalf("not a PDF: %d", p.status)
	}
	if n := len(dev.changes()); n != 2 {
		t.Fatalf("%d changes after refused results, want 2", n)
	}
	for i := 0; i < 2; i++ {
		if p := result(res, `C:\Tài liệu\giấy khai sinh.pdf`, paper, wire.SumHex(paper)); p.status != http.StatusSeeOther {
			t.Fatalf("result %d: %d %s", i, p.status, p.body)
		}
	}
	chs = dev.changes()
	if len(chs) != 3 {
		t.Fatalf("%d changes, want take, note, result", len(chs))
	}
	if r := chs[2]; r.ID != res.Get("change_id") || r.Kind != wire.ChangeResult || r.To != "result_ready" ||
		len(r.Results) != 1 || r.Results[0].Blob.SHA256 != wire.SumHex(paper) || r.Results[0].Blob.Name != "giấy khai sinh.pdf" ||
		r.Results[0].Name != "Giấy khai sinh (bản chính)" {
		t.Fatalf("result change: %+v", r)
	}
	p, _ = view(d1.ID)
	if !strings.Contains(p.body, `data-state="result_ready"`) || !strings.Contains(p.body, "Đã có kết quả") ||
		!strings.Contains(p.body, `data-sha256="`+wire.SumHex(paper)+`"`) {
		t.Fatal("the dossier page does not show the result")
	}
	if fp := b.get(pathFiles + wire.SumHex(paper)); fp.status != http.StatusOK || fp.body != string(paper) {
		t.Fatalf("the result paper: %d", fp.status)
	}

	// Supplement on the second dossier, taken by nobody yet: it becomes
	// the official's. Missing items are refused first.
	_, f = view(d2.ID)
	sup := f["yeu-cau-bo-sung"]
	sup.Set("reason", "Giấy chứng sinh bị mờ")
	if p := b.post(pathInbox+"/"+d2.ID+"/yeu-cau-bo-sung", sup); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, "Hãy ghi ít nhất một giấy tờ cần bổ sung") || !strings.Contains(p.body, "Giấy chứng sinh bị mờ</textarea>") {
		t.Fatalf("supplement without items: %d", p.status)
	}
	sup.Set("items", "Giấy chứng sinh (bản rõ)\r\n\r\nTờ khai có chữ ký")
	if p := b.post(pathInbox+"/"+d2.ID+"/yeu-cau-bo-sung", sup); p.status != http.StatusSeeOther {
		t.Fatalf("supplement: %d %s", p.status, p.body)
	}
	chs = dev.changes()
	if s := chs[len(chs)-1]; len(chs) != 4 || s.Action != "request_supplement" || len(s.SupplementItems) != 2 || s.Reason != "Giấy chứng sinh bị mờ" {
		t.Fatalf("supplement change: %+v", chs)
	}
	// Another official sees the dossier as someone else's; a stale form
	// (the state it saw is gone) is refused with the reason.
	b2 := e.browser()
	b2.login("canbo2")
	p2 := b2.get(pathInbox + "/" + d2.ID)
	if f2 := forms(p2.body); f2["nhan-xu-ly"] != nil || f2["ket-qua"] != nil || f2["ghi-chu"] == nil {
		t.Fatalf("forms for another official: %v", f2)
	}
	stale := f["ghi-chu"]
	stale.Set("note", "x")
	stale.Set("csrf", field(csrfRE, p2.body))
	if p := b2.post(pathInbox+"/"+d2.ID+"/nhan-xu-ly", stale); p.status != http.StatusConflict || !strings.Contains(p.body, "cán bộ khác") &&
		!strings.Contains(p.body, "vừa được cập nhật") {
		t.Fatalf("stale take: %d", p.status)
	}
	if n := len(dev.changes()); n != 4 {
		t.Fatalf("%d changes, want 4", n)
	}
	if p := b.get(pathInbox + "/" + "0195f4b0-1111-7222-8333-444455556666"); p.status != http.StatusNotFound {
		t.Fatalf("unknown dossier: %d", p.status)
	}
}

var rowRE = regexp.MustCompile(`<tr data-id="([^"]+)" data-state="[^"]*"(?: class="([a-z-]+)")?`)

func TestInboxPage(t *testing.T) {
	e := newEnv(t, false, Config{})
	a, bdev := e.device(communeA), e.device(communeB)
	now := e.now()
	late := e.dossier(communeA, now.Add(-time.Hour))
	soon := e.dossier(communeA, now.Add(time.Hour))
	later := e.dossier(communeA, now.Add(30*24*time.Hour))
	theirs := e.dossier(communeB, now.Add(2*time.Hour))
	a.push(later, soon, late)
	bdev.push(theirs)
	b := e.browser()
	b.login("canbo")
	p := b.get(pathInbox)
	rows := rowRE.FindAllStringSubmatch(p.body, -1)
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	want := [][2]string{{late.ID, "overdue"}, {soon.ID, "due-soon"}, {theirs.ID, "due-soon"}, {later.ID, ""}}
	for i, w := range want {
		if rows[i][1] != w[0] || rows[i][2] != w[1] {
			t.Errorf("row %d: %s %q, want %s %q", i, rows[i][1], rows[i][2], w[0], w[1])
		}
	}
	for _, s := range []string{"Hồ sơ đến", "Quá hạn", "Sắp đến hạn", "UBND xã Quảng Tâm", "Đăng ký khai sinh", "Chưa nhận", `<strong data-total>4</strong>`} {
		if !strings.Contains(p.body, s) {
			t.Errorf("inbox lacks %q", s)
		}
	}
	p = b.get(pathInbox + "?xa=" + url.QueryEscape(communeB))
	if rows := rowRE.FindAllStringSubmatch(p.body, -1); len(rows) != 1 || rows[0][1] != theirs.ID {
		t.Fatalf("commune filter: %v", rows)
	}
	if !strings.Contains(p.body, `<option value="`+communeB+`" selected>`) {
		t.Fatal("the chosen commune is not selected")
	}
	p = b.get(pathInbox + "?trang-thai=result_ready")
	if rows := rowRE.FindAllStringSubmatch(p.body, -1); len(rows) != 0 || !strings.Contains(p.body, "Không có hồ sơ nào theo bộ lọc này.") {
		t.Fatalf("state filter: %v", rows)
	}
	// A bad cursor starts over instead of failing.
	if p := b.get(pathInbox + "?sau=rac"); p.status != http.StatusSeeOther || p.header.Get("Location") != pathInbox {
		t.Fatalf("bad cursor: %d %q", p.status, p.header.Get("Location"))
	}
}

// TestInboxPaging pages 60 dossiers by the "Trang sau" link.
func TestInboxPaging(t *testing.T) {
	e := newEnv(t, false, Config{})
	dev := e.device(communeA)
	var ds []wire.Dossier
	for i := 0; i < 60; i++ {
		ds = append(ds, e.dossier(communeA, e.now().Add(time.Duration(100+i)*time.Hour)))
	}
	dev.push(ds...)
	b := e.browser()
	b.login("canbo")
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	seen := map[string]bool{}
	path, pages := pathInbox, 0
	for path != "" {
		p := b.get(strings.ReplaceAll(path, "&amp;", "&"))
		for _, r := range rowRE.FindAllStringSubmatch(p.body, -1) {
			if seen[r[1]] {
				t.Fatalf("dossier %s on two pages", r[1])
			}
			seen[r[1]] = true
		}
		pages++
		path = field(next, p.body)
	}
	if len(seen) != 60 || pages != 2 {
		t.Fatalf("%d dossiers on %d pages", len(seen), pages)
	}
}

func TestFiles(t *testing.T) {
	e := newEnv(t, false, Config{})
	dev := e.device(communeA)
	scan := dev.upload(pdfBytes())
	html := []byte("<html><script>alert(1)</script></html>")
	evil := dev.upload(html)
	d := e.dossier(communeA, e.now().Add(72*time.Hour), scan, evil)
	dev.push(d)
	b := e.browser()
	b.login("canbo2")
	p := b.get(pathFiles + scan.SHA256 + "?ten=" + url.QueryEscape("Tờ khai.pdf"))
	if p.status != http.StatusOK || p.header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(p.header.Get("Content-Disposition"), "inline") || !strings.Contains(p.header.Get("Content-Disposition"), "filename*=utf-8''T%E1%BB%9D%20khai.pdf") ||
		p.header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(p.body, "%PDF-") {
		t.Fatalf("scan: %d %v", p.status, p.header)
	}
	// What a commune declared is not what the browser gets: HTML is a
	// download, never a page of the hub's origin.
	p = b.get(pathFiles + evil.SHA256)
	if p.header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(p.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("HTML blob served as %q %q", p.header.Get("Content-Type"), p.header.Get("Content-Disposition"))
	}
	// Ranges work (the PDF viewer reads by range).
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+pathFiles+scan.SHA256, nil)
	req.Header.Set("Range", "bytes=0-4")
	if p := b.do(req); p.status != http.StatusPartialContent || p.body != "%PDF-" {
		t.Fatalf("range: %d %q", p.status, p.body)
	}
	if p := b.get(pathFiles + wire.SumHex([]byte("nothing"))); p.status != http.StatusNotFound {
		t.Fatalf("unknown blob: %d", p.status)
	}
}

var cellRE = regexp.MustCompile(`(?s)<tr data-commune="([^"]+)"( class="stale")?>.*?data-k="ontime">([^<]*)<.*?data-k="digitised">([^<]*)<.*?data-k="sync">(.*?)</td>`)

func TestCommunesPage(t *testing.T) {
	e := newEnv(t, false, Config{})
	a, bdev := e.device(communeA), e.device(communeB)
	scan := a.upload(pdfBytes())
	a.push(e.dossier(communeA, e.now().Add(72*time.Hour), scan), e.dossier(communeA, e.now().Add(-time.Hour)))
	bdev.push(e.dossier(communeB, e.now().Add(72*time.Hour)))
	// Commune B's devices went quiet 30 hours ago.
	if _, err := e.hub.DB().Exec(context.Background(), `UPDATE devices SET last_seen_at = now() - interval '30 hours'
		WHERE agency_id = (SELECT id FROM agencies WHERE code = $1)`, communeB); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("canbo")
	p := b.get(pathCommunes)
	rows := cellRE.FindAllStringSubmatch(p.body, -1)
	if len(rows) != 2 {
		t.Fatalf("%d commune rows: %s", len(rows), p.body)
	}
	if r := rows[0]; r[1] != communeA || r[2] != "" || r[3] != "50,0 %" || r[4] != "50,0 %" || r[5] != "vừa xong" {
		t.Errorf("commune A: %q", r[1:])
	}
	if r := rows[1]; r[1] != communeB || r[2] == "" || r[3] != "100,0 %" || r[4] != "0,0 %" || !strings.HasPrefix(r[5], "30 giờ trước") ||
		!strings.Contains(r[5], "Quá 24 giờ") {
		t.Errorf("commune B: %q", r[1:])
	}
	// A period without dossiers: no rate to show.
	p = b.get(pathCommunes + "?tu=01/01/2020&den=2020-01-31")
	if rows := cellRE.FindAllStringSubmatch(p.body, -1); len(rows) != 2 || rows[0][3] != "—" || rows[0][4] != "—" {
		t.Fatalf("empty period: %q", rows)
	}
	if p := b.get(pathCommunes + "?tu=hôm-qua"); p.status != http.StatusOK || !strings.Contains(p.body, "Ngày bắt đầu không hợp lệ") {
		t.Fatalf("bad date: %d", p.status)
	}
}

func TestDevicesPageIsForAdmins(t *testing.T) {
	e := newEnv(t, false, Config{})
	dev := e.device(communeA)
	staff, admin := e.browser(), e.browser()
	staff.login("canbo")
	admin.login("quantri")
	if p := staff.get(pathDevices); p.status != http.StatusForbidden || strings.Contains(p.body, dev.id) {
		t.Fatalf("staff on the devices page: %d", p.status)
	}
	if p := staff.get(pathInbox); strings.Contains(p.body, `href="/thiet-bi"`) {
		t.Fatal("the devices menu entry is shown to staff")
	}
	if p := admin.get(pathDevices); p.status != http.StatusOK || !strings.Contains(p.body, dev.id) || !strings.Contains(p.body, "Đang hoạt động") {
		t.Fatalf("admin on the devices page: %d", p.status)
	}
}

// TestVietnameseIsNFC: every template and every rendered page is NFC, and
// says it is Vietnamese UTF-8.
func TestVietnameseIsNFC(t *testing.T) {
	err := fs.WalkDir(templateFiles, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := templateFiles.ReadFile(path)
		if !norm.NFC.IsNormal(b) {
			t.Errorf("%s is not NFC", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, false, Config{})
	_, _, d := e.seeded()
	b := e.browser()
	b.login("canbo")
	for _, path := range []string{pathLogin, pathInbox, pathInbox + "/" + d.ID, pathCommunes} {
		p := b.get(path)
		if path == pathLogin {
			p = e.browser().get(path)
		}
		if p.header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(p.body, `<html lang="vi">`) {
			t.Errorf("%s: %q", path, p.header.Get("Content-Type"))
		}
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'self'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if !norm.NFC.IsNormalString(p.body) || !strings.Contains(p.body, "Đăng") {
			t.Errorf("%s renders text that is not NFC", path)
		}
	}
}
