package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"motcua/app/audit"
	"motcua/app/blobs"
	"motcua/app/store"
	"motcua/app/vault"
)

// verifyPrefix names the temporary restores under DATA/tmp.
const verifyPrefix = "backup-verify-"

// Verification is the report of a test restore.
type Verification struct {
	At     time.Time `json:"at"`
	OK     bool      `json:"ok"`
	Schema uint32    `json:"schema"`
	// AuditEntries is how many audit entries verified in the restored
	// store; AuditBrokenAt is its first broken link (0 when intact). A
	// backup of a desk whose own chain is broken at the same entry is a
	// faithful copy and verifies; the screen shows the warning.
	AuditEntries  int    `json:"auditEntries"`
	AuditBrokenAt uint64 `json:"auditBrokenAt,omitempty"`
	AuditReason   string `json:"auditReason,omitempty"`
	Blobs         int    `json:"blobs"`
	// MissingBlobs counts blobs the store references that a store file
	// restored without its backup directory lacks (never set otherwise: a
	// missing blob fails the verification).
	MissingBlobs int `json:"missingBlobs,omitempty"`
	// Problem is why it did not verify (English detail).
	Problem string `json:"problem,omitempty"`
}

// verifyBackup restores the backup in dir into a temporary directory on
// the data disk and checks the copy.
func (s *Service) verifyBackup(ctx context.Context, dir string) (Verification, error) {
	v := Verification{At: s.cfg.Now().UTC()}
	tmpRoot := filepath.Join(s.cfg.DataDir, "tmp")
	if err := os.MkdirAll(tmpRoot, 0o700); err != nil {
		return v, fmt.Errorf("verify: %w", err)
	}
	tmp, err := os.MkdirTemp(tmpRoot, verifyPrefix)
	if err != nil {
		return v, dataError("verify", err)
	}
	defer os.RemoveAll(tmp)
	dbDir := filepath.Join(tmp, "db")
	if err := restoreStore(filepath.Join(dir, storeFile), dbDir, s.own(), s.log); err != nil {
		return fail(&v, err)
	}
	return checkCopy(ctx, copyCheck{v: v, dbDir: dbDir, blobDir: filepath.Join(dir, blobsDir), keys: s.own(),
		chain: s.liveChain, log: s.log})
}

// own is the keys of this data dir's vault.
func (s *Service) own() Keys {
	return Keys{VaultID: s.cfg.VaultID, DataKey: s.cfg.DataKey, BlobKey: s.cfg.BlobKey, Decrypt: s.cfg.Decrypt}
}

// liveChain accepts a copy whose audit chain is broken where the desk's own
// is: a faithful copy of a desk whose chain was already broken.
func (s *Service) liveChain(rep audit.Report) error {
	live, err := audit.Verify(s.st)
	if err != nil {
		return err
	}
	if live.BrokenAt != rep.BrokenAt {
		return fmt.Errorf("audit chain of the copy broken at entry %d (%s), the desk's is not", rep.BrokenAt, rep.Reason)
	}
	return nil
}

// manifestChain accepts a copy of another PC's backup whose audit chain is
// broken where the backup's own verification found it broken; a store file
// without a manifest has nothing to compare with, and its break is only
// reported.
func manifestChain(m *Manifest) func(audit.Report) error {
	return func(rep audit.Report) error {
		if m == nil || m.Verification.AuditBrokenAt == rep.BrokenAt {
			return nil
		}
		return fmt.Errorf("audit chain of the copy broken at entry %d (%s), the backup's was not", rep.BrokenAt, rep.Reason)
	}
}

// fail records err in v; errors that are not about the data disk or the
// vault become ErrVerify.
func fail(v *Verification, err error) (Verification, error) {
	v.OK, v.Problem = false, err.Error()
	if errors.Is(err, ErrDiskLow) || errors.Is(err, ErrOtherVault) || errors.Is(err, ErrVerify) ||
		errors.Is(err, context.Canceled) {
		return *v, err
	}
	return *v, fmt.Errorf("%w: %w", ErrVerify, err)
}

