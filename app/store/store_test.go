package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func openTemp(t *testing.T, o Options) *Store {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	s, err := Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type doc struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

func TestGetSetJSONAndNotFound(t *testing.T) {
	s := openTemp(t, Options{})
	err := s.View(func(x *Txn) error {
		var d doc
		return x.GetJSON(KeyOfficeSettings(), &d)
	})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key: got %v, want ErrNotFound", err)
	}
	want := doc{Name: "Xã Hòa Bình", N: 7}
	if err := s.Update(func(x *Txn) error { return x.SetJSON(KeyOfficeSettings(), want) }); err != nil {
		t.Fatal(err)
	}
	var got doc
	if err := s.View(func(x *Txn) error { return x.GetJSON(KeyOfficeSettings(), &got) }); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestUpdateErrorRollsBack(t *testing.T) {
	s := openTemp(t, Options{})
	boom := errors.New("boom")
	err := s.Update(func(x *Txn) error {
		if err := x.Set(KeyOfficeSettings(), []byte("x")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	err = s.View(func(x *Txn) error { _, err := x.Get(KeyOfficeSettings()); return err })
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("write of failed txn visible: %v", err)
	}
}

func TestIteratePrefixInOrder(t *testing.T) {
	s := openTemp(t, Options{})
	err := s.Update(func(x *Txn) error {
		for _, n := range []string{"b", "a", "c"} {
			if err := x.Set(settingsKey(n), []byte(n)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = s.View(func(x *Txn) error {
		return x.Iterate([]byte{prefixSettings}, func(k, v []byte) error {
			got = append(got, string(v))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Fatalf("got %v", got)
	}
}

func TestSchemaVersionWrittenAndPersisted(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Version()
	if err != nil || v != SchemaVersion() {
		t.Fatalf("version %d, %v; want %d", v, err, SchemaVersion())
	}
	var created []byte
	s.View(func(x *Txn) error { created, err = x.Get(keyCreated); return err })
	if _, perr := time.Parse(time.RFC3339, string(created)); perr != nil {
		t.Fatalf("created key %q: %v", created, perr)
	}
	s.Close()

	s2, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var again []byte
	s2.View(func(x *Txn) error { again, err = x.Get(keyCreated); return err })
	if !bytes.Equal(created, again) {
		t.Fatalf("migration ran twice: %q then %q", created, again)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s.Update(func(x *Txn) error {
		return x.Set(keySchemaVersion, binary.BigEndian.AppendUint32(nil, SchemaVersion()+1))
	})
	s.Close()
	_, err = Open(Options{Dir: dir})
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("got %v, want ErrNewerSchema", err)
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	dir := t.TempDir()
	s := openTemp(t, Options{Dir: dir})
	_, err := Open(Options{Dir: dir})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("got %v, want ErrLocked", err)
	}
	// The first handle still works.
	if err := s.Update(func(x *Txn) error { return x.Set(KeyOfficeSettings(), []byte("ok")) }); err != nil {
		t.Fatal(err)
	}
}

func TestGCLoopStopsOnClose(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), GCInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		s.Update(func(x *Txn) error { return x.Set(KeyOfficeSettings(), bytes.Repeat([]byte{byte(i)}, 4096)) })
	}
	done := make(chan error)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return: gc loop still running")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestEncryptionKeyMismatch(t *testing.T) {
	dir := t.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	s, err := Open(Options{Dir: dir, EncryptionKey: key})
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("079123456789")
	s.Update(func(x *Txn) error { return x.Set(KeyOfficeSettings(), secret) })
	s.Close()

	_, err = Open(Options{Dir: dir, EncryptionKey: bytes.Repeat([]byte{8}, 32)})
	if !errors.Is(err, ErrEncryptionKey) {
		t.Fatalf("got %v, want ErrEncryptionKey", err)
	}
	// The plain text must not appear in any file of the data dir.
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, secret) {
			t.Errorf("%s contains the secret in plain text", p)
		}
		return nil
	})
}

// SeekAtMost lands on the highest key ≤ the target whether it steps or
// seeks: targets just below, far below, above (a seek back up), exact,
// between keys, and past either end, checked against a sorted slice.
func TestKeyIterSeekAtMost(t *testing.T) {
	s := openTemp(t, Options{})
	prefix := []byte("p/")
	var keys []string
	r := rand.New(rand.NewPCG(7, 9))
	err := s.Update(func(x *Txn) error {
		for range 300 {
			k := fmt.Sprintf("%05d", r.IntN(100000))
			keys = append(keys, k)
			if err := x.Set(append(append([]byte(nil), prefix...), k...), nil); err != nil {
				return err
			}
		}
		// Neighbours outside the prefix, which the iterator must not reach.
		if err := x.Set([]byte("o/99999"), nil); err != nil {
			return err
		}
		return x.Set([]byte("q/00000"), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	want := func(target string) string { // highest key ≤ target, "" if none
		i, found := slices.BinarySearch(keys, target)
		if found {
			return keys[i]
		}
		if i == 0 {
			return ""
		}
		return keys[i-1]
	}
	err = s.View(func(x *Txn) error {
		it := x.ReverseKeys(prefix)
		defer it.Close()
		if !it.Valid() || string(it.Suffix()) != keys[len(keys)-1] {
			t.Fatalf("starts at %q, want %q", it.Suffix(), keys[len(keys)-1])
		}
		for i := range 2000 {
			var target string
			switch i % 5 {
			case 0: // far anywhere, also past the ends
				target = fmt.Sprintf("%06d", r.IntN(110000)-5000)[1:]
			case 1, 2: // a few keys down from here: the stepping path
				if it.Valid() {
					cur := string(it.Suffix())
					j, _ := slices.BinarySearch(keys, cur)
					target = keys[max(j-1-r.IntN(6), 0)]
					if r.IntN(2) == 0 {
						target += "5" // between two keys
					}
				} else {
					target = "50000"
				}
			case 3: // exactly here
				if it.Valid() {
					target = string(it.Suffix())
				} else {
					target = "99999"
				}
			case 4: // up again
				target = keys[r.IntN(len(keys))]
			}
			it.SeekAtMost(append(append([]byte(nil), prefix...), target...))
			got := ""
			if it.Valid() {
				got = string(it.Suffix())
			}
			if w := want(target); got != w {
				t.Fatalf("step %d: SeekAtMost(%q) at %q, want %q", i, target, got, w)
			}
			if i%7 == 0 && it.Valid() {
				it.Next()
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
