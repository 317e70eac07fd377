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
	"strings"
	"time"

	"motcua/app/audit"
	"motcua/app/store"
	"motcua/app/vault"
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
	// From is the path of a backup chosen by path (PrepareFrom).
	From string `json:"from,omitempty"`
	// OtherPC is set for another vault's backup: its vault.json replaces
	// this data dir's too.
	OtherPC bool `json:"otherPc,omitempty"`
	// DeviceForgotten says the copy's hub enrolment was dropped.
	DeviceForgotten bool `json:"deviceForgotten,omitempty"`
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
	if err := json.Unmarshal(b, &p); err != nil || p.Name == "" || filepath.Base(p.Replaced) != p.Replaced {
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
	if err := s.noPending(); err != nil {
		return Pending{}, err
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
	src, err := openBackupDir(filepath.Join(doc.Settings.Folder, name))
	if err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, store.ErrNewerSchema) {
			return Pending{}, err
		}
		return Pending{}, fmt.Errorf("%w: %w", ErrVerify, err)
	}
	if src.Manifest.VaultID != s.cfg.VaultID {
		return Pending{}, fmt.Errorf("%w: %s", ErrOtherVault, name)
	}
	return s.prepare(ctx, prepareJob{src: src, keys: s.own(), chain: s.liveChain, by: by})
}

// PrepareFrom prepares, like PrepareRestore, the restore of the backup at
// path (Locate: a backup directory, a folder of backups, a store file) —
// typically another PC's backup brought on a USB drive. A backup of
// another vault is opened with its recovery key; its vault then replaces
// this data dir's at the next start, with a slot for this PC, and unless
// keepDevice its hub enrolment is dropped (this PC enrols again). A wrong
// key is vault.ErrBadSecret; nothing of the running data is changed
// either way.
func (s *Service) PrepareFrom(ctx context.Context, path, recoveryKey, by string, keepDevice bool) (Pending, error) {
	return s.prepareFrom(ctx, fromRequest{path: path, recoveryKey: recoveryKey, by: by, keepDevice: keepDevice})
}

// PrepareFirstRun is PrepareFrom for the first-run screen of a new PC,
// before any account exists: it is refused with ErrNotFresh unless the
// store is fresh (Fresh) — checked before the backup is read and again
// just before the prepared restore is committed —, and the backup is
// always opened with recoveryKey, which is what authorises it
// (ErrKeyRequired without one, even for a backup of this very vault, and
// ErrUnencrypted for a backup that has no vault to open).
func (s *Service) PrepareFirstRun(ctx context.Context, path, recoveryKey string, keepDevice bool) (Pending, error) {
	return s.prepareFrom(ctx, fromRequest{path: path, recoveryKey: recoveryKey, by: FirstRunActor, keepDevice: keepDevice, firstRun: true})
}

type fromRequest struct {
	path, recoveryKey, by string
	keepDevice, firstRun  bool
}

func (s *Service) prepareFrom(ctx context.Context, r fromRequest) (Pending, error) {
	if err := s.claim("restore"); err != nil {
		return Pending{}, err
	}
	defer s.release()
	if err := s.noPending(); err != nil {
		return Pending{}, err
	}
	noKey := strings.TrimSpace(r.recoveryKey) == ""
	if r.firstRun {
		if noKey {
			return Pending{}, fmt.Errorf("%w: first-run restore", ErrKeyRequired)
		}
		if err := s.mustBeFresh(); err != nil {
			return Pending{}, err
		}
	}
	src, err := Locate(r.path)
	if err != nil {
		return Pending{}, err
	}
	if !r.firstRun && src.VaultID() == s.cfg.VaultID {
		return s.prepare(ctx, prepareJob{src: src, keys: s.own(), chain: s.liveChain, by: r.by, from: src.StoreFile})
	}
	if src.Vault == nil {
		return Pending{}, fmt.Errorf("%w: %s", ErrUnencrypted, src.Name)
	}
	if noKey {
		return Pending{}, fmt.Errorf("%w: %s", ErrKeyRequired, src.Name)
	}
	v, err := vault.UnlockFile(*src.Vault, vault.Options{RecoveryKey: r.recoveryKey})
	if err != nil {
		return Pending{}, fmt.Errorf("backup %s: %w", src.Name, err)
	}
	j := prepareJob{src: src, keys: KeysOf(v), chain: manifestChain(src.Manifest), by: r.by, from: src.StoreFile,
		vault: v, vaultOpts: s.cfg.VaultOptions, forgetDevice: !r.keepDevice}
	if r.firstRun {
		j.beforeCommit = s.mustBeFresh
	}
	return s.prepare(ctx, j)
}

