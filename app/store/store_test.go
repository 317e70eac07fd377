package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
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
