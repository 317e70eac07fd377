package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"motcua/app/audit"
	"motcua/app/store"
)

// A restore chosen in the UI is prepared beside the running data and
// swapped in by ApplyPending at the next start, before the store opens:
//
//	DATA/restore-pending.partial/   being prepared (removed at start if left)
//	DATA/restore-pending/db, blobs  prepared and verified
//	DATA/restore-pending/restore.json   written last: the swap may happen
//	DATA/before-restore-STAMP/      the data that was replaced, kept
const (
	pendingDir    = "restore-pending"
	partialSuffix = ".partial"
	markerFile    = "restore.json"
)

// Pending is a restore prepared for the next start.
type Pending struct {
	Name         string       `json:"name"`    // the backup
	Created      time.Time    `json:"created"` // when the backup was made
	PreparedAt   time.Time    `json:"preparedAt"`
	By           string       `json:"by,omitempty"`
	Replaced     string       `json:"replaced"` // DATA/<Replaced> receives the data it replaces
	Verification Verification `json:"verification"`
}

// Pending returns the prepared restore, or nil.
func (s *Service) Pending() (*Pending, error) {
	return readPending(filepath.Join(s.cfg.DataDir, pendingDir))
}

func readPending(dir string) (*Pending, error) {
	b, err := os.ReadFile(filepath.Join(dir, markerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read prepared restore: %w", err)
	}
	var p Pending
	if err := json.Unmarshal(b, &p); err != nil || !nameRE.MatchString(p.Name) || filepath.Base(p.Replaced) != p.Replaced {
		return nil, fmt.Errorf("prepared restore marker is damaged: %v", err)
	}
	return &p, nil
}

// PrepareRestore restores the backup name from the folder into
// DATA/restore-pending and verifies it there. The running store and blobs
// are only read; the swap happens at the next start (ApplyPending).
func (s *Service) PrepareRestore(ctx context.Context, name, by string) (Pending, error) {
	if !nameRE.MatchString(name) {
		return Pending{}, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if err := s.claim("restore"); err != nil {
		return Pending{}, err
	}
	defer s.release()
	if p, err := s.Pending(); err != nil {
		return Pending{}, err
	} else if p != nil {
		return Pending{}, ErrRestorePending
	}
	doc, err := s.load()
	if err != nil {
		return Pending{}, err
	}
	if doc.Settings.Folder == "" {
		return Pending{}, ErrNotConfigured
	}
	if st, err := os.Stat(doc.Settings.Folder); err != nil || !st.IsDir() {
		return Pending{}, fmt.Errorf("%w: %s", ErrFolderMissing, doc.Settings.Folder)
	}
	dir := filepath.Join(doc.Settings.Folder, name)
	m, err := readManifest(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return Pending{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return Pending{}, fmt.Errorf("%w: %w", ErrVerify, err)
	}
	switch {
	case m.VaultID != s.cfg.VaultID:
		return Pending{}, fmt.Errorf("%w: %s", ErrOtherVault, name)
	case m.Schema > store.SchemaVersion():
		return Pending{}, fmt.Errorf("backup %s: %w", name, store.ErrNewerSchema)
	case !m.Verification.OK:
		return Pending{}, fmt.Errorf("%w: %s was not verified", ErrVerify, name)
	}
	if sum, err := fileSHA256(filepath.Join(dir, m.StoreFile)); err != nil || sum != m.StoreSHA256 {
		return Pending{}, fmt.Errorf("%w: store file of %s changed since it was written (%v)", ErrVerify, name, err)
	}
	if err := s.checkDataDisk(uint64(2*m.StoreSize + m.BlobBytes)); err != nil {
		return Pending{}, err
	}

	staging := filepath.Join(s.cfg.DataDir, pendingDir+partialSuffix)
	if err := os.RemoveAll(staging); err != nil {
		return Pending{}, err
	}
	if err := os.MkdirAll(filepath.Join(staging, blobsDir), 0o700); err != nil {
		return Pending{}, s.dataError("prepare restore", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(staging)
		}
	}()
	s.setPhase("store")
	if err := s.restoreStore(filepath.Join(dir, m.StoreFile), filepath.Join(staging, "db")); err != nil {
		return Pending{}, err
	}
	s.setPhase("blobs")
	src, err := listBlobs(filepath.Join(dir, blobsDir))
	if err != nil {
		return Pending{}, err
	}
	for _, b := range src {
		if err := copyFile(ctx, b.path, filepath.Join(staging, blobsDir, b.rel)); err != nil {
			if errors.Is(err, ErrTargetFull) {
				return Pending{}, fmt.Errorf("%w: %w", ErrDiskLow, err)
			}
			return Pending{}, err
		}
	}
	s.setPhase("verify")
	now := s.cfg.Now().UTC()
	p := Pending{Name: name, Created: m.Created, PreparedAt: now, By: by, Replaced: "before-restore-" + now.Local().Format(nameLayout)}
	// The restored data records where it came from, in its own chain.
	note := func(rs *store.Store) error {
		return rs.Update(func(x *store.Txn) error {
			_, err := audit.Append(x, audit.Entry{At: now, Actor: actorID(ctx, by), Role: audit.ActorFrom(ctx).Role,
				Action: "restore_from_backup", Object: "backup/" + name, Summary: "restored from backup " + name})
			return err
		})
	}
	v, err := s.checkRestored(ctx, Verification{At: now}, filepath.Join(staging, "db"), filepath.Join(staging, blobsDir), note)
	p.Verification = v
	if err != nil {
		return Pending{}, err
	}
	if err := writeJSONFile(filepath.Join(staging, markerFile), p); err != nil {
		return Pending{}, s.dataError("prepare restore", err)
	}
	if err := os.Rename(staging, filepath.Join(s.cfg.DataDir, pendingDir)); err != nil {
		return Pending{}, s.dataError("prepare restore", err)
	}
	done = true
	syncDir(s.cfg.DataDir)
	if err := s.auditLive(ctx, "prepare_restore", name); err != nil {
		s.log.Error("audit prepared restore", "err", err)
	}
	s.log.Info("restore prepared; it is applied at the next start", "backup", name)
	return p, nil
}

// CancelRestore forgets a prepared restore.
func (s *Service) CancelRestore(ctx context.Context) error {
	if err := s.claim("restore"); err != nil {
		return err
	}
	defer s.release()
	p, err := s.Pending()
	if err != nil || p == nil {
		return err
	}
	dir := filepath.Join(s.cfg.DataDir, pendingDir)
	// The rename makes the cancel atomic: a crash leaves a partial dir,
	// which the next start removes, never a half-removed restore to apply.
	partial := dir + partialSuffix
	if err := os.RemoveAll(partial); err != nil {
		return err
	}
	if err := os.Rename(dir, partial); err != nil {
		return fmt.Errorf("cancel restore: %w", err)
	}
	if err := os.RemoveAll(partial); err != nil {
		s.log.Warn("remove cancelled restore", "err", err)
	}
	return s.auditLive(ctx, "cancel_restore", p.Name)
}

func actorID(ctx context.Context, by string) string {
	if by != "" {
		return by
	}
	return audit.ActorFrom(ctx).ID
}

func (s *Service) auditLive(ctx context.Context, action, name string) error {
	who := audit.ActorFrom(ctx)
	return s.st.Update(func(x *store.Txn) error {
		_, err := audit.Append(x, audit.Entry{At: s.cfg.Now(), Actor: who.ID, Role: who.Role, Action: action, Object: "backup/" + name})
		return err
	})
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ApplyPending swaps a prepared restore into dataDir: the current db and
// blobs move to DATA/before-restore-STAMP (kept, never deleted by the app)
// and the prepared ones take their place. It runs at start, before the
// store opens, and holds the store's directory lock while it renames, so it
// fails with ErrInUse (and store.ErrLocked) instead of moving a store
// another process has open. Every step is a rename that is skipped when
// already done, so a crash part-way is finished by the next start. It
// returns the applied restore, or nil when none was prepared.
func ApplyPending(dataDir string, log *slog.Logger) (*Pending, error) {
	dir := filepath.Join(dataDir, pendingDir)
	p, err := readPending(dir)
	if err != nil || p == nil {
		return nil, err
	}
	unlock, err := lockDir(filepath.Join(dataDir, "db"))
	if err != nil {
		return nil, fmt.Errorf("apply restore: %w", err)
	}
	defer unlock()
	replaced := filepath.Join(dataDir, p.Replaced)
	if err := os.MkdirAll(replaced, 0o700); err != nil {
		return nil, fmt.Errorf("apply restore: %w", err)
	}
	for _, part := range []string{"db", blobsDir} {
		cur, next := filepath.Join(dataDir, part), filepath.Join(dir, part)
		if !exists(next) {
			continue
		}
		if exists(cur) {
			if err := os.Rename(cur, filepath.Join(replaced, part)); err != nil {
				return nil, fmt.Errorf("apply restore: move current %s aside: %w", part, err)
			}
		}
		if err := os.Rename(next, cur); err != nil {
			return nil, fmt.Errorf("apply restore: %w", err)
		}
	}
	syncDir(dataDir)
	if err := os.Remove(filepath.Join(dir, markerFile)); err != nil {
		return nil, fmt.Errorf("apply restore: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		log.Warn("remove restore dir", "err", err)
	}
	log.Info("restored from backup", "backup", p.Name, "replaced data kept in", replaced)
	return p, nil
}