// restoreStore restores the store backup file into dbDir, which must not
// exist, encrypted with k's data key; the backup must be of k's vault.
func restoreStore(file, dbDir string, k Keys, log *slog.Logger) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open store backup: %w", err)
	}
	defer f.Close()
	h, body, err := store.ReadBackupHeader(f)
	if err != nil {
		return err
	}
	id := ""
	if len(h.Vault) > 0 {
		vf, err := vault.ParseFile(h.Vault)
		if err != nil {
			return fmt.Errorf("backup vault: %w", store.ErrBadBackup)
		}
		id = vf.ID
	}
	if id != k.VaultID {
		return fmt.Errorf("%w: backup vault %q, this data dir's %q", ErrOtherVault, id, k.VaultID)
	}
	decrypt := k.Decrypt
	if decrypt == nil {
		decrypt = Decrypter(nil)
	}
	plain, err := decrypt(h, body)
	if err != nil {
		return err
	}
	if err := store.RestoreBody(dbDir, plain, store.Options{Logger: log, EncryptionKey: k.DataKey}); err != nil {
		return dataError("restore", err)
	}
	return nil
}

// dataError classifies a write error on the data disk.
func dataError(op string, err error) error {
	if isDiskFull(err) {
		return fmt.Errorf("%s: %w: %v", op, ErrDiskLow, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// copyCheck is one restored copy to check.
type copyCheck struct {
	v              Verification
	dbDir, blobDir string
	keys           Keys
	// chain says whether a broken audit chain in the copy is acceptable
	// (a faithful copy of a chain that was already broken).
	chain func(audit.Report) error
	// missingOK reports blobs the copy references but lacks instead of
	// failing (a store file without its blobs).
	missingOK bool
	// then, when set, runs on the open store after it verified.
	then func(*store.Store) error
	log  *slog.Logger
}

// checkCopy opens the restored store and checks its schema version, its
// audit chain, and that every blob it references is in the blob dir and
// authenticates in full.
func checkCopy(ctx context.Context, c copyCheck) (Verification, error) {
	v := c.v
	rs, err := store.Open(store.Options{Dir: c.dbDir, EncryptionKey: c.keys.DataKey, Logger: c.log, GCInterval: time.Hour})
	if err != nil {
		return fail(&v, fmt.Errorf("open restored store: %w", err))
	}
	defer rs.Close()
	if v.Schema, err = rs.Version(); err != nil {
		return fail(&v, err)
	}
	if v.Schema != store.SchemaVersion() {
		return fail(&v, fmt.Errorf("restored schema %d, want %d", v.Schema, store.SchemaVersion()))
	}
	rep, err := audit.Verify(rs)
	if err != nil {
		return fail(&v, err)
	}
	v.AuditEntries, v.AuditBrokenAt, v.AuditReason = rep.Entries, rep.BrokenAt, rep.Reason
	if !rep.OK() {
		if err := c.chain(rep); err != nil {
			return fail(&v, err)
		}
	}
	refs := map[string]bool{}
	err = rs.View(func(x *store.Txn) error {
		return x.Scan(store.PrefixAllBlobRefs(), nil, false, true, func(key, _ []byte) (bool, error) {
			refs[store.BlobRefSHA(key)] = true
			return true, nil
		})
	})
	if err != nil {
		return fail(&v, err)
	}
	key := c.keys.BlobKey
	if key == nil {
		if key, err = legacyBlobKey(rs); err != nil {
			return fail(&v, err)
		}
	}
	have := map[string]bool{}
	if c.blobDir != "" {
		bs, err := blobs.Open(c.blobDir, key, c.log)
		if err != nil {
			return fail(&v, err)
		}
		err = bs.Walk(func(sha string, _ int64) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := bs.Verify(sha); err != nil {
				return fmt.Errorf("blob %s: %w", sha, err)
			}
			have[sha] = true
			return nil
		})
		if err != nil {
			return fail(&v, err)
		}
	}
	v.Blobs = len(have)
	for sha := range refs {
		if !have[sha] {
			if c.missingOK {
				v.MissingBlobs++
				continue
			}
			return fail(&v, fmt.Errorf("blob %s is referenced but not in the backup", sha))
		}
	}
	if c.then != nil {
		if err := c.then(rs); err != nil {
			return fail(&v, err)
		}
	}
	v.OK = true
	return v, nil
}

// legacyBlobKey is the blob key a store made before encryption at rest
// keeps itself; without one, no blob can authenticate.
func legacyBlobKey(rs *store.Store) ([]byte, error) {
	var key []byte
	err := rs.View(func(x *store.Txn) error {
		k, err := x.Get(store.KeyLegacyBlobKey())
		key = k
		return err
	})
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(key) != 32) {
		return make([]byte, 32), nil
	}
	return key, err
}
