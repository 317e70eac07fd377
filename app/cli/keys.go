package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"motcua/app/audit"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"filippo.io/age"
	"github.com/zalando/go-keyring"

	"motcua/app/store"
	"motcua/app/vault"
)

// osKeyring adapts the OS keyring. On Linux it is used only when a session
// bus is running: a headless server has none, and probing for one can hang.
type osKeyring struct{}

func (osKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osKeyring) Set(service, user, secret string) error   { return keyring.Set(service, user, secret) }

func vaultOptions(env Env) vault.Options {
	o := vault.Options{
		MachineDir:  env.Getenv("MOTCUA_MACHINE_DIR"),
		Passphrase:  env.Getenv("MOTCUA_PASSPHRASE"),
		RecoveryKey: env.Getenv("MOTCUA_RECOVERY_KEY"),
	}
	if o.MachineDir == "" {
		if d, err := os.UserConfigDir(); err == nil {
			o.MachineDir = filepath.Join(d, "motcua")
		}
	}
	if env.Getenv("MOTCUA_NO_KEYRING") == "" &&
		(runtime.GOOS == "windows" || runtime.GOOS == "darwin" || env.Getenv("DBUS_SESSION_BUS_ADDRESS") != "") {
		o.Keyring = osKeyring{}
	}
	return o
}

// unlockStore finds the key of the store in dataDir: it unlocks the vault,
// or creates one for a new data dir (returning the recovery key to show
// once). A store made before encryption existed opens without a key.
func unlockStore(dataDir string, env Env, log *slog.Logger) (key []byte, v *vault.Vault, recovery string, err error) {
	o := vaultOptions(env)
	switch {
	case vault.Exists(dataDir):
		v, err = vault.Unlock(dataDir, o)
		if err != nil {
			return nil, nil, "", err
		}
		return v.DataKey(), v, "", nil
	case dirExists(filepath.Join(dataDir, "db")):
		log.Warn("store is not encrypted: it was created before encryption at rest; back it up and restore it to encrypt it", "dir", dataDir)
		return nil, nil, "", nil
	}
	v, recovery, err = vault.Create(dataDir, o)
	if err != nil {
		return nil, nil, "", fmt.Errorf("create vault: %w", err)
	}
	log.Info("created encryption vault", "vault", v.ID())
	return v.DataKey(), v, recovery, nil
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// A backup's body is encrypted with age (scrypt recipient) under a secret
// derived from the vault's master key. The secret is 256 random bits, so
// scrypt's work factor can stay low.
const backupWorkFactor = 10

func backupOptions(v *vault.Vault) (store.BackupOptions, error) {
	if v == nil {
		return store.BackupOptions{}, nil
	}
	f, err := json.Marshal(v.File())
	if err != nil {
		return store.BackupOptions{}, err
	}
	return store.BackupOptions{Vault: f, Encrypt: func(w io.Writer) (io.WriteCloser, error) {
		r, err := age.NewScryptRecipient(v.BackupSecret())
		if err != nil {
			return nil, err
		}
		r.SetWorkFactor(backupWorkFactor)
		return age.Encrypt(w, r)
	}}, nil
}

// restoreBackup restores the backup in r into dataDir (which must be empty
// or missing), decrypting it with the vault in its header when there is one.
func restoreBackup(dataDir string, r io.Reader, env Env, log *slog.Logger, keepDevice bool) error {
	if err := restoreStore(dataDir, r, env, log); err != nil {
		return err
	}
	if keepDevice {
		return nil
	}
	return forgetDevice(dataDir, env, log)
}

// forgetDevice drops the hub enrolment from a restored store: a backup
// restored on another PC would otherwise sync as the PC it came from, and
// the hub could not tell the two apart. The desk enrols again with a new
// code (the old device should be revoked at the hub); --keep-device keeps it
// when the old PC is gone for good.
func forgetDevice(dataDir string, env Env, log *slog.Logger) error {
	var key []byte
	if vault.Exists(dataDir) {
		v, err := vault.Unlock(dataDir, vaultOptions(env))
		if err != nil {
			return err
		}
		key = v.DataKey()
	}
	st, err := store.Open(store.Options{Dir: filepath.Join(dataDir, "db"), EncryptionKey: key, Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	return st.Update(func(x *store.Txn) error {
		if ok, err := x.Exists(store.KeySyncDevice()); err != nil || !ok {
			return err
		}
		if err := x.Delete(store.KeySyncDevice()); err != nil {
			return err
		}
		log.Info("restored store: hub enrolment dropped; enrol this PC again")
		_, err := audit.Append(x, audit.Entry{At: time.Now(), Actor: "restore", Role: "system", Action: "restore_forget_device",
			Object: "settings/sync_device", Summary: "khôi phục: cần đăng ký lại thiết bị với máy chủ tỉnh"})
		return err
	})
}

func restoreStore(dataDir string, r io.Reader, env Env, log *slog.Logger) error {
	h, body, err := store.ReadBackupHeader(r)
	if err != nil {
		return err
	}
	dbDir := filepath.Join(dataDir, "db")
	if len(h.Vault) == 0 {
		return store.RestoreBody(dbDir, body, store.Options{Logger: log})
	}
	f, err := vault.ParseFile(h.Vault)
	if err != nil {
		return fmt.Errorf("backup vault: %w", store.ErrBadBackup)
	}
	o := vaultOptions(env)
	v, err := vault.UnlockFile(f, o)
	if err != nil {
		return err
	}
	id, err := age.NewScryptIdentity(v.BackupSecret())
	if err != nil {
		return err
	}
	id.SetMaxWorkFactor(backupWorkFactor)
	plain, err := age.Decrypt(body, id)
	if err != nil {
		return fmt.Errorf("decrypt backup: %w: %v", store.ErrBadBackup, err)
	}
	if vault.Exists(dataDir) {
		return fmt.Errorf("restore into %s: %w", dataDir, store.ErrNotEmpty)
	}
	if err := store.RestoreBody(dbDir, plain, store.Options{Logger: log, EncryptionKey: v.DataKey()}); err != nil {
		return err
	}
	return v.Rebind(dataDir, o)
}
