package vault

import (
	"bytes"
	"encoding/json"
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

func TestNewRecoveryKeyReplacesTheOldOne(t *testing.T) {
	data, pc, otherPC := t.TempDir(), t.TempDir(), t.TempDir()
	v, oldKey, err := Create(data, Options{MachineDir: pc})
	if err != nil {
		t.Fatal(err)
	}
	before := v.File() // as a backup made now carries it
	newKey := v.NewRecoveryKey()
	if newKey == oldKey || !v.OpensWithRecoveryKey(oldKey) || v.OpensWithRecoveryKey(newKey) {
		t.Fatal("a new key is not in the vault before it is set")
	}
	if err := v.SetRecoveryKey(newKey); err != nil {
		t.Fatal(err)
	}
	if v.OpensWithRecoveryKey(oldKey) || !v.OpensWithRecoveryKey(newKey) {
		t.Fatal("the recovery slot was not replaced")
	}
	// On another PC, from the data dir: the old key no longer opens it, the
	// new one does and gives the same data key.
	if _, err := Unlock(data, Options{MachineDir: otherPC, RecoveryKey: oldKey}); !errors.Is(err, ErrBadSecret) {
		t.Fatalf("old key after rotation: %v", err)
	}
	u, err := Unlock(data, Options{MachineDir: t.TempDir(), RecoveryKey: newKey})
	if err != nil || !bytes.Equal(u.DataKey(), v.DataKey()) {
		t.Fatalf("new key: %v", err)
	}
	// This PC still opens by itself; one recovery slot, the machine slots kept.
	if _, err := Unlock(data, Options{MachineDir: pc}); err != nil {
		t.Fatal(err)
	}
	f, _ := Load(data)
	kinds := map[string]int{}
	for _, s := range f.Slots {
		kinds[s.Kind]++
	}
	if kinds[SlotRecovery] != 1 || kinds[SlotMachine] < 1 {
		t.Fatalf("slots %v", kinds)
	}
	b, _ := os.ReadFile(filepath.Join(data, FileName))
	if strings.Contains(string(b), strings.ReplaceAll(newKey, "-", "")) {
		t.Fatal("the new key is in the vault file in the clear")
	}
	// A vault file taken before (a backup's header) keeps the old slot.
	if _, err := UnlockFile(before, Options{RecoveryKey: oldKey}); err != nil {
		t.Fatalf("older backups should still open with the old key: %v", err)
	}
	if _, err := UnlockFile(before, Options{RecoveryKey: newKey}); !errors.Is(err, ErrBadSecret) {
		t.Fatalf("older backup with the new key: %v", err)
	}
	if err := v.SetRecoveryKey("not a key"); !errors.Is(err, ErrBadSecret) {
		t.Fatalf("malformed key: %v", err)
	}
}

func TestRecoveryKeyKeptWhenTheVaultCannotBeSaved(t *testing.T) {
	data, pc := t.TempDir(), t.TempDir()
	v, oldKey, err := Create(data, Options{MachineDir: pc})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(data); err != nil {
		t.Fatal(err)
	}
	if err := v.SetRecoveryKey(v.NewRecoveryKey()); err == nil {
		t.Fatal("saved into a removed data dir")
	}
	if !v.OpensWithRecoveryKey(oldKey) {
		t.Fatal("a failed save changed the slots in memory")
	}
}

func TestVaultFileIsSafeToReadWhileTheKeyChanges(t *testing.T) {
	v, _, err := Create(t.TempDir(), Options{MachineDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 20; i++ {
			v.SetRecoveryKey(v.NewRecoveryKey())
		}
	}()
	for i := 0; i < 200; i++ {
		f := v.File()
		if len(f.Slots) < 2 {
			t.Fatalf("slots %d", len(f.Slots))
		}
		b, _ := json.Marshal(f)
		if _, err := ParseFile(b); err != nil {
			t.Fatal(err)
		}
	}
	<-done
}
