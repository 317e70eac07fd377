// Package syncing is the desk's use case of working with the provincial
// hub: enrolling this device, queueing every reception and action for the
// hub in the transaction that writes it, a sender loop that pushes the
// outbox when the hub answers its health check, a puller that brings the
// processing agency's changes back into the local dossiers through the
// state machine, and the status the Outbox screen shows.
//
// The desk never waits for the hub. Enqueueing is a few keys in the desk's
// own transaction; everything that touches the network runs in one
// goroutine owned by the Service, started by Start and ended by Close.
package syncing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/sync/client"
	"motcua/sync/outbox"
	"motcua/sync/wire"
)

// SettingsSource gives the office settings (the commune's agency code).
type SettingsSource interface {
	Settings(ctx context.Context) (office.Settings, error)
}

// ChangeApplier applies a change pulled from the hub to a local dossier
// (reception.Service implements it).
type ChangeApplier interface {
	ApplyHubChange(ctx context.Context, ch reception.HubChange, inTx func(x *store.Txn, r reception.HubResult) error) (reception.HubResult, error)
}

// BlobReader is an open file the outbox references.
type BlobReader interface {
	io.ReaderAt
	io.Closer
}

// BlobSource reads the files outbox items reference by SHA-256 (scans and
// PDFs from the scanning pipeline). An unknown blob wraps fs.ErrNotExist.
type BlobSource interface {
	OpenBlob(ctx context.Context, sha256 string) (BlobReader, error)
}

// ResultStore keeps the result papers the hub sends as files (the desk's
// blob store). Put returns the SHA-256 and size of what it stored.
type ResultStore interface {
	Has(sha256 string) (bool, error)
	Put(ctx context.Context, r io.Reader) (sha256 string, size int64, err error)
}

// ReferenceInstaller installs documents the province publishes (the
// procedure catalog, holiday overrides) with the desk's own import rules.
type ReferenceInstaller interface {
	InstallReference(ctx context.Context, doc wire.ReferenceDoc, raw []byte) error
}

// Config configures a Service.
type Config struct {
	Store  *store.Store
	Office SettingsSource
	// Blobs reads referenced files; nil parks items that reference any.
	Blobs BlobSource
	// Results stores result papers pulled from the hub; nil keeps only
	// their names.
	Results ResultStore
	// Reference installs published catalogs and calendars; nil ignores
	// them.
	Reference ReferenceInstaller
	// HubURL is the hub address offered before enrolment (for example from
	// MOTCUA_HUB_URL); the enrolled address wins once there is one.
	HubURL string
	// DeviceName is shown to hub admins; default "Máy một cửa (hostname)".
	DeviceName string
	AppVersion string
	Logger     *slog.Logger
	// Policy is the outbox's automatic retry schedule.
	Policy outbox.Policy
	// Client is the template of the hub client (HTTP client, retries,
	// chunk size); its BaseURL comes from the enrolment.
	Client client.Config
	// Batch bounds one push.
	Batch outbox.Limits
	// PollInterval is how often an idle, online desk pulls changes and
	// looks at its outbox (default 1 minute).
	PollInterval time.Duration
	// OfflineMin and OfflineMax bound the back-off of health checks while
	// the hub does not answer (default 2 s and 2 minutes).
	OfflineMin, OfflineMax time.Duration
	// Settle is how long a wake-up from an enqueue waits for the desk's
	// transaction to commit before reading the outbox (default 150 ms).
	Settle time.Duration
	// KeepSynced is how long synced items stay on the Outbox screen
	// before they are purged (default 30 days).
	KeepSynced time.Duration
	Now        func() time.Time
}