func (s *Service) noPending() error {
	p, err := s.Pending()
	if err != nil {
		return err
	}
	if p != nil {
		return ErrRestorePending
	}
	return nil
}

func (s *Service) prepare(ctx context.Context, j prepareJob) (Pending, error) {
	j.dataDir, j.now, j.log, j.phase, j.checkDisk = s.cfg.DataDir, s.cfg.Now().UTC(), s.log, s.setPhase, s.checkDataDisk
	p, err := prepare(ctx, j)
	if err != nil {
		return Pending{}, err
	}
	if err := s.auditLive(ctx, "prepare_restore", p.Name); err != nil {
		s.log.Error("audit prepared restore", "err", err)
	}
	s.log.Info("restore prepared; it is applied at the next start", "backup", p.Name, "other_pc", p.OtherPC)
	return p, nil
}

// prepareJob is one restore to stage in DATA/restore-pending.
type prepareJob struct {
	dataDir string
	src     Source
	keys    Keys
	chain   func(audit.Report) error
	by      string // who asked, for the restored chain
	from    string // the path given, for another PC's backup
	// vault, when set, is written into the staged data dir with a slot
	// for this PC (a backup of another vault).
	vault        *vault.Vault
	vaultOpts    vault.Options
	forgetDevice bool
	now          time.Time
	log          *slog.Logger
	phase        func(string)
	checkDisk    func(extra uint64) error
	// beforeCommit, when set, may still refuse the verified copy just
	// before it becomes the restore applied at the next start.
	beforeCommit func() error
}

// prepare restores j.src into DATA/restore-pending.partial, verifies the
// copy, records the restore in the copy's own audit chain, and renames it
// to DATA/restore-pending with its marker written last.
func prepare(ctx context.Context, j prepareJob) (Pending, error) {
	m := j.src.Manifest
	need := uint64(0)
	if m != nil {
		if !m.Verification.OK {
			return Pending{}, fmt.Errorf("%w: %s was not verified", ErrVerify, j.src.Name)
		}
		if sum, err := fileSHA256(j.src.StoreFile); err != nil || sum != m.StoreSHA256 {
			return Pending{}, fmt.Errorf("%w: store file of %s changed since it was written (%v)", ErrVerify, j.src.Name, err)
		}
		need = uint64(2*m.StoreSize + m.BlobBytes)
	} else if st, err := os.Stat(j.src.StoreFile); err == nil {
		need = uint64(2 * st.Size())
	}
	if err := j.checkDisk(need); err != nil {
		return Pending{}, err
	}

	staging := filepath.Join(j.dataDir, pendingDir+partialSuffix)
	if err := os.RemoveAll(staging); err != nil {
		return Pending{}, err
	}
	if err := os.MkdirAll(filepath.Join(staging, blobsDir), 0o700); err != nil {
		return Pending{}, dataError("prepare restore", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(staging)
		}
	}()
	j.phase("store")
	if err := restoreStore(j.src.StoreFile, filepath.Join(staging, "db"), j.keys, j.log); err != nil {
		return Pending{}, err
	}
	j.phase("blobs")
	var src []blobFile
	if j.src.BlobDir != "" {
		var err error
		if src, err = listBlobs(j.src.BlobDir); err != nil {
			return Pending{}, err
		}
	}
	for _, b := range src {
		if err := copyFile(ctx, b.path, filepath.Join(staging, blobsDir, b.rel)); err != nil {
			if errors.Is(err, ErrTargetFull) {
				return Pending{}, fmt.Errorf("%w: %w", ErrDiskLow, err)
			}
			return Pending{}, err
		}
	}
	j.phase("verify")
	created := j.src.Header.Created
	if m != nil {
		created = m.Created
	}
	p := Pending{Name: j.src.Name, Created: created, PreparedAt: j.now, By: j.by, Replaced: "before-restore-" + j.now.Local().Format(nameLayout),
		From: j.from, OtherPC: j.vault != nil}
	who := audit.ActorFrom(ctx)
	// The restored data records where it came from, in its own chain.
	note := func(rs *store.Store) error {
		return rs.Update(func(x *store.Txn) error {
			summary := "restored from backup " + j.src.Name
			if j.vault != nil {
				summary += " of another PC"
			}
			if _, err := audit.Append(x, audit.Entry{At: j.now, Actor: actorID(ctx, j.by), Role: who.Role,
				Action: "restore_from_backup", Object: "backup/" + j.src.Name, Summary: summary}); err != nil {
				return err
			}
			if j.forgetDevice {
				forgot, err := forgetDevice(x, j.now)
				p.DeviceForgotten = forgot
				return err
			}
			return nil
		})
	}
	v, err := checkCopy(ctx, copyCheck{v: Verification{At: j.now}, dbDir: filepath.Join(staging, "db"),
		blobDir: filepath.Join(staging, blobsDir), keys: j.keys, chain: j.chain, missingOK: m == nil, then: note, log: j.log})
	p.Verification = v
	if err != nil {
		return Pending{}, err
	}
	if j.vault != nil {
		if err := j.vault.Rebind(staging, j.vaultOpts); err != nil {
			return Pending{}, dataError("prepare restore: vault", err)
		}
	}
	if j.beforeCommit != nil {
		if err := j.beforeCommit(); err != nil {
			return Pending{}, err
		}
	}
	if err := writeJSONFile(filepath.Join(staging, markerFile), p); err != nil {
		return Pending{}, dataError("prepare restore", err)
	}
	if err := os.Rename(staging, filepath.Join(j.dataDir, pendingDir)); err != nil {
		return Pending{}, dataError("prepare restore", err)
	}
	done = true
	syncDir(j.dataDir)
	return p, nil
}

