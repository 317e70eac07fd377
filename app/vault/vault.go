// Package vault guards the key that encrypts the desk's data at rest.
//
// A random 32-byte master key never touches the disk in the clear. It is
// stored wrapped (AES-256-GCM) in vault.json beside the store, once per
// way of unlocking it ("slots"):
//   - machine: a key file in the user's config directory on this PC, outside
//     the data dir, so a copied data dir or a backup alone reveals nothing;
//   - keyring: the OS keyring (Windows Credential Manager, macOS Keychain,
//     Secret Service), where one is running;
//   - recovery: the recovery key printed at set-up, for a new PC or a lost
//     machine key;
//   - passphrase: an admin passphrase (argon2id), where the office sets one.
//
// The Badger encryption key, the backup key and the blob key are derived
// from the master key with HKDF, so each use has its own key.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// FileName is the vault file inside the data dir.
const FileName = "vault.json"

var (
	// ErrNoVault means the data dir has no vault (a new or a legacy store).
	ErrNoVault = errors.New("no vault in data dir")
	// ErrLocked means no available slot could unwrap the master key.
	ErrLocked = errors.New("vault cannot be unlocked on this machine")
	// ErrBadSecret means a recovery key or passphrase did not match.
	ErrBadSecret = errors.New("wrong recovery key or passphrase")
	// ErrCorrupt means vault.json is unreadable.
	ErrCorrupt = errors.New("vault file is damaged")
)

// Slot kinds.
const (
	SlotMachine    = "machine"
	SlotKeyring    = "keyring"
	SlotRecovery   = "recovery"
	SlotPassphrase = "passphrase"
)

// Slot is the master key wrapped one way.
type Slot struct {
	Kind       string `json:"kind"`
	Salt       []byte `json:"salt,omitempty"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
	// Argon2id parameters of a passphrase slot.
	Time    uint32 `json:"time,omitempty"`
	Memory  uint32 `json:"memory,omitempty"`
	Threads uint8  `json:"threads,omitempty"`
}

// File is the content of vault.json; it holds no secret in the clear.
type File struct {
	Version int       `json:"version"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Slots   []Slot    `json:"slots"`
}

// Vault is an unlocked vault. Its methods are safe for concurrent use.
type Vault struct {
	dir    string
	master []byte

	mu   sync.Mutex // guards file; its Slots are replaced, never changed in place
	file File
}

// Options say where the machine key lives and which secrets to try.
type Options struct {
	// MachineDir holds this PC's machine keys (e.g. ~/.config/motcua).
	MachineDir string
	// Keyring, when non-nil, is the OS keyring to use.
	Keyring Keyring
	// Passphrase and RecoveryKey are tried when the machine cannot unlock.
	Passphrase  string
	RecoveryKey string
}

// Keyring is the part of an OS keyring the vault uses.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
}

const keyringService = "motcua"

// Exists reports whether dataDir has a vault.
func Exists(dataDir string) bool {
	_, err := os.Stat(filepath.Join(dataDir, FileName))
	return err == nil
}

// Create makes a new vault in dataDir with machine (and keyring) slots and
// a recovery slot. It returns the recovery key, which must be shown to the
// office once and never stored in the clear.
func Create(dataDir string, o Options) (*Vault, string, error) {
	if Exists(dataDir) {
		return nil, "", fmt.Errorf("create vault: %s already exists", FileName)
	}
	master := make([]byte, 32)
	rand.Read(master)
	idb := make([]byte, 8)
	rand.Read(idb)
	v := &Vault{dir: dataDir, master: master, file: File{Version: 1, ID: hex.EncodeToString(idb), Created: time.Now().UTC()}}
	if err := v.addMachine(o); err != nil {
		return nil, "", err
	}
	recovery := newRecoveryKey()
	slot, err := v.recoverySlot(recovery)
	if err != nil {
		return nil, "", err
	}
	v.file.Slots = append(v.file.Slots, slot)
	if o.Passphrase != "" {
		if err := v.SetPassphrase(o.Passphrase); err != nil {
			return nil, "", err
		}
	}
	if err := v.save(); err != nil {
		return nil, "", err
	}
	return v, recovery, nil
}

