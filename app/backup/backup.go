// Package backup is the scheduled-backup use case: an admin picks a folder
// (a USB drive), a schedule and how many backups to keep; a loop owned by
// the app writes encrypted backups there, proves each one by restoring it
// into a temporary directory, rotates old ones only after the new one
// verified, and records the outcome in the store. It also prepares a
// restore chosen in the UI beside the running data, to be swapped in at the
// next start, so the running store is never touched.
//
// One backup is a directory in the folder:
//
//	FOLDER/motcua-20260115-120000/
//	    store.mcbak     the store: app/store's backup file (JSON header with
//	                    the wrapped vault, age-encrypted gzip body)
//	    blobs/ab/…      copies of DATA/blobs (already encrypted by app/blobs)
//	    manifest.json   what was written and how it verified; written last
//
// A directory rather than one archive: blob files are immutable and named by
// content, so a backup hard-links the files the previous backup already
// holds where the folder's filesystem allows it (a USB drive formatted FAT32
// or exFAT does not, and gets copies), no file grows past FAT32's 4 GiB limit
// because of scans, and an admin can see and copy backups with a file
// manager. A backup is written under ".partial-NAME" and renamed to NAME only
// after it verified, so a crash, an unplugged drive or a full disk never
// leaves something that looks like a backup.
package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"motcua/app/store"
	"motcua/app/vault"
)

var (
	// ErrNotConfigured means no backup folder was chosen.
	ErrNotConfigured = errors.New("no backup folder configured")
	// ErrFolderMissing means the backup folder does not exist (a USB drive
	// that is not plugged in).
	ErrFolderMissing = errors.New("backup folder not found")
	// ErrFolderNotWritable means the folder exists but cannot be written.
	ErrFolderNotWritable = errors.New("backup folder is not writable")
	// ErrTargetFull means the backup folder's drive has no room.
	ErrTargetFull = errors.New("backup drive is full")
	// ErrDiskLow means the data dir's disk is below the reserve kept free
	// for the desk's own work.
	ErrDiskLow = errors.New("data disk is almost full")
	// ErrBusy means a backup or a restore is already running.
	ErrBusy = errors.New("a backup or restore is already running")
	// ErrVerify means a backup did not restore cleanly.
	ErrVerify = errors.New("backup did not verify")
	// ErrNotFound means there is no backup of that name in the folder.
	ErrNotFound = errors.New("backup not found")
	// ErrOtherVault means the backup was made by another data dir's vault
	// and needs its recovery key (PrepareFrom).
	ErrOtherVault = errors.New("backup belongs to another vault")
	// ErrRestorePending means a restore is already prepared for the next
	// start.
	ErrRestorePending = errors.New("a restore is already prepared")
	// ErrUnencrypted means another PC's backup was made before encryption
	// at rest; it restores only with the command line into a new data dir.
	ErrUnencrypted = errors.New("backup of a store without encryption")
	// ErrKeyRequired means another PC's backup needs its recovery key.
	ErrKeyRequired = errors.New("recovery key required")
	// ErrInsideData means the backup folder is inside the data dir.
	ErrInsideData = errors.New("backup folder inside the data dir")
	// ErrInUse means the data dir is open in another process, so a
	// prepared restore cannot be swapped in now.
	ErrInUse = errors.New("data directory is in use")
)

// DefaultMinFree is the space kept free on the data dir's disk: below it
// the desk refuses new work (receptions, scans, backups) so what is already
// stored stays safe.
const DefaultMinFree = 200 << 20

// Config wires the service.
type Config struct {
	Store *store.Store
	// DataDir holds db/ and blobs/; temporary restores go under DataDir/tmp
	// and a prepared restore under DataDir/restore-pending.
	DataDir string
	// Encrypt encrypts the store backup (app/cli's backupOptions).
	Encrypt store.BackupOptions
	// Decrypt returns the plain body of a backup whose header is h.
	Decrypt func(h store.BackupHeader, body io.Reader) (io.Reader, error)
	// DataKey encrypts a restored store (the vault's data key; nil for a
	// store made before encryption at rest).
	DataKey []byte
	// BlobKey authenticates the blob files (app/blobs).
	BlobKey []byte
	// VaultID is the data dir's vault; other vaults' backups restore from
	// the UI with their recovery key (PrepareFrom).
	VaultID string
	// VaultOptions give another vault restored from the UI a slot for this
	// PC (machine key dir, OS keyring).
	VaultOptions vault.Options
	// Version is the app version written in each manifest.
	Version string
	// MinFree is the reserve on the data disk (DefaultMinFree when 0).
	MinFree uint64
	// FreeBytes reports the free bytes of the filesystem holding dir
	// (FreeBytes when nil); tests fake a full disk with it.
	FreeBytes func(dir string) (uint64, error)
	// Now is the clock (time.Now when nil); its location is the schedule's.
	Now func() time.Time
	// Tick is how often the scheduler looks at the clock (1 minute when 0).
	Tick   time.Duration
	Logger *slog.Logger
}

