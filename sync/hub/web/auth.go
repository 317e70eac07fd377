package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"motcua/sync/hub"
)

// Cookies. The session cookie carries a random token whose SHA-256 the hub
// keeps; the login cookie is the double-submit token of the login form,
// which has no session yet to hold one.
const (
	sessionCookie = "hub_session"
	loginCookie   = "hub_login"
)

// staffHandler is a page for a logged-in official.
type staffHandler func(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession)

func (u *UI) secure(r *http.Request) bool { return r.TLS != nil || u.cfg.SecureCookies }

func (u *UI) setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: u.secure(r),
	})
}

// session returns the request's live session, or nil.
func (u *UI) session(r *http.Request) (*hub.StaffSession, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, nil
	}
	sess, err := u.hub.StaffSessionOf(r.Context(), c.Value)
	if errors.Is(err, hub.ErrNoSession) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &sess, nil
}

// toLogin sends the browser to the login page, to come back to where it
// was going (GET only: a form is not replayed).
func toLogin(w http.ResponseWriter, r *http.Request) {
	target := pathLogin
	if r.Method == http.MethodGet {
		target += "?tiep=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// staff wraps a page that needs a logged-in official. Device signatures
// and admin tokens mean nothing here: only the session cookie counts.
func (u *UI) staff(h staffHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := u.session(r)
		if err != nil {
			u.internal(w, r, nil, "staff session", err)
			return
		}
		if sess == nil {
			toLogin(w, r)
			return
		}
		h(w, r, sess)
	}
}

func (u *UI) adminOnly(h staffHandler) staffHandler {
	return func(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
		if !sess.Staff.Admin() {
			u.errorPage(w, r, sess, http.StatusForbidden, "Không có quyền truy cập",
				"Trang này dành cho quản trị viên máy chủ tỉnh.")
			return
		}
		h(w, r, sess)
	}
}

// sameOrigin refuses requests a browser marks as coming from another site.
// SameSite=Strict already keeps the cookie off them; this is the second
// lock, for browsers that ignore SameSite.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser, or an old one: the token decides
	}
	o, err := url.Parse(origin) // "null" (a sandboxed or privacy-sensitive context) has no host
	return err == nil && o.Host == r.Host
}

// tokenEqual compares two tokens in constant time.
func tokenEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// checkPost runs the checks every staff POST passes after its body is
// parsed: the request comes from the hub's own pages and carries the
// session's CSRF token.
func (u *UI) checkPost(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) bool {
	if !sameOrigin(r) || !tokenEqual(r.PostFormValue("csrf"), sess.CSRF) {
		u.cfg.Logger.Warn("staff post refused: CSRF check", "path", r.URL.Path, "staff", sess.Staff.Username)
		u.errorPage(w, r, sess, http.StatusForbidden, "Yêu cầu không hợp lệ",
			"Biểu mẫu đã hết hạn hoặc không được gửi từ trang của máy chủ tỉnh. Hãy tải lại trang rồi thử lại.")
		return false
	}
	return true
}

// form wraps a staff POST with a url-encoded body of at most limit bytes.
func (u *UI) form(limit int64, h staffHandler) http.HandlerFunc {
	return u.staff(func(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := r.ParseForm(); err != nil {
			u.errorPage(w, r, sess, http.StatusRequestEntityTooLarge, "Dữ liệu gửi lên quá lớn", "Hãy rút gọn nội dung rồi gửi lại.")
			return
		}
		if u.checkPost(w, r, sess) {
			h(w, r, sess)
		}
	})
}

// upload wraps a staff POST of a multipart form with one file.
func (u *UI) upload(h staffHandler) http.HandlerFunc {
	return u.staff(func(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
		r.Body = http.MaxBytesReader(w, r.Body, u.cfg.MaxUploadBytes+1<<16)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				u.errorPage(w, r, sess, http.StatusRequestEntityTooLarge, "Tệp quá lớn",
					"Tệp kết quả vượt quá "+sizeLabel(u.cfg.MaxUploadBytes)+".")
				return
			}
			u.errorPage(w, r, sess, http.StatusBadRequest, "Yêu cầu không hợp lệ", "Hãy chọn tệp và gửi lại.")
			return
		}
		defer r.MultipartForm.RemoveAll()
		if u.checkPost(w, r, sess) {
			h(w, r, sess)
		}
	})
}

func newToken() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// loginData is the login page's.
type loginData struct {
	Username string
	Next     string
	Token    string
}

// safeNext keeps a post-login target on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.HasPrefix(next, pathLogin) {
		return pathInbox
	}
	return next
}

func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	if sess, err := u.session(r); err == nil && sess != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("tiep")), http.StatusSeeOther)
		return
	}
	u.showLogin(w, r, http.StatusOK, "", loginData{Next: r.URL.Query().Get("tiep")})
}

func (u *UI) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string, d loginData) {
	d.Token = newToken()
	u.setCookie(w, r, loginCookie, d.Token, pathLogin, int((30 * time.Minute).Seconds()))
	u.render(w, r, status, "login", page{Title: "Đăng nhập", Error: msg, Data: d})
}

func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<14)
	if err := r.ParseForm(); err != nil {
		u.showLogin(w, r, http.StatusBadRequest, "Yêu cầu không hợp lệ.", loginData{})
		return
	}
	d := loginData{Username: r.PostFormValue("username"), Next: r.PostFormValue("tiep")}
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameOrigin(r) || !tokenEqual(r.PostFormValue("csrf"), c.Value) {
		u.showLogin(w, r, http.StatusForbidden, "Trang đăng nhập đã hết hạn. Hãy nhập lại.", d)
		return
	}
	sess, err := u.hub.StaffLogin(r.Context(), d.Username, r.PostFormValue("password"))
	switch {
	case errors.Is(err, hub.ErrBadCredentials):
		u.showLogin(w, r, http.StatusUnauthorized, "Tên đăng nhập hoặc mật khẩu không đúng.", d)
		return
	case errors.Is(err, hub.ErrLockedOut):
		u.showLogin(w, r, http.StatusTooManyRequests, "Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần. Hãy thử lại sau "+
			minutesLabel(hub.LockDuration)+" hoặc liên hệ quản trị viên.", d)
		return
	case err != nil:
		u.internal(w, r, nil, "staff login", err)
		return
	}
	u.cfg.Logger.Info("staff login", "staff", sess.Staff.Username)
	u.setCookie(w, r, loginCookie, "", pathLogin, -1)
	u.setCookie(w, r, sessionCookie, sess.Token, "/", int(hub.SessionIdle.Seconds()))
	http.Redirect(w, r, safeNext(d.Next), http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession) {
	if err := u.hub.StaffLogout(r.Context(), sess.Token); err != nil {
		u.internal(w, r, sess, "staff logout", err)
		return
	}
	u.setCookie(w, r, sessionCookie, "", "/", -1)
	http.Redirect(w, r, pathLogin, http.StatusSeeOther)
}
