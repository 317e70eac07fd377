package hub

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"motcua/sync/wire"
)

// Server is the hub: an http.Handler over PostgreSQL and a BlobStore.
type Server struct {
	cfg     Config
	db      *pgxpool.Pool
	blobs   BlobStore
	log     *slog.Logger
	handler http.Handler
	metrics *metrics
	uploads keyLocks
	epoch   string // prefix of pull cursors; see hub_meta
	// bundleKey signs the changes bundles carried to communes (bundle.go).
	bundleKey ed25519.PrivateKey
	refs      refCache // published reference documents (reference.go)
}

// New connects to the database, migrates its schema and returns a Server.
// Close releases it.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("hub: database url: %w", err)
	}
	pcfg.MaxConns = cfg.MaxDBConns
	db, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("hub: database: %w", err)
	}
	version, err := Migrate(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("hub: %w", err)
	}
	s := &Server{cfg: cfg, db: db, blobs: cfg.Blobs, log: cfg.Logger, metrics: newMetrics()}
	if err := db.QueryRow(ctx, "SELECT epoch FROM hub_meta").Scan(&s.epoch); err != nil {
		db.Close()
		return nil, fmt.Errorf("hub: read epoch: %w", err)
	}
	if s.bundleKey, err = loadBundleKey(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("hub: %w", err)
	}
	s.handler = s.routes()
	s.log.Info("hub ready", "schema", version, "protocol", wire.Current.String(), "epoch", s.epoch)
	return s, nil
}

// Close releases the database pool. Stop serving requests first.
func (s *Server) Close() { s.db.Close() }

// DB exposes the pool, for tools and tests that read the hub's tables.
func (s *Server) DB() *pgxpool.Pool { return s.db }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Run does the hub's background housekeeping until ctx ends: expired nonces
// and staff sessions are purged every minute. The caller owns this goroutine.
func (s *Server) Run(ctx context.Context) error {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if n, err := s.PurgeExpired(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("purge expired nonces", "err", err)
		} else if n > 0 {
			s.log.Debug("purged expired nonces", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// PurgeExpired deletes nonces and staff sessions past their expiry and
// returns how many nonces went.
func (s *Server) PurgeExpired(ctx context.Context) (int64, error) {
	tag, err := s.db.Exec(ctx, "DELETE FROM nonces WHERE expires_at < $1", s.cfg.Now())
	if err != nil {
		return 0, fmt.Errorf("purge nonces: %w", err)
	}
	if _, err := s.db.Exec(ctx, "DELETE FROM staff_sessions WHERE expires_at < $1", s.cfg.Now()); err != nil {
		return 0, fmt.Errorf("purge staff sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/health", s.health)
	mux.HandleFunc("POST /v1/enrol", s.enrol)
	mux.HandleFunc("POST /v1/push", s.device(s.handlePush))
	mux.HandleFunc("GET /v1/changes", s.device(s.handlePull))
	mux.HandleFunc("POST /v1/blobs/missing", s.device(s.handleMissing))
	mux.HandleFunc("HEAD /v1/blobs/{sum}", s.device(s.handleBlobHead))
	mux.HandleFunc("PATCH /v1/blobs/{sum}", s.device(s.handleBlobPatch))
	mux.HandleFunc("GET /v1/blobs/{sum}", s.device(s.handleBlobGet))
	mux.HandleFunc("GET /v1/reference/{name}", s.device(s.handleReference))
	mux.HandleFunc("POST "+wire.PathAudit, s.device(s.handleAudit))
	mux.HandleFunc("GET "+wire.BundleKeyPath, s.handleBundleKey)
	mux.HandleFunc("PUT "+wire.DeviceRecipientPath, s.device(s.handleDeviceRecipient))
	mux.HandleFunc("GET /metrics", s.metrics.serve)

	mux.HandleFunc("PUT /admin/v1/agencies/{code}", s.admin(s.adminPutAgency))
	mux.HandleFunc("POST /admin/v1/enrolment-codes", s.admin(s.adminEnrolCode))
	mux.HandleFunc("GET /admin/v1/devices", s.admin(s.adminDevices))
	mux.HandleFunc("POST /admin/v1/devices/{id}/revoke", s.admin(s.adminRevoke))
	mux.HandleFunc("POST /admin/v1/dossiers/{id}/changes", s.admin(s.adminChange))
	mux.HandleFunc("POST /admin/v1/blobs", s.admin(s.adminPutBlob))
	mux.HandleFunc("GET /admin/v1/blobs/{sum}", s.admin(s.adminGetBlob))
	mux.HandleFunc("GET /admin/v1/export/dvcqg", s.admin(s.adminExport))
	mux.HandleFunc("POST /admin/v1/bundles", s.admin(s.adminImportBundle))
	mux.HandleFunc("GET /admin/v1/devices/{id}/changes-bundle", s.admin(s.adminExportBundle))
	return s.observe(recoverPanics(s.log, envelopeUnmatched(mux)))
}

// envelopeUnmatched answers 404 and 405 with the error envelope instead of
// the mux's plain text, so clients can always parse an error.
func envelopeUnmatched(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &statusProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		if allow := probe.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		if probe.status == http.StatusMethodNotAllowed {
			fail(w, http.StatusMethodNotAllowed, wire.CodeMethod)
			return
		}
		fail(w, http.StatusNotFound, wire.CodeNotFound)
	})
}

type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }

func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic in handler", "panic", v, "path", r.URL.Path)
				fail(w, http.StatusInternalServerError, wire.CodeInternal)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status for logs and metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
	device string
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (read deadlines
// for slow uploads).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Observe logs each request of next and counts it in the metrics by its
// route pattern, as the hub does for its own API: the staff UI wraps its
// pages with it.
func (s *Server) Observe(next http.Handler) http.Handler { return s.observe(next) }

func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.metrics.request(route, rec.status, d)
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(r.Context(), level, "request", "method", r.Method, "route", route, "status", rec.status,
			"ms", d.Milliseconds(), "device", r.Header.Get(wire.HeaderDevice))
	})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	resp := wire.HealthResponse{
		Marker:      wire.HealthMarker,
		Challenge:   r.URL.Query().Get("challenge"),
		Protocol:    wire.Current.String(),
		MinProtocol: wire.Version{Major: wire.MinMajor}.String(),
		HubTime:     s.cfg.Now().UTC(),
		Database:    "ok",
	}
	if len(resp.Challenge) > 128 {
		fail(w, http.StatusBadRequest, wire.CodeBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status := http.StatusOK
	if err := s.db.Ping(ctx); err != nil {
		s.log.Warn("health: database", "err", err)
		resp.Database = "unavailable"
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, resp)
}

// internal logs err and answers 503 when the database is unreachable or
// the request was cancelled, 500 otherwise; both tell the client to retry.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, op string, err error) {
	if r.Context().Err() != nil {
		s.log.Info(op+": client gone", "err", err)
		return
	}
	s.log.Error(op, "err", err, "path", r.URL.Path)
	if isUnavailable(err) {
		fail(w, http.StatusServiceUnavailable, wire.CodeUnavailable)
		return
	}
	fail(w, http.StatusInternalServerError, wire.CodeInternal)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on Linux ≥ 3.17
	}
	return hex.EncodeToString(b)
}

// newUUIDv7 mints a time-ordered ID for records the hub creates itself.
func newUUIDv7(now time.Time) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	ms := uint64(now.UnixMilli())
	for i := 0; i < 6; i++ {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func parseInt64(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}