// Service runs the sync use case. Its methods are safe for concurrent use.
type Service struct {
	cfg Config
	st  *store.Store
	ob  *outbox.Outbox
	log *slog.Logger

	soft chan struct{} // an enqueue happened (may still be committing)
	kick chan struct{} // a person asked, or enrolment changed: go now

	// cycleMu serialises a sync cycle with enrolment, which replaces the
	// client under it.
	cycleMu sync.Mutex

	mu          sync.Mutex
	applier     ChangeApplier
	cl          *client.Client
	dev         *device
	online      bool
	checkedAt   time.Time
	problem     string // why the hub is not usable (a code), "" when fine
	problemMsg  string // the hub's Vietnamese words for it, if it gave any
	blocked     bool   // sending stopped until enrolment, Gửi lại or restart
	running     bool
	cancelCycle context.CancelFunc
	offlineN    int
	purgedAt    time.Time
	audit       auditRun  // the audit sender's back-off and problem (audit.go)
	keyAt       time.Time // when the bundle key of hub keyFor was last fetched (bundle_key.go)
	keyFor      string
	recipNext   time.Time // when to tell hub recipFor this desk's age recipient again (bundle_key.go)
	recipFor    string

	stop    context.CancelFunc
	wg      sync.WaitGroup
	started bool
}

// New opens the sync use case on a store. It loads the enrolment if there
// is one; nothing touches the network before Start.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Office == nil {
		return nil, errors.New("syncing: store and office settings are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Policy.Base <= 0 || cfg.Policy.Max <= 0 || cfg.Policy.MaxAttempts <= 0 {
		cfg.Policy = outbox.DefaultPolicy()
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Minute
	}
	if cfg.OfflineMin <= 0 {
		cfg.OfflineMin = 2 * time.Second
	}
	if cfg.OfflineMax <= 0 {
		cfg.OfflineMax = 2 * time.Minute
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 150 * time.Millisecond
	}
	if cfg.KeepSynced <= 0 {
		cfg.KeepSynced = 30 * 24 * time.Hour
	}
	if cfg.DeviceName == "" {
		host, _ := os.Hostname()
		cfg.DeviceName = "Máy một cửa"
		if host != "" {
			cfg.DeviceName += " (" + host + ")"
		}
	}
	if cfg.Client.Logger == nil {
		cfg.Client.Logger = cfg.Logger
	}
	s := &Service{
		cfg: cfg, st: cfg.Store, log: cfg.Logger.With("component", "sync"),
		ob:   outbox.New(cfg.Store, outbox.WithPolicy(cfg.Policy), outbox.WithClock(cfg.Now)),
		soft: make(chan struct{}, 1), kick: make(chan struct{}, 1),
	}
	dev, err := loadDevice(s.st)
	if err != nil {
		return nil, err
	}
	if dev != nil && dev.DeviceID != "" {
		// A desk enrolled before desks had an age identity gets one now;
		// the next online cycle tells the hub.
		if minted, err := dev.ensureAgeIdentity(); err != nil {
			return nil, err
		} else if minted {
			if err := saveDevice(s.st, dev); err != nil {
				return nil, fmt.Errorf("save age identity: %w", err)
			}
			s.log.Info("age identity minted for USB results bundles", "device", dev.DeviceID)
		}
		cl, err := s.newClient(dev.HubURL)
		if err != nil {
			return nil, err
		}
		cl.SetIdentity(client.Identity{DeviceID: dev.DeviceID, Key: dev.PrivateKey})
		s.dev, s.cl = dev, cl
	}
	return s, nil
}

// Outbox is the queue this service sends.
func (s *Service) Outbox() *outbox.Outbox { return s.ob }

