// Package web is the hub's staff web UI: the pages district and provincial
// officials use to receive the dossiers communes sync, process them and
// send the results back through the communes' pull log, and to watch each
// commune's indicators.
//
// Pages are rendered on the server with html/template (Vietnamese, NFC),
// embedded with the CSS and a little JS; there is no build step. A session
// cookie (HttpOnly, SameSite=Strict, Secure over TLS) opens the staff
// pages and nothing else, and every POST carries the session's CSRF token.
// The sync API keeps its own authentication (per-device signatures) and
// never looks at a cookie: New routes /v1/, /admin/ and /metrics to the hub
// untouched.
package web

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"motcua/app/calendar"
	"motcua/sync/hub"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Config configures the UI.
type Config struct {
	// SecureCookies marks the cookies Secure even on plain-HTTP requests:
	// set it when a TLS-terminating proxy sits in front of the hub.
	// Requests that arrive over TLS get Secure cookies anyway.
	SecureCookies bool
	// MaxUploadBytes bounds a result paper upload; default 50 MiB.
	MaxUploadBytes int64
	Logger         *slog.Logger
	// Now is the clock; tests may replace it. It should agree with the
	// hub's.
	Now func() time.Time
}

// UI serves the staff pages and passes the sync API through to the hub.
type UI struct {
	hub     *hub.Server
	cfg     Config
	cal     *calendar.Calendar
	pages   map[string]*template.Template
	handler http.Handler
}

// New builds the UI over h.
func New(h *hub.Server, cfg Config) (*UI, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 50 << 20
	}
	cal, err := calendar.New(calendar.Config{})
	if err != nil {
		return nil, fmt.Errorf("web: calendar: %w", err)
	}
	u := &UI{hub: h, cfg: cfg, cal: cal, pages: map[string]*template.Template{}}
	for _, name := range []string{"login", "inbox", "dossier", "communes", "devices", "error"} {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		u.pages[name] = t
	}
	u.handler = u.routes()
	return u, nil
}

func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) { u.handler.ServeHTTP(w, r) }

// Routes of the staff UI. The paths are Vietnamese like the desk's.
const (
	pathLogin    = "/dang-nhap"
	pathLogout   = "/dang-xuat"
	pathInbox    = "/ho-so"
	pathCommunes = "/chi-so-xa"
	pathAuditAck = pathCommunes + "/xac-nhan-nhat-ky"
	pathDevices  = "/thiet-bi"
	pathFiles    = "/tep/"
)

func (u *UI) routes() http.Handler {
	pages := http.NewServeMux()
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	pages.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))))
	pages.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, pathInbox, http.StatusSeeOther)
	})
	pages.HandleFunc("GET "+pathLogin, u.loginPage)
	pages.HandleFunc("POST "+pathLogin, u.login)
	pages.HandleFunc("POST "+pathLogout, u.form(1<<16, u.logout))

	pages.HandleFunc("GET "+pathInbox, u.staff(u.inbox))
	pages.HandleFunc("GET "+pathInbox+"/{id}", u.staff(u.dossier))
	pages.HandleFunc("POST "+pathInbox+"/{id}/nhan-xu-ly", u.form(1<<16, u.take))
	pages.HandleFunc("POST "+pathInbox+"/{id}/ghi-chu", u.form(1<<16, u.note))
	pages.HandleFunc("POST "+pathInbox+"/{id}/yeu-cau-bo-sung", u.form(1<<16, u.supplement))
	pages.HandleFunc("POST "+pathInbox+"/{id}/ket-qua", u.upload(u.result))
	pages.HandleFunc("GET "+pathFiles+"{sum}", u.staff(u.file))
	pages.HandleFunc("GET "+pathCommunes, u.staff(u.communes))
	pages.HandleFunc("POST "+pathAuditAck, u.form(1<<14, u.adminOnly(u.ackAudit)))
	pages.HandleFunc("GET "+pathDevices, u.staff(u.adminOnly(u.devices)))
	pages.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		u.errorPage(w, r, nil, http.StatusNotFound, "Không tìm thấy trang", "Địa chỉ này không có trên máy chủ tỉnh.")
	})

	top := http.NewServeMux()
	// The sync and admin API: the hub's own authentication, no cookies.
	top.Handle("/v1/", u.hub)
	top.Handle("/admin/", u.hub)
	top.Handle("/metrics", u.hub)
	// The pages: logged and counted like the API, by route.
	top.Handle("/", u.hub.Observe(u.recoverPanics(pages)))
	return top
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}

// page is what every template gets.
type page struct {
	Title string
	Nav   string // the active menu entry
	Staff *hub.Staff
	CSRF  string
	Flash string // a success message
	Error string // what went wrong with the last action
	Data  any
}

// securityHeaders are set on every page: scripts and styles from the hub
// only, frames of the hub only (the PDF viewer), no referrer to elsewhere.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"object-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t := u.pages[name]
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, "layout", p); err != nil {
		u.cfg.Logger.Error("render page", "page", name, "err", err, "path", r.URL.Path)
	}
}

// errorPage answers status with a short Vietnamese explanation.
func (u *UI) errorPage(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession, status int, title, detail string) {
	p := page{Title: title, Data: detail}
	if sess != nil {
		p.Staff, p.CSRF = &sess.Staff, sess.CSRF
	}
	u.render(w, r, status, "error", p)
}

// internal logs err and answers 500 (or nothing, when the client left).
func (u *UI) internal(w http.ResponseWriter, r *http.Request, sess *hub.StaffSession, op string, err error) {
	if r.Context().Err() != nil {
		return
	}
	u.cfg.Logger.Error(op, "err", err, "path", r.URL.Path)
	u.errorPage(w, r, sess, http.StatusInternalServerError, "Máy chủ tỉnh gặp lỗi",
		"Thao tác chưa thực hiện được do lỗi của máy chủ. Hãy thử lại sau ít phút; nếu vẫn lỗi, báo quản trị viên.")
}

// recoverPanics answers a page handler's panic with the error page.
func (u *UI) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				u.cfg.Logger.Error("panic in page handler", "panic", v, "path", r.URL.Path)
				u.errorPage(w, r, nil, http.StatusInternalServerError, "Máy chủ tỉnh gặp lỗi", "Hãy thử lại sau ít phút.")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// errKind maps the hub's errors to a status and a Vietnamese message for
// the official.
func errKind(err error) (int, string) {
	switch {
	case errors.Is(err, hub.ErrTaken):
		return http.StatusConflict, "Hồ sơ đã được cán bộ khác nhận xử lý."
	case errors.Is(err, hub.ErrNotAllowed):
		return http.StatusConflict, "Thao tác này không áp dụng được cho hồ sơ ở trạng thái hiện tại."
	case errors.Is(err, hub.ErrConflict):
		return http.StatusConflict, "Hồ sơ vừa được cập nhật (từ xã hoặc cán bộ khác). Đã tải lại hồ sơ; hãy xem lại rồi thao tác."
	case errors.Is(err, hub.ErrHashMismatch):
		return http.StatusUnprocessableEntity, "Tệp nhận được không khớp mã băm của tệp đã chọn (đường truyền lỗi). Hãy gửi lại."
	case errors.Is(err, hub.ErrNotPDF):
		return http.StatusUnprocessableEntity, "Tệp kết quả phải là tệp PDF."
	case errors.Is(err, hub.ErrNotFound):
		return http.StatusNotFound, msgNoDossier
	case errors.Is(err, hub.ErrInvalid):
		return http.StatusUnprocessableEntity, "Thông tin nhập chưa hợp lệ."
	}
	return 0, ""
}
