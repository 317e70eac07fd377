package vault

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParseFile reads arbitrary vault files, as a backup's header carries
// one from outside (a USB drive), and unlocks accepted ones with a
// recovery key. An accepted file has a hex ID (it names the machine key
// file) and passphrase parameters argon2 accepts within the bounds;
// unlocking never panics and fails only with ErrBadSecret or ErrLocked.
// The seed corpus in testdata/fuzz starts from a real vault file and
// hostile variants of it (a path in the ID, zero Argon2 threads, a short
// nonce).
func FuzzParseFile(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		vf, err := ParseFile(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%q: error %v is not ErrCorrupt", data, err)
			}
			return
		}
		if !validID(vf.ID) || vf.Version != 1 || len(vf.Slots) == 0 {
			t.Fatalf("%q: accepted %+v", data, vf)
		}
		for _, s := range vf.Slots {
			if s.Kind == SlotPassphrase && (s.Time < 1 || s.Time > maxArgonTime || s.Threads < 1 ||
				s.Threads > maxArgonThreads || s.Memory < 8*uint32(s.Threads) || s.Memory > maxArgonMemory) {
				t.Fatalf("%q: accepted passphrase slot %+v", data, s)
			}
		}
		if _, err := UnlockFile(vf, Options{RecoveryKey: key}); err != nil &&
			!errors.Is(err, ErrBadSecret) && !errors.Is(err, ErrLocked) {
			t.Fatalf("%q with key %q: error %v", data, key, err)
		}
		b, _ := json.Marshal(vf)
		if _, err := ParseFile(b); err != nil {
			t.Fatalf("%q: re-encoded file refused: %v", data, err)
		}
	})
}