func (s *Service) newClient(hubURL string) (*client.Client, error) {
	cc := s.cfg.Client
	cc.BaseURL = hubURL
	cl, err := client.New(cc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	return cl, nil
}

// Start runs the sender and puller until Close. applier brings pulled
// changes into the dossiers; nil leaves changes on the hub (push only).
func (s *Service) Start(applier ChangeApplier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	s.started, s.applier = true, applier
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.wg.Add(1)
	go s.run(ctx)
}

// Close stops the loop, abandoning a send in flight (its items go back to
// pending at the next start), and waits for it to end.
func (s *Service) Close() error {
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
	s.wg.Wait()
	return nil
}

// SyncNow asks the loop to check the hub and sync at once (the clerk's
// "Đồng bộ ngay"). It returns immediately; a stop caused by a refusal of
// the hub is lifted, since a person asked to try again.
func (s *Service) SyncNow() {
	s.mu.Lock()
	s.blocked = false
	s.audit.nextAt = time.Time{}
	s.mu.Unlock()
	s.poke(s.kick)
}

func (s *Service) poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// run is the loop's goroutine.
func (s *Service) run(ctx context.Context) {
	defer s.wg.Done()
	if n, err := s.ob.Recover(); err != nil {
		s.log.Error("outbox recover", "err", err)
	} else if n > 0 {
		s.log.Info("outbox items left mid-send by the last run are pending again", "count", n)
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.kick:
		case <-s.soft:
			s.mu.Lock()
			offline := !s.online
			s.mu.Unlock()
			if offline {
				// The hub did not answer lately: new items wait for the
				// next health check instead of hammering a dead link.
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(s.cfg.Settle):
			}
		}
		next := s.cycle(ctx)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(next)
	}
}

// cycle checks the hub and, when it answers, pushes the outbox and pulls
// changes. It returns how long to wait before the next cycle.
func (s *Service) cycle(parent context.Context) time.Duration {
	s.cycleMu.Lock()
	defer s.cycleMu.Unlock()
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	s.mu.Lock()
	cl, applier, blocked := s.cl, s.applier, s.blocked
	s.running, s.cancelCycle = cl != nil, cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running, s.cancelCycle = false, nil
		s.mu.Unlock()
	}()
	s.purge()
	if cl == nil {
		return s.cfg.PollInterval
	}
	if _, err := cl.Health(ctx); err != nil {
		if ctx.Err() != nil {
			return s.cfg.PollInterval
		}
		return s.offline(err)
	}
	s.markOnline()
	s.learnHubKey(ctx, cl)
	s.tellRecipient(ctx, cl)
	if blocked {
		s.holdBack()
		return s.cfg.PollInterval
	}
	next, err := s.pushAll(ctx, cl)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("push stopped", "err", err)
	}
	if err == nil {
		next = s.pushAudit(ctx, cl, next)
	}
	if err == nil && applier != nil {
		if err := s.pullAll(ctx, cl, applier); err != nil && ctx.Err() == nil {
			s.log.Warn("pull stopped", "err", err)
		}
	}
	wait := s.cfg.PollInterval
	if !next.IsZero() {
		wait = min(wait, max(next.Sub(s.cfg.Now()), 10*time.Millisecond))
	}
	return wait
}

// takeCycle stops a running cycle and holds off the next one until the
// returned func is called: for work that must not interleave with a push
// or a pull (importing a bundle moves the pull cursor).
func (s *Service) takeCycle() (release func()) {
	s.mu.Lock()
	if s.cancelCycle != nil {
		s.cancelCycle()
	}
	s.mu.Unlock()
	s.cycleMu.Lock()
	return s.cycleMu.Unlock
}

// offline records a failed health check and returns the back-off.
func (s *Service) offline(err error) time.Duration {
	code := problemCode(err)
	msg := ""
	if _, m, ok := HubMessage(err); ok {
		msg = m
	}
	s.mu.Lock()
	wasOnline := s.online || s.checkedAt.IsZero()
	s.online, s.checkedAt, s.problem, s.problemMsg = false, s.cfg.Now(), code, msg
	s.offlineN++
	n := s.offlineN
	s.mu.Unlock()
	if wasOnline {
		s.log.Info("hub not reachable; the desk keeps working and will sync when it answers", "problem", code, "err", err)
	}
	d := s.cfg.OfflineMin
	for i := 1; i < n && d < s.cfg.OfflineMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.OfflineMax)
	return d/2 + time.Duration(rand.Float64()*float64(d/2))
}

