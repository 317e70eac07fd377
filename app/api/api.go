// Package api is the one HTTP/JSON interface of the desk application. The
// frontend (inside Wails or in a browser on the office LAN) talks to the
// backend only through it. Errors leave this package as an envelope with a
// machine code and a Vietnamese message; this is the only place where
// internal errors become user messages.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"time"

	"motcua/app/audit"
	"motcua/app/office"
)

// OfficeSettings is what the API needs from the settings use case.
type OfficeSettings interface {
	Settings(ctx context.Context) (office.Settings, error)
	Save(ctx context.Context, s office.Settings) (office.Settings, error)
}

// RecoveryKeys shows the vault's recovery key once, at first run.
type RecoveryKeys interface {
	PendingRecoveryKey(ctx context.Context) (string, bool, error)
	AckRecoveryKey(ctx context.Context) error
}

// HealthChecker reports whether the store is usable.
type HealthChecker interface {
	Version() (uint32, error)
}

// Config wires the API to the use cases.
type Config struct {
	Version string
	Office  OfficeSettings
	Store   HealthChecker
	// Recovery serves the first-run recovery-key routes; nil leaves them out.
	Recovery RecoveryKeys
	// OpenDocument, set by the desktop shell, hands a document file to the
	// OS viewer for printing; PrintDir is where those files are written.
	OpenDocument DocumentOpener
	PrintDir     string
	// Accounts, when set, requires a login for every route but health,
	// version, session and first-run setup, and enforces roles.
	Accounts Accounts
	// Reception serves the desk's dossier routes; nil leaves them out.
	Reception Reception
	// Sync serves the hub sync routes (/api/sync/…); nil leaves them out.
	Sync Sync
	// Digitize serves scans, archive batches and search; nil leaves them out.
	Digitize Digitize
	// Backups serves /api/backups…; nil leaves them out.
	Backups Backups
	// AuditCheck walks the audit chain for GET /api/audit/verify; nil
	// leaves the route out.
	AuditCheck func() (audit.Report, error)
	// RateLimit limits requests per client IP (motcua serve on the LAN);
	// nil limits nothing (the desktop window).
	RateLimit *RateLimits
	// Network is set when the API listens on TCP (motcua serve): writes
	// that a page of another origin makes the browser send are refused.
	// The desktop window's asset server has no port a web page could reach.
	Network bool
	// DiskSpace reports the data disk's free bytes; below MinFreeBytes
	// (DefaultMinFreeBytes when 0) new work is refused. Nil checks nothing.
	DiskSpace    DiskSpace
	MinFreeBytes uint64
	Logger       *slog.Logger
}

// maxSettingsBody bounds the settings document; it is a few hundred bytes.
const maxSettingsBody = 1 << 20

type server struct {
	cfg     Config
	log     *slog.Logger
	started time.Time
	// firstRunMu makes the first-run set-up and a restore from the
	// first-run screen exclusive: neither can slip in while the other
	// checks that the store is fresh and acts on it.
	firstRunMu sync.Mutex
}

// New returns the API handler. It serves paths under /api/.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &server{cfg: cfg, log: cfg.Logger, started: time.Now()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", s.health)
	mux.HandleFunc("GET /api/version", s.version)
	mux.HandleFunc("GET /api/settings", s.getSettings)
	mux.HandleFunc("PUT /api/settings", s.putSettings)
	if cfg.Recovery != nil {
		mux.HandleFunc("GET /api/security/recovery-key", s.getRecoveryKey)
		mux.HandleFunc("POST /api/security/recovery-key/ack", s.ackRecoveryKey)
	}
	if cfg.Reception != nil {
		s.routeDossiers(mux)
	}
	if cfg.Sync != nil {
		s.routeSync(mux)
	}
	if cfg.Digitize != nil {
		s.routeScans(mux)
	}
	if cfg.Accounts != nil {
		s.routeAccounts(mux)
	}
	if cfg.Backups != nil {
		s.routeBackups(mux)
	}
	if cfg.AuditCheck != nil {
		mux.HandleFunc("GET /api/audit/verify", s.verifyAudit)
	}
	var h http.Handler
	mux.HandleFunc("POST /api/documents/open", func(w http.ResponseWriter, r *http.Request) { s.openDocument(h)(w, r) })
	h = s.logRequests(recoverPanics(s.log, s.crossOrigin(s.limitRate(s.authorize(mux, s.checkDiskSpace(mux, envelopeUnmatched(mux)))))))
	return h
}

// envelopeUnmatched answers requests that match no route (404) or no method
// (405) with the JSON error envelope instead of the mux's plain text.
func envelopeUnmatched(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			// Only ServeMux.ServeHTTP fills in the path values.
			mux.ServeHTTP(w, r)
			return
		}
		probe := &headerProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		if allow := probe.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		if probe.status == http.StatusMethodNotAllowed {
			writeError(w, r, http.StatusMethodNotAllowed, codeMethod, nil)
			return
		}
		writeError(w, r, http.StatusNotFound, codeNotFound, nil)
	})
}

// headerProbe captures the status and headers of the mux's fallback handler.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(code int)        { p.status = code }

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	if _, err := s.cfg.Store.Version(); err != nil {
		s.log.Error("health: store", "err", err)
		writeError(w, r, http.StatusServiceUnavailable, codeStoreUnavailable, nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "uptimeSeconds": int(time.Since(s.started).Seconds())})
}

func (s *server) version(w http.ResponseWriter, r *http.Request) {
	schema, _ := s.cfg.Store.Version()
	writeJSON(w, http.StatusOK, map[string]any{
		"name": "Một Cửa Xã", "version": s.cfg.Version, "schema": schema, "go": runtime.Version(),
		"desktop": s.cfg.OpenDocument != nil,
	})
}

func (s *server) getRecoveryKey(w http.ResponseWriter, r *http.Request) {
	key, ok, err := s.cfg.Recovery.PendingRecoveryKey(r.Context())
	if err != nil {
		s.internal(w, r, "recovery key", err)
		return
	}
	body := map[string]any{"pending": ok}
	if ok {
		body["recoveryKey"] = key
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *server) ackRecoveryKey(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Recovery.AckRecoveryKey(r.Context()); err != nil {
		s.internal(w, r, "ack recovery key", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"pending": false})
}