// Load reads dataDir's vault file without unlocking it.
func Load(dataDir string) (File, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, FileName))
	if os.IsNotExist(err) {
		return File{}, ErrNoVault
	}
	if err != nil {
		return File{}, err
	}
	return ParseFile(b)
}

// ParseFile decodes a vault file (also carried in backup headers, so
// outside input: a backup on a USB drive). The ID names the machine key
// file, so it must be hex; a passphrase slot's Argon2id parameters must be
// ones argon2 accepts and within what a desk PC can afford.
func ParseFile(b []byte) (File, error) {
	var f File
	if err := json.Unmarshal(b, &f); err != nil || f.Version != 1 || !validID(f.ID) || len(f.Slots) == 0 {
		return File{}, ErrCorrupt
	}
	for _, s := range f.Slots {
		if s.Kind == SlotPassphrase && (s.Time < 1 || s.Time > maxArgonTime || s.Threads < 1 || s.Threads > maxArgonThreads ||
			s.Memory < 8*uint32(s.Threads) || s.Memory > maxArgonMemory) {
			return File{}, ErrCorrupt
		}
	}
	return f, nil
}

// Bounds on a passphrase slot's Argon2id parameters (this program writes
// t=3, 64 MiB, 2 threads).
const (
	maxArgonTime    = 16
	maxArgonMemory  = 512 << 10 // KiB
	maxArgonThreads = 16
)

// validID reports whether id is a vault ID: 1–64 lowercase hex digits.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Unlock opens dataDir's vault with the first slot that works: the OS
// keyring, this PC's machine key, then the passphrase and the recovery key
// from o. A vault opened with a secret gets a machine slot for this PC, so
// the next start needs no secret.
func Unlock(dataDir string, o Options) (*Vault, error) {
	f, err := Load(dataDir)
	if err != nil {
		return nil, err
	}
	v, err := UnlockFile(f, o)
	if err != nil {
		return nil, err
	}
	v.dir = dataDir
	if !v.hasMachine(o) && o.MachineDir != "" {
		if err := v.addMachine(o); err == nil {
			v.save()
		}
	}
	return v, nil
}

// UnlockFile unlocks a vault file that is not (yet) in a data dir, such as
// the one in a backup's header.
func UnlockFile(f File, o Options) (*Vault, error) {
	v := &Vault{file: f}
	triedSecret := false
	for _, s := range f.Slots {
		var kek []byte
		switch s.Kind {
		case SlotKeyring:
			if o.Keyring == nil {
				continue
			}
			secret, err := o.Keyring.Get(keyringService, f.ID)
			if err != nil {
				continue
			}
			kek, _ = hex.DecodeString(secret)
		case SlotMachine:
			b, err := os.ReadFile(machineKeyPath(o.MachineDir, f.ID))
			if o.MachineDir == "" || err != nil {
				continue
			}
			kek = b
		case SlotPassphrase:
			if o.Passphrase == "" {
				continue
			}
			triedSecret = true
			kek = argon2.IDKey([]byte(o.Passphrase), s.Salt, s.Time, s.Memory, s.Threads, 32)
		case SlotRecovery:
			if o.RecoveryKey == "" {
				continue
			}
			triedSecret = true
			raw, err := parseRecoveryKey(o.RecoveryKey)
			if err != nil {
				continue
			}
			kek = recoveryKEK(raw, s.Salt)
		default:
			continue
		}
		if master, err := open(kek, s); err == nil {
			v.master = master
			return v, nil
		}
	}
	if triedSecret {
		return nil, ErrBadSecret
	}
	return nil, ErrLocked
}

// ID identifies the vault.
func (v *Vault) ID() string { return v.file.ID }

