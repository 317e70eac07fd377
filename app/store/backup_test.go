package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestBackupRestoreRoundTrip(t *testing.T) {
	s := openTemp(t, Options{})
	want := map[string]string{"office": `{"commune":"Xã Tân Phú"}`, "other": "ẩ ễ ọ"}
	s.Update(func(x *Txn) error {
		for k, v := range want {
			if err := x.Set(settingsKey(k), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	file := filepath.Join(t.TempDir(), "b.motcua")
	if err := s.BackupToFile(file); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "restored")
	f, _ := os.Open(file)
	defer f.Close()
	if err := Restore(target, f, Options{}); err != nil {
		t.Fatal(err)
	}
	r := openTemp(t, Options{Dir: target})
	for k, v := range want {
		var got []byte
		err := r.View(func(x *Txn) error { var err error; got, err = x.Get(settingsKey(k)); return err })
		if err != nil || string(got) != v {
			t.Fatalf("%s: got %q, %v; want %q", k, got, err, v)
		}
	}
	if v, _ := r.Version(); v != SchemaVersion() {
		t.Fatalf("restored schema %d", v)
	}
}

func TestRestoreRefusesNonEmptyDir(t *testing.T) {
	s := openTemp(t, Options{})
	var buf bytes.Buffer
	if err := s.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	os.WriteFile(filepath.Join(target, "keep.txt"), []byte("mine"), 0o600)
	err := Restore(target, &buf, Options{})
	if !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("got %v, want ErrNotEmpty", err)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "keep.txt")); string(b) != "mine" {
		t.Fatal("existing file changed")
	}
}

func TestRestoreRejectsDamagedBackups(t *testing.T) {
	s := openTemp(t, Options{})
	s.Update(func(x *Txn) error { return x.Set(KeyOfficeSettings(), bytes.Repeat([]byte("dữ liệu "), 5000)) })
	var buf bytes.Buffer
	if err := s.Backup(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-100] ^= 0xff
	cases := map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("hello world\nnot gzip"),
		"truncated": good[:len(good)/2],
		"flipped":   flipped,
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "d")
			err := Restore(target, bytes.NewReader(data), Options{})
			if !errors.Is(err, ErrBadBackup) {
				t.Fatalf("got %v, want ErrBadBackup", err)
			}
			if _, err := os.Stat(target); !os.IsNotExist(err) {
				t.Fatalf("target created after failed restore: %v", err)
			}
		})
	}
}
