package office

import (
	"context"
	"errors"
	"testing"

	"motcua/app/audit"
	"motcua/app/store"
	"motcua/app/vault"
)

// vaulted is an office service over a store, with a real vault in its data
// dir whose first-run key was shown and acknowledged.
func vaulted(t *testing.T) (*Service, *store.Store, string, string) {
	t.Helper()
	data := t.TempDir()
	v, first, err := vault.Create(data, vault.Options{MachineDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(store.Options{Dir: t.TempDir(), EncryptionKey: v.DataKey()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := NewService(st)
	s.SetVault(v)
	ctx := context.Background()
	if err := s.SetPendingRecoveryKey(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := s.AckRecoveryKey(ctx); err != nil {
		t.Fatal(err)
	}
	return s, st, data, first
}

func opens(t *testing.T, data, key string) error {
	t.Helper()
	_, err := vault.Unlock(data, vault.Options{MachineDir: t.TempDir(), RecoveryKey: key})
	return err
}

func TestRotateRecoveryKey(t *testing.T) {
	s, st, data, first := vaulted(t)
	ctx := audit.WithActor(context.Background(), audit.Who{ID: "u-admin", Role: "admin"})
	if err := s.RotateRecoveryKey(ctx); err != nil {
		t.Fatal(err)
	}
	key, pending, err := s.PendingRecoveryKey(ctx)
	if err != nil || !pending || key == first || key == "" {
		t.Fatalf("pending %v %q %v", pending, key, err)
	}
	if err := opens(t, data, first); !errors.Is(err, vault.ErrBadSecret) {
		t.Fatalf("the old key still opens the vault: %v", err)
	}
	if err := opens(t, data, key); err != nil {
		t.Fatalf("the new key: %v", err)
	}
	seq, _, _ := audit.Head(st)
	last, _ := audit.Since(st, seq-1, 1)
	if len(last) != 1 || last[0].Action != "rotate_recovery_key" || last[0].Actor != "u-admin" || last[0].Role != "admin" ||
		last[0].Summary != "" || last[0].After != "" {
		t.Fatalf("audit entry %+v", last)
	}
	if r, err := audit.Verify(st); err != nil || !r.OK() {
		t.Fatalf("%+v %v", r, err)
	}
	if err := s.AckRecoveryKey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, pending, _ := s.PendingRecoveryKey(ctx); pending {
		t.Fatal("still pending after the acknowledgement")
	}
}

// A crash after the new key was stored but before the vault changed: the
// key is put into the vault before it is shown.
func TestPendingKeyIsInTheVaultBeforeItIsShown(t *testing.T) {
	s, _, data, first := vaulted(t)
	key := s.vault.NewRecoveryKey()
	if err := s.SetPendingRecoveryKey(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if err := opens(t, data, key); !errors.Is(err, vault.ErrBadSecret) {
		t.Fatalf("setup: the key is already in the vault: %v", err)
	}
	shown, _, err := s.PendingRecoveryKey(context.Background())
	if err != nil || shown != key {
		t.Fatalf("%q %v", shown, err)
	}
	if err := opens(t, data, key); err != nil {
		t.Fatalf("the shown key does not open the vault: %v", err)
	}
	if err := opens(t, data, first); !errors.Is(err, vault.ErrBadSecret) {
		t.Fatalf("old key: %v", err)
	}
}

func TestRotateWithoutVault(t *testing.T) {
	st, err := store.Open(store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := NewService(st)
	if err := s.RotateRecoveryKey(context.Background()); !errors.Is(err, ErrNoVault) {
		t.Fatalf("%v", err)
	}
	if _, pending, _ := s.PendingRecoveryKey(context.Background()); pending {
		t.Fatal("a key is pending without a vault")
	}
}