// File returns the vault file (wrapped keys only).
func (v *Vault) File() File {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.file
}

// DataKey is the Badger encryption key.
func (v *Vault) DataKey() []byte { return v.derive("motcua badger data key v1") }

// BackupSecret is the secret that encrypts backups.
func (v *Vault) BackupSecret() string { return hex.EncodeToString(v.derive("motcua backup key v1")) }

// BlobKey is the key of the blob store (scanned pages, imported files).
func (v *Vault) BlobKey() []byte { return v.derive("motcua blob key v1") }

func (v *Vault) derive(info string) []byte {
	k, err := hkdf.Key(sha256.New, v.master, []byte(v.file.ID), info, 32)
	if err != nil {
		panic(err) // only for lengths HKDF cannot produce
	}
	return k
}

// SetPassphrase adds or replaces the passphrase slot.
func (v *Vault) SetPassphrase(p string) error {
	if len([]rune(p)) < 10 {
		return errors.New("passphrase shorter than 10 characters")
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	s := Slot{Kind: SlotPassphrase, Salt: salt, Time: 3, Memory: 64 << 10, Threads: 2}
	if err := seal(argon2.IDKey([]byte(p), salt, s.Time, s.Memory, s.Threads, 32), v.master, &s); err != nil {
		return err
	}
	return v.putSlot(s)
}

// NewRecoveryKey returns a new random recovery key (not yet in the vault:
// SetRecoveryKey puts it there).
func (v *Vault) NewRecoveryKey() string { return newRecoveryKey() }

// SetRecoveryKey replaces the recovery slot with one for key and writes the
// vault file: from then on only key recovers this vault file. Backups made
// before carry the vault file of their day in their header, so the old key
// still opens those.
func (v *Vault) SetRecoveryKey(key string) error {
	s, err := v.recoverySlot(key)
	if err != nil {
		return err
	}
	return v.putSlot(s)
}

// OpensWithRecoveryKey reports whether key unlocks the current recovery
// slot.
func (v *Vault) OpensWithRecoveryKey(key string) bool {
	raw, err := parseRecoveryKey(key)
	if err != nil {
		return false
	}
	for _, s := range v.File().Slots {
		if s.Kind == SlotRecovery {
			if _, err := open(recoveryKEK(raw, s.Salt), s); err == nil {
				return true
			}
		}
	}
	return false
}

// putSlot replaces (or adds) the slot of s's kind and saves the file when
// the vault lives in a data dir. On a failed save the vault keeps its
// previous slots.
func (v *Vault) putSlot(s Slot) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	old := v.file.Slots
	v.replaceSlot(s)
	if v.dir == "" {
		return nil
	}
	if err := v.save(); err != nil {
		v.file.Slots = old
		return err
	}
	return nil
}

// Rebind writes v's vault file into dataDir and a machine slot for this
// PC; used when a backup is restored into a new data dir.
func (v *Vault) Rebind(dataDir string, o Options) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.dir = dataDir
	if !v.hasMachine(o) {
		if err := v.addMachine(o); err != nil {
			return err
		}
	}
	return v.save()
}

// replaceSlot puts s in a new slot list, so a File handed out before
// keeps its own. The caller holds v.mu or owns v alone.
func (v *Vault) replaceSlot(s Slot) {
	slots := make([]Slot, 0, len(v.file.Slots)+1)
	found := false
	for _, old := range v.file.Slots {
		if old.Kind == s.Kind && !found {
			old, found = s, true
		}
		slots = append(slots, old)
	}
	if !found {
		slots = append(slots, s)
	}
	v.file.Slots = slots
}

func (v *Vault) hasMachine(o Options) bool {
	if o.MachineDir == "" {
		return false
	}
	b, err := os.ReadFile(machineKeyPath(o.MachineDir, v.file.ID))
	if err != nil {
		return false
	}
	for _, s := range v.file.Slots {
		if s.Kind == SlotMachine {
			if _, err := open(b, s); err == nil {
				return true
			}
		}
	}
	return false
}