func (s *Service) markOnline() {
	s.mu.Lock()
	was := s.online
	s.online, s.checkedAt, s.offlineN = true, s.cfg.Now(), 0
	if !s.blocked {
		s.problem, s.problemMsg = "", ""
	}
	s.mu.Unlock()
	if !was {
		s.log.Info("hub reachable")
	}
}

// block stops sending after a refusal no resend can fix.
func (s *Service) block(err error) {
	code, msg, _ := HubMessage(err)
	if code == "" {
		code = problemCode(err)
	}
	s.mu.Lock()
	s.blocked, s.problem, s.problemMsg = true, code, msg
	s.mu.Unlock()
	s.log.Warn("sending stopped until a person acts", "problem", code, "err", err)
}

// purge drops synced items older than KeepSynced, once a day.
func (s *Service) purge() {
	now := s.cfg.Now()
	if now.Sub(s.purgedAt) < 24*time.Hour {
		return
	}
	s.purgedAt = now
	if n, err := s.ob.Purge(now.Add(-s.cfg.KeepSynced)); err != nil {
		s.log.Error("outbox purge", "err", err)
	} else if n > 0 {
		s.log.Info("synced outbox items purged", "count", n)
	}
}

// holdBack gives the items that would be sent now the reason sending
// stopped, without sending them: a revoked device parks them (a person
// must enrol again), an outdated app leaves them pending with the reason.
func (s *Service) holdBack() {
	s.mu.Lock()
	code, msg := s.problem, s.problemMsg
	s.mu.Unlock()
	kind := outbox.OutcomeRelease
	if authCodes[code] {
		kind = outbox.OutcomePark
	}
	items, _, err := s.ob.Ready(outbox.Limits{Items: 500, Bytes: 1 << 40})
	if err != nil {
		s.log.Error("outbox", "err", err)
		return
	}
	var outs []outbox.Outcome
	for _, it := range items {
		if it.Code != code || it.State == outbox.StateUploading {
			outs = append(outs, outbox.Outcome{ID: it.ID(), Kind: kind, Code: code, Reason: msg})
		}
	}
	if len(outs) == 0 {
		return
	}
	if _, err := s.ob.Apply(outs); err != nil {
		s.log.Error("outbox", "err", err)
	}
}

// ListOutbox returns a page of outbox items for the Outbox screen.
func (s *Service) ListOutbox(ctx context.Context, q outbox.ListQuery) (outbox.Page, error) {
	return s.ob.List(q)
}

// Retry is the clerk's "Gửi lại" on one outbox item.
func (s *Service) Retry(ctx context.Context, id string) (outbox.Item, error) {
	it, err := s.ob.Retry(id)
	if err != nil {
		return outbox.Item{}, err
	}
	s.SyncNow()
	return it, nil
}

// Status is what the desk shows about syncing.
type Status struct {
	Enrolled    bool       `json:"enrolled"`
	HubURL      string     `json:"hubUrl"`
	DeviceID    string     `json:"deviceId,omitempty"`
	DeviceName  string     `json:"deviceName,omitempty"`
	CommuneCode string     `json:"communeCode,omitempty"`
	CommuneName string     `json:"communeName,omitempty"`
	EnrolledAt  *time.Time `json:"enrolledAt,omitempty"`
	// Online is whether the hub answered its last health check.
	Online    bool       `json:"online"`
	CheckedAt *time.Time `json:"checkedAt,omitempty"`
	// Problem is why the hub is not usable, or why sending stopped
	// (Blocked); ProblemMessage the hub's own words, when it gave any.
	Problem        string `json:"problem,omitempty"`
	ProblemMessage string `json:"problemMessage,omitempty"`
	Blocked        bool   `json:"blocked"`
	Syncing        bool   `json:"syncing"`

	LastPushAt *time.Time `json:"lastPushAt,omitempty"`
	LastPullAt *time.Time `json:"lastPullAt,omitempty"`

	Outbox outbox.Counts `json:"outbox"`
	// AuditStatus says how much of the audit chain the hub lacks (audit.go).
	AuditStatus
	Conflicts int `json:"conflicts"`
	// ClockOffset is the hub's clock minus this PC's, in seconds.
	ClockOffset int64 `json:"clockOffsetSeconds"`
	// HubKeyID names the hub's bundle key once the desk has learned it:
	// only then can it import a changes bundle (bundle.go).
	HubKeyID string `json:"hubKeyId,omitempty"`
}

