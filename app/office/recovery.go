package office

import (
	"context"
	"errors"
	"fmt"

	"motcua/app/audit"
	"motcua/app/store"
)

// RecoveryVault is the recovery slot of the vault that encrypts the store
// (app/vault's *Vault).
type RecoveryVault interface {
	NewRecoveryKey() string
	SetRecoveryKey(key string) error
	OpensWithRecoveryKey(key string) bool
}

// ErrNoVault means the store is not encrypted, so there is no recovery key
// to replace.
var ErrNoVault = errors.New("store has no encryption vault")

// SetVault gives the service the vault whose recovery key it shows and
// replaces. Call it before the service is used.
func (s *Service) SetVault(v RecoveryVault) { s.vault = v }

// RotateRecoveryKey makes a new recovery key, which replaces the old one in
// the vault, and keeps it to be shown once, as at first run, until
// AckRecoveryKey. The change is audited.
//
// The new key is stored (with the audit entry) before the vault changes: a
// crash in between leaves a pending key that PendingRecoveryKey puts into
// the vault before it shows it, never a vault whose only key nobody saw.
func (s *Service) RotateRecoveryKey(ctx context.Context) error {
	if s.vault == nil {
		return ErrNoVault
	}
	s.rotMu.Lock()
	defer s.rotMu.Unlock()
	key := s.vault.NewRecoveryKey()
	err := s.st.Update(func(x *store.Txn) error {
		if err := x.Set(store.KeyPendingRecovery(), []byte(key)); err != nil {
			return err
		}
		who := audit.ActorFrom(ctx)
		_, err := audit.Append(x, audit.Entry{At: s.now(), Actor: who.ID, Role: who.Role, Action: "rotate_recovery_key", Object: "vault"})
		return err
	})
	if err != nil {
		return fmt.Errorf("rotate recovery key: %w", err)
	}
	if err := s.vault.SetRecoveryKey(key); err != nil {
		return fmt.Errorf("rotate recovery key: %w", err)
	}
	return nil
}

// ensureInVault makes sure a pending recovery key opens the vault before it
// is shown (see RotateRecoveryKey).
func (s *Service) ensureInVault(key string) error {
	if s.vault == nil || s.vault.OpensWithRecoveryKey(key) {
		return nil
	}
	s.rotMu.Lock()
	defer s.rotMu.Unlock()
	if s.vault.OpensWithRecoveryKey(key) {
		return nil
	}
	if err := s.vault.SetRecoveryKey(key); err != nil {
		return fmt.Errorf("put the pending recovery key into the vault: %w", err)
	}
	return nil
}
