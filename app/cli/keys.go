package cli

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"github.com/zalando/go-keyring"

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
