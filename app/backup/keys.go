package backup

import (
	"encoding/json"
	"fmt"
	"io"

	"filippo.io/age"

	"motcua/app/store"
	"motcua/app/vault"
)

// A backup's store body is encrypted with age (scrypt recipient) under a
// secret derived from the vault's master key. The secret is 256 random
// bits, so scrypt's work factor can stay low; the same bound refuses a
// forged header asking for more work when decrypting.
const workFactor = 10

// Keys open the backups of one vault.
type Keys struct {
	// VaultID is the vault the backups must carry ("" for a store made
	// before encryption at rest).
	VaultID string
	// DataKey encrypts the restored store (nil: left unencrypted).
	DataKey []byte
	// BlobKey authenticates the blob files; nil means the key the restored
	// store keeps itself (a store made before encryption at rest).
	BlobKey []byte
	// Decrypt returns the plain body of a backup whose header is h.
	Decrypt func(h store.BackupHeader, body io.Reader) (io.Reader, error)
}

// KeysOf returns the keys of v's backups; nil is a store made before
// encryption at rest.
func KeysOf(v *vault.Vault) Keys {
	if v == nil {
		return Keys{Decrypt: Decrypter(nil)}
	}
	return Keys{VaultID: v.ID(), DataKey: v.DataKey(), BlobKey: v.BlobKey(), Decrypt: Decrypter(v)}
}

// EncryptOptions are the store backup options of v: its vault file in the
// header and the body encrypted to its backup secret (nil: in the clear).
func EncryptOptions(v *vault.Vault) (store.BackupOptions, error) {
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
		r.SetWorkFactor(workFactor)
		return age.Encrypt(w, r)
	}}, nil
}

// Decrypter decrypts the bodies of backups written with EncryptOptions(v).
func Decrypter(v *vault.Vault) func(store.BackupHeader, io.Reader) (io.Reader, error) {
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
		id.SetMaxWorkFactor(workFactor)
		plain, err := age.Decrypt(body, id)
		if err != nil {
			return nil, fmt.Errorf("decrypt backup: %w: %v", store.ErrBadBackup, err)
		}
		return plain, nil
	}
}