// Service runs backups and restores, one at a time.
type Service struct {
	cfg Config
	st  *store.Store
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	wake   chan struct{}

	mu       sync.Mutex
	job      string // "", "backup" or "restore"
	phase    string
	started  time.Time
	loopOnce sync.Once
}

// New returns the service. It removes what an interrupted verification or
// restore preparation left in the data dir.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.DataDir == "" || len(cfg.BlobKey) != 32 {
		return nil, errors.New("backup: store, data dir and a 32-byte blob key are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FreeBytes == nil {
		cfg.FreeBytes = FreeBytes
	}
	if cfg.MinFree == 0 {
		cfg.MinFree = DefaultMinFree
	}
	if cfg.Tick <= 0 {
		cfg.Tick = time.Minute
	}
	if cfg.Decrypt == nil {
		cfg.Decrypt = func(_ store.BackupHeader, body io.Reader) (io.Reader, error) { return body, nil }
	}
	leftovers, _ := filepath.Glob(filepath.Join(cfg.DataDir, "tmp", verifyPrefix+"*"))
	leftovers = append(leftovers, filepath.Join(cfg.DataDir, pendingDir+partialSuffix))
	for _, p := range leftovers {
		if err := os.RemoveAll(p); err != nil {
			return nil, fmt.Errorf("backup: remove leftover %s: %w", p, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{cfg: cfg, st: cfg.Store, log: cfg.Logger, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1)}, nil
}

// Start starts the scheduler loop; Close stops it.
func (s *Service) Start() {
	s.loopOnce.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.ctx.Err() == nil {
			s.wg.Add(1)
			go s.loop()
		}
	})
}

// Close stops the scheduler and any running backup (its partial directory
// is removed) and waits for them and for a restore being prepared.
func (s *Service) Close() {
	s.mu.Lock()
	s.cancel() // under mu: a job claimed before this is in wg
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Service) loop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
		due, ok, err := s.due()
		if err != nil {
			s.log.Error("backup schedule", "err", err)
			continue
		}
		if ok && !s.cfg.Now().Before(due) {
			if err := s.start("schedule", ""); err != nil && !errors.Is(err, ErrBusy) {
				s.log.Error("scheduled backup", "err", err)
			}
		}
	}
}

// poke makes the scheduler look at the clock now (after a settings change).
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// claim reserves the single job slot; Close waits for the job until its
// release.
func (s *Service) claim(job string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return fmt.Errorf("backup service closed: %w", s.ctx.Err())
	}
	if s.job != "" {
		return ErrBusy
	}
	s.job, s.phase, s.started = job, "", s.cfg.Now()
	s.wg.Add(1)
	return nil
}

func (s *Service) release() {
	s.mu.Lock()
	s.job, s.phase = "", ""
	s.mu.Unlock()
	s.wg.Done()
}

func (s *Service) setPhase(p string) {
	s.mu.Lock()
	s.phase = p
	s.mu.Unlock()
}

// BackupNow starts a backup in the background and returns at once; the
// outcome appears in Status. ErrBusy when one is running.
func (s *Service) BackupNow(ctx context.Context, by string) error {
	doc, err := s.load()
	if err != nil {
		return err
	}
	if doc.Settings.Folder == "" {
		return ErrNotConfigured
	}
	return s.start("manual", by)
}

func (s *Service) start(trigger, by string) error {
	if err := s.claim("backup"); err != nil {
		return err
	}
	go func() {
		defer s.release()
		res := s.run(s.ctx, trigger, by)
		if err := s.record(res); err != nil {
			s.log.Error("record backup result", "err", err)
		}
	}()
	return nil
}

// Wait blocks until no job runs (tests and the command line).
func (s *Service) Wait(ctx context.Context) error {
	for {
		s.mu.Lock()
		idle := s.job == ""
		s.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
