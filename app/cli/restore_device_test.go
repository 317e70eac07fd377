package cli

import (
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"motcua/app/store"
	"motcua/app/vault"
)

func openDataStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	v, err := vault.Unlock(dir, vaultOptions(Env{Getenv: os.Getenv}))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "db"), EncryptionKey: v.DataKey(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRestoreForgetsDevice: a backup restored elsewhere does not sync as
// the PC it came from unless asked to.
func TestRestoreForgetsDevice(t *testing.T) {
	src := t.TempDir()
	c := startServe(t, src)
	putSettings(t, c.url, settingsBody)
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()
	st := openDataStore(t, src)
	_, key, _ := ed25519.GenerateKey(nil)
	dev, _ := json.Marshal(map[string]any{"hubUrl": "https://hub.example", "deviceId": "d1", "deviceName": "Máy một cửa",
		"privateKey": key, "communeCode": "000.22.31.H49", "enrolledAt": time.Now()})
	if err := st.Update(func(x *store.Txn) error { return x.Set(store.KeySyncDevice(), dev) }); err != nil {
		t.Fatal(err)
	}
	st.Close()
	file := t.TempDir()
	if code, _, errs := run(t, "backup", "--data", src, "--to", file); code != 0 {
		t.Fatalf("backup: %d %s", code, errs)
	}
	for _, keep := range []bool{false, true} {
		dst := filepath.Join(t.TempDir(), "moi")
		args := []string{"restore", "--data", dst, "--from", file}
		if keep {
			args = append(args, "--keep-device")
		}
		if code, _, errs := run(t, args...); code != 0 {
			t.Fatalf("restore: %d %s", code, errs)
		}
		st := openDataStore(t, dst)
		var has bool
		st.View(func(x *store.Txn) error { has, _ = x.Exists(store.KeySyncDevice()); return nil })
		st.Close()
		if has != keep {
			t.Errorf("keep-device=%v: enrolment present after restore: %v", keep, has)
		}
		if code, _, errs := run(t, "audit", "verify", "--data", dst); code != 0 {
			t.Errorf("audit after restore: %d %s", code, errs)
		}
	}
}
