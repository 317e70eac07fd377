package cli

import (
	"log/slog"
	"path/filepath"

	"motcua/app/backup"
	"motcua/app/store"
	"motcua/app/vault"
)

func vaultID(v *vault.Vault) string {
	if v == nil {
		return ""
	}
	return v.ID()
}

// openBackups builds the scheduled-backup service on the open store; its
// loop starts with the other loops (app.startSync).
func openBackups(dataDir string, env Env, st *store.Store, v *vault.Vault, key []byte, log *slog.Logger) (*backup.Service, error) {
	bo, err := backup.EncryptOptions(v)
	if err != nil {
		return nil, err
	}
	bk, err := blobKey(st, v)
	if err != nil {
		return nil, err
	}
	// Another PC's vault restored from the UI gets this PC's machine slot
	// (and keyring slot); its secrets come from the admin, not from here.
	vo := vaultOptions(env)
	vo.Passphrase, vo.RecoveryKey = "", ""
	return backup.New(backup.Config{Store: st, DataDir: dataDir, Encrypt: bo, Decrypt: backup.Decrypter(v),
		DataKey: key, BlobKey: bk, VaultID: vaultID(v), VaultOptions: vo, Version: env.Version, Logger: log})
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
