package vault

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// memKeyring stands in for the OS keyring, which does not run in CI.
type memKeyring map[string]string

func (m memKeyring) Get(s, u string) (string, error) {
	v, ok := m[s+"/"+u]
	if !ok {
		return "", errors.New("not found")
	}
	return v, nil
}
func (m memKeyring) Set(s, u, v string) error { m[s+"/"+u] = v; return nil }

func TestCreateAndUnlockOnThisMachine(t *testing.T) {
	data, pc := t.TempDir(), t.TempDir()
	v, recovery, err := Create(data, Options{MachineDir: pc})
	if err != nil {
		t.Fatal(err)
	}
	if len(strings.ReplaceAll(recovery, "-", "")) != 32 {
		t.Fatalf("recovery key %q", recovery)
	}
	u, err := Unlock(data, Options{MachineDir: pc})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v.DataKey(), u.DataKey()) || v.BackupSecret() != u.BackupSecret() || bytes.Equal(v.DataKey(), []byte(v.BackupSecret())) {
		t.Fatal("derived keys differ between unlocks or coincide between uses")
	}
	if len(v.BlobKey()) != 32 || !bytes.Equal(v.BlobKey(), u.BlobKey()) || bytes.Equal(v.BlobKey(), v.DataKey()) {
		t.Fatal("blob key is not a stable 32-byte key of its own")
	}
	// Nothing secret is in the data dir.
	b, _ := os.ReadFile(filepath.Join(data, FileName))
	if bytes.Contains(b, v.master) || bytes.Contains(b, v.DataKey()) || bytes.Contains(b, v.BlobKey()) || strings.Contains(string(b), strings.ReplaceAll(recovery, "-", "")) {
		t.Fatal("vault file holds a secret in the clear")
	}
}

func TestOtherMachineNeedsTheRecoveryKey(t *testing.T) {
	data, pc1, pc2 := t.TempDir(), t.TempDir(), t.TempDir()
	v, recovery, err := Create(data, Options{MachineDir: pc1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unlock(data, Options{MachineDir: pc2}); !errors.Is(err, ErrLocked) {
		t.Fatalf("copied data dir opened elsewhere: %v", err)
	}
	if _, err := Unlock(data, Options{MachineDir: pc2, RecoveryKey: "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH"}); !errors.Is(err, ErrBadSecret) {
		t.Fatalf("wrong recovery key: %v", err)
	}
	// Typed back by hand: lower case, O as 0 and I as 1 are forgiven.
	typed := strings.NewReplacer("O", "0", "I", "1").Replace(strings.ToLower(recovery))
	typed = strings.NewReplacer("o", "0", "i", "1").Replace(typed)
	u, err := Unlock(data, Options{MachineDir: pc2, RecoveryKey: typed})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(u.DataKey(), v.DataKey()) {
		t.Fatal("recovery gave another key")
	}
	// PC 2 now has its own machine slot; PC 1 still works.
	for _, pc := range []string{pc1, pc2} {
		if _, err := Unlock(data, Options{MachineDir: pc}); err != nil {
			t.Fatalf("%s: %v", pc, err)
		}
	}
}

func TestPassphraseAndKeyring(t *testing.T) {
	data, pc := t.TempDir(), t.TempDir()
	kr := memKeyring{}
	v, _, err := Create(data, Options{MachineDir: pc, Keyring: kr, Passphrase: "mật khẩu quản trị xã"})
	if err != nil {
		t.Fatal(err)
	}
	// The keyring alone unlocks (machine key file lost).
	os.RemoveAll(pc)
	if _, err := Unlock(data, Options{Keyring: kr}); err != nil {
		t.Fatalf("keyring: %v", err)
	}
	if _, err := Unlock(data, Options{Passphrase: "sai mật khẩu rồi"}); !errors.Is(err, ErrBadSecret) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	u, err := Unlock(data, Options{Passphrase: "mật khẩu quản trị xã"})
	if err != nil || !bytes.Equal(u.DataKey(), v.DataKey()) {
		t.Fatalf("passphrase: %v", err)
	}
	if err := v.SetPassphrase("ngắn"); err == nil {
		t.Fatal("short passphrase accepted")
	}
}

func TestDamagedVaultFile(t *testing.T) {
	data := t.TempDir()
	if _, err := Unlock(data, Options{MachineDir: t.TempDir()}); !errors.Is(err, ErrNoVault) {
		t.Fatalf("missing: %v", err)
	}
	os.WriteFile(filepath.Join(data, FileName), []byte("{not json"), 0o600)
	if _, err := Unlock(data, Options{MachineDir: t.TempDir()}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("garbage: %v", err)
	}
	// A flipped ciphertext byte is not accepted as a key.
	data2, pc := t.TempDir(), t.TempDir()
	if _, _, err := Create(data2, Options{MachineDir: pc}); err != nil {
		t.Fatal(err)
	}
	f, _ := Load(data2)
	for i := range f.Slots {
		f.Slots[i].Ciphertext[0] ^= 1
	}
	if _, err := UnlockFile(f, Options{MachineDir: pc}); !errors.Is(err, ErrLocked) {
		t.Fatalf("tampered slot: %v", err)
	}
}