// addMachine wraps the master key with a new machine key for this PC and,
// where an OS keyring is available, with a key kept in the keyring.
func (v *Vault) addMachine(o Options) error {
	if o.MachineDir == "" {
		return errors.New("vault: no machine key directory")
	}
	kek := make([]byte, 32)
	rand.Read(kek)
	if err := os.MkdirAll(o.MachineDir, 0o700); err != nil {
		return fmt.Errorf("machine key dir: %w", err)
	}
	if err := writeFileSync(machineKeyPath(o.MachineDir, v.file.ID), kek, 0o600); err != nil {
		return fmt.Errorf("machine key: %w", err)
	}
	s := Slot{Kind: SlotMachine}
	if err := seal(kek, v.master, &s); err != nil {
		return err
	}
	// Several PCs may each have a machine slot; keep them all.
	v.file.Slots = append(v.file.Slots[:len(v.file.Slots):len(v.file.Slots)], s)
	if o.Keyring != nil {
		kr := make([]byte, 32)
		rand.Read(kr)
		if err := o.Keyring.Set(keyringService, v.file.ID, hex.EncodeToString(kr)); err == nil {
			ks := Slot{Kind: SlotKeyring}
			if err := seal(kr, v.master, &ks); err == nil {
				v.replaceSlot(ks)
			}
		}
	}
	return nil
}

func (v *Vault) recoverySlot(recovery string) (Slot, error) {
	raw, err := parseRecoveryKey(recovery)
	if err != nil {
		return Slot{}, err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	s := Slot{Kind: SlotRecovery, Salt: salt}
	return s, seal(recoveryKEK(raw, salt), v.master, &s)
}

func (v *Vault) save() error {
	b, err := json.MarshalIndent(v.file, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSync(filepath.Join(v.dir, FileName), b, 0o600)
}

func machineKeyPath(dir, id string) string { return filepath.Join(dir, "machine-"+id+".key") }

func aad(kind string) []byte { return []byte("motcua-vault-v1|" + kind) }

func seal(kek, master []byte, s *Slot) error {
	gcm, err := newGCM(kek)
	if err != nil {
		return err
	}
	s.Nonce = make([]byte, gcm.NonceSize())
	rand.Read(s.Nonce)
	s.Ciphertext = gcm.Seal(nil, s.Nonce, master, aad(s.Kind))
	return nil
}

func open(kek []byte, s Slot) ([]byte, error) {
	gcm, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	if len(s.Nonce) != gcm.NonceSize() {
		return nil, ErrCorrupt
	}
	return gcm.Open(nil, s.Nonce, s.Ciphertext, aad(s.Kind))
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, errors.New("vault: key must be 32 bytes")
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// The recovery key is 20 random bytes written as 32 base32 letters in
// groups of four, easy to print and to type back.
var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func newRecoveryKey() string {
	raw := make([]byte, 20)
	rand.Read(raw)
	s := recoveryEncoding.EncodeToString(raw)
	var groups []string
	for i := 0; i < len(s); i += 4 {
		groups = append(groups, s[i:i+4])
	}
	return strings.Join(groups, "-")
}

func parseRecoveryKey(s string) ([]byte, error) {
	// Base32 has no 0, 1 or 8: a key copied by hand with those means O, I, B.
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(s)))
	s = strings.NewReplacer("0", "O", "1", "I", "8", "B").Replace(s)
	raw, err := recoveryEncoding.DecodeString(s)
	if err != nil || len(raw) != 20 {
		return nil, ErrBadSecret
	}
	return raw, nil
}

func recoveryKEK(raw, salt []byte) []byte {
	k, _ := hkdf.Key(sha256.New, raw, salt, "motcua recovery kek v1", 32)
	return k
}

// writeFileSync writes data to path atomically and durably.
func writeFileSync(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
