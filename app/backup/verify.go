package backup

import (
	"context"
	"errors"
	"fmt"
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
		return v, s.dataError("verify", err)
	}
	defer os.RemoveAll(tmp)
	dbDir := filepath.Join(tmp, "db")
	if err := s.restoreStore(filepath.Join(dir, storeFile), dbDir); err != nil {
		return fail(&v, err)
	}
	return s.checkRestored(ctx, v, dbDir, filepath.Join(dir, blobsDir), nil)
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
// exist, encrypted with the data key.
func (s *Service) restoreStore(file, dbDir string) error {
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
	if id != s.cfg.VaultID {
		return fmt.Errorf("%w: backup vault %q, this data dir's %q", ErrOtherVault, id, s.cfg.VaultID)
	}
	plain, err := s.cfg.Decrypt(h, body)
	if err != nil {
		return err
	}
	if err := store.RestoreBody(dbDir, plain, store.Options{Logger: s.log, EncryptionKey: s.cfg.DataKey}); err != nil {
		return s.dataError("restore", err)
	}
	return nil
}

// dataError classifies a write error on the data disk.
func (s *Service) dataError(op string, err error) error {
	if isDiskFull(err) {
		return fmt.Errorf("%s: %w: %v", op, ErrDiskLow, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// checkRestored opens the restored store in dbDir and checks its schema
// version, its audit chain, and that every blob it references is in
// blobDir and authenticates in full. then, when set, runs on the open
// store after it verified.
func (s *Service) checkRestored(ctx context.Context, v Verification, dbDir, blobDir string, then func(*store.Store) error) (Verification, error) {
	rs, err := store.Open(store.Options{Dir: dbDir, EncryptionKey: s.cfg.DataKey, Logger: s.log, GCInterval: time.Hour})
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
		live, err := audit.Verify(s.st)
		if err != nil {
			return fail(&v, err)
		}
		if live.BrokenAt != rep.BrokenAt {
			return fail(&v, fmt.Errorf("audit chain of the copy broken at entry %d (%s), the desk's is not", rep.BrokenAt, rep.Reason))
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
	bs, err := blobs.Open(blobDir, s.cfg.BlobKey, s.log)
	if err != nil {
		return fail(&v, err)
	}
	have := map[string]bool{}
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
	v.Blobs = len(have)
	for sha := range refs {
		if !have[sha] {
			return fail(&v, fmt.Errorf("blob %s is referenced but not in the backup", sha))
		}
	}
	if then != nil {
		if err := then(rs); err != nil {
			return fail(&v, err)
		}
	}
	v.OK = true
	return v, nil
}