// forgetDevice drops the hub enrolment from a restored store: a backup
// restored on another PC would otherwise sync as the PC it came from, and
// the hub could not tell the two apart. The desk enrols again with a new
// code (the old device should be revoked at the hub).
func forgetDevice(x *store.Txn, now time.Time) (bool, error) {
	if ok, err := x.Exists(store.KeySyncDevice()); err != nil || !ok {
		return false, err
	}
	if err := x.Delete(store.KeySyncDevice()); err != nil {
		return false, err
	}
	_, err := audit.Append(x, audit.Entry{At: now, Actor: "restore", Role: "system", Action: "restore_forget_device",
		Object: "settings/sync_device", Summary: "khôi phục: cần đăng ký lại thiết bị với máy chủ tỉnh"})
	return err == nil, err
}

// RestoreOptions are a command-line restore's.
type RestoreOptions struct {
	// Vault unlocks the backup's vault (this PC's machine key, the
	// recovery key or the passphrase) and receives this PC's slot.
	Vault vault.Options
	// KeepDevice keeps the hub enrolment (only when the old PC is gone for
	// good).
	KeepDevice bool
	Logger     *slog.Logger
}

// RestoreNew restores the backup at path (see Locate) into dataDir, which
// must hold no data yet (the command line, e.g. on a new PC). It is the UI
// restore run at once: the backup is restored and verified beside, then
// swapped in by ApplyPending.
func RestoreNew(ctx context.Context, path, dataDir string, o RestoreOptions) (Pending, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	for _, part := range []string{"db", blobsDir, vault.FileName, pendingDir} {
		if notEmpty(filepath.Join(dataDir, part)) {
			return Pending{}, fmt.Errorf("restore into %s: %w", dataDir, store.ErrNotEmpty)
		}
	}
	src, err := Locate(path)
	if err != nil {
		return Pending{}, err
	}
	j := prepareJob{dataDir: dataDir, src: src, keys: KeysOf(nil), chain: manifestChain(src.Manifest), by: "restore", from: src.StoreFile,
		forgetDevice: !o.KeepDevice, now: time.Now().UTC(), log: o.Logger, phase: func(string) {},
		checkDisk: func(extra uint64) error { return checkFree(dataDir, DefaultMinFree+extra, FreeBytes, o.Logger) }}
	if src.Vault != nil {
		v, err := vault.UnlockFile(*src.Vault, o.Vault)
		if err != nil {
			return Pending{}, fmt.Errorf("backup %s: %w", src.Name, err)
		}
		j.keys, j.vault, j.vaultOpts = KeysOf(v), v, o.Vault
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return Pending{}, err
	}
	p, err := prepare(ctx, j)
	if err != nil {
		return Pending{}, err
	}
	if _, err := ApplyPending(dataDir, o.Logger); err != nil {
		return Pending{}, err
	}
	return p, nil
}

func notEmpty(p string) bool {
	st, err := os.Stat(p)
	if err != nil {
		return false
	}
	if !st.IsDir() {
		return true
	}
	entries, err := os.ReadDir(p)
	return err != nil || len(entries) > 0
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
	for _, part := range []string{"db", blobsDir, vault.FileName} {
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
	os.Remove(replaced) // nothing was replaced: a new data dir
	log.Info("restored from backup", "backup", p.Name, "replaced data kept in", replaced)
	return p, nil
}