// Status reads the current state; it never waits for the network.
func (s *Service) Status(ctx context.Context) (Status, error) {
	counts, err := s.ob.Counts()
	if err != nil {
		return Status{}, err
	}
	st, err := loadState(s.st)
	if err != nil {
		return Status{}, err
	}
	conflicts, err := s.countConflicts()
	if err != nil {
		return Status{}, err
	}
	auditStatus, err := s.auditStatus()
	if err != nil {
		return Status{}, err
	}
	out := Status{Outbox: counts, AuditStatus: auditStatus, Conflicts: conflicts, HubURL: s.cfg.HubURL, LastPushAt: st.LastPushAt, LastPullAt: st.LastPullAt}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(st.HubKey) > 0 && s.cl != nil && st.HubKeyHub == s.cl.BaseURL() {
		out.HubKeyID = wire.BundleKeyID(st.HubKey)
	}
	if d := s.dev; d != nil && d.DeviceID != "" {
		at := d.EnrolledAt
		out.Enrolled, out.HubURL, out.DeviceID, out.DeviceName = true, d.HubURL, d.DeviceID, d.DeviceName
		out.CommuneCode, out.CommuneName, out.EnrolledAt = d.CommuneCode, d.CommuneName, &at
	}
	if !s.checkedAt.IsZero() {
		at := s.checkedAt
		out.CheckedAt = &at
	}
	out.Online, out.Problem, out.ProblemMessage, out.Blocked, out.Syncing = s.online, s.problem, s.problemMsg, s.blocked, s.running
	if s.cl != nil {
		out.ClockOffset = int64(s.cl.ClockOffset().Round(time.Second) / time.Second)
	}
	return out, nil
}

// syncState is persisted beside the enrolment.
type syncState struct {
	// Reference maps each published document to the digest last installed
	// (or refused) from it.
	Reference  map[string]string `json:"reference,omitempty"`
	Cursor     string            `json:"cursor"`
	CursorHub  string            `json:"cursorHub"` // the hub the cursor belongs to
	LastPushAt *time.Time        `json:"lastPushAt,omitempty"`
	LastPullAt *time.Time        `json:"lastPullAt,omitempty"`
	// HubKey is the hub's bundle public key as HubKeyHub served it; a
	// changes bundle must verify with it.
	HubKey    []byte `json:"hubKey,omitempty"`
	HubKeyHub string `json:"hubKeyHub,omitempty"`
	// HubAge is the age recipient HubKeyHub served with HubKey; outbox
	// bundles are encrypted to it ("" until a hub served one).
	HubAge string `json:"hubAge,omitempty"`
}

func loadState(st *store.Store) (syncState, error) {
	var s syncState
	err := st.View(func(x *store.Txn) error { return x.GetJSON(store.KeySyncState(), &s) })
	if errors.Is(err, store.ErrNotFound) {
		return syncState{}, nil
	}
	return s, err
}

// updateState changes the persisted state in one transaction.
func (s *Service) updateState(fn func(*syncState)) error {
	return s.st.Update(func(x *store.Txn) error {
		var cur syncState
		if err := x.GetJSON(store.KeySyncState(), &cur); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		fn(&cur)
		return x.SetJSON(store.KeySyncState(), cur)
	})
}
