package cli

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"filippo.io/age"

	"motcua/app/backup"
	"motcua/app/store"
	"motcua/app/vault"
)

// backupDecrypter decrypts the bodies of backups written with
// backupOptions(v), for the scheduled backups' test restores and the
// restore prepared from the UI.
func backupDecrypter(v *vault.Vault) func(store.BackupHeader, io.Reader) (io.Reader, error) {
	return func(h store.BackupHeader, body io.Reader) (io.Reader, error) {
		if len(h.Vault) == 0 {
			return body, nil
		}
		if v == nil {
			return nil, fmt.Errorf("encrypted backup, store without a vault: %w", store.ErrBadBackup)
		}
		id, err := age.NewScryptIdentity(v.BackupSecret())
		if err != nil {
			return nil, err
		}
		id.SetMaxWorkFactor(backupWorkFactor)
		plain, err := age.Decrypt(body, id)
		if err != nil {
			return nil, fmt.Errorf("decrypt backup: %w: %v", store.ErrBadBackup, err)
		}
		return plain, nil
	}
}

func vaultID(v *vault.Vault) string {
	if v == nil {
		return ""
	}
	return v.ID()
}

// openBackups builds the scheduled-backup service on the open store; its
// loop starts with the other loops (app.startSync).
func openBackups(dataDir string, env Env, st *store.Store, v *vault.Vault, key []byte, log *slog.Logger) (*backup.Service, error) {
	bo, err := backupOptions(v)
	if err != nil {
		return nil, err
	}
	bk, err := blobKey(st, v)
	if err != nil {
		return nil, err
	}
	return backup.New(backup.Config{Store: st, DataDir: dataDir, Encrypt: bo, Decrypt: backupDecrypter(v),
		DataKey: key, BlobKey: bk, VaultID: vaultID(v), Version: env.Version, Logger: log})
}

// applyRestore swaps in a restore an admin prepared from the UI, before
// the store opens.
func applyRestore(dataDir string, log *slog.Logger) error {
	p, err := backup.ApplyPending(dataDir, log)
	if err != nil {
		log.Error("apply prepared restore", "err", err)
		return err
	}
	if p != nil {
		log.Warn("data restored from a backup chosen in the app", "backup", p.Name, "created", p.Created,
			"previous data kept in", filepath.Join(dataDir, p.Replaced))
	}
	return nil
}
