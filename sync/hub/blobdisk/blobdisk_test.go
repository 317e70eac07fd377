package blobdisk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sumOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newStore(t *testing.T) (*Store, string) {
	dir := t.TempDir()
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

func readAll(t *testing.T, s *Store, sum string) []byte {
	t.Helper()
	f, err := s.Open(context.Background(), sum)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppendCommit(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	data := bytes.Repeat([]byte("quét hồ sơ "), 5000)
	sum := sumOf(data)
	if err := s.Append(ctx, sum, 0, data[:1000]); err != nil {
		t.Fatal(err)
	}
	// A chunk that was written but never acknowledged is overwritten by
	// the resend at the same offset.
	if err := s.Append(ctx, sum, 1000, []byte("garbage garbage garbage")); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, sum, 1000, data[1000:]); err != nil {
		t.Fatal(err)
	}
	got, size, err := s.Commit(ctx, sum)
	if err != nil || got != sum || size != int64(len(data)) {
		t.Fatalf("commit: %s %d %v", got, size, err)
	}
	if !bytes.Equal(readAll(t, s, sum), data) {
		t.Fatal("stored bytes differ")
	}
	if _, err := os.Stat(s.staged(sum)); !os.IsNotExist(err) {
		t.Fatal("staging file left behind")
	}
	// Committing again (the hub crashed before recording the first commit)
	// finds the blob in place.
	if got, size, err := s.Commit(ctx, sum); err != nil || got != sum || size != int64(len(data)) {
		t.Fatalf("second commit: %s %d %v", got, size, err)
	}
}

func TestCommitMismatchDropsUpload(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	claimed := sumOf([]byte("what the client said"))
	data := []byte("what actually arrived")
	if err := s.Append(ctx, claimed, 0, data); err != nil {
		t.Fatal(err)
	}
	got, _, err := s.Commit(ctx, claimed)
	if err != nil || got != sumOf(data) {
		t.Fatalf("commit: %s %v", got, err)
	}
	if _, err := s.Open(ctx, claimed); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("mismatched bytes readable under the claimed address: %v", err)
	}
	if _, err := os.Stat(s.staged(claimed)); !os.IsNotExist(err) {
		t.Fatal("mismatched upload kept")
	}
}

func TestAppendGapIsNotExist(t *testing.T) {
	s, _ := newStore(t)
	sum := sumOf([]byte("x"))
	if err := s.Append(context.Background(), sum, 10, []byte("x")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("append past the staged end: %v", err)
	}
}

func TestPutOpenAndRestart(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	data := []byte("giấy khai sinh")
	sum, size, err := s.Put(ctx, bytes.NewReader(data))
	if err != nil || sum != sumOf(data) || size != int64(len(data)) {
		t.Fatalf("put: %s %d %v", sum, size, err)
	}
	// Same bytes again: same address, one file.
	if sum2, _, err := s.Put(ctx, bytes.NewReader(data)); err != nil || sum2 != sum {
		t.Fatalf("second put: %s %v", sum2, err)
	}
	if fi, err := os.Stat(s.Path(sum)); err != nil || fi.Mode().Perm()&0o222 != 0 {
		t.Fatalf("blob file should be read-only: %v %v", fi.Mode(), err)
	}
	// A crash left a temp file and a staged upload; reopening removes the
	// first and keeps the second (the database knows its offset).
	os.WriteFile(filepath.Join(dir, "tmp", "put-123"), []byte("half"), 0o600)
	staged := sumOf([]byte("staged"))
	s.Append(ctx, staged, 0, []byte("sta"))
	s2, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(entries) != 0 {
		t.Fatalf("tmp not cleaned: %v", entries)
	}
	if err := s2.Append(ctx, staged, 3, []byte("ged")); err != nil {
		t.Fatal(err)
	}
	if got, _, err := s2.Commit(ctx, staged); err != nil || got != staged {
		t.Fatalf("commit after reopen: %s %v", got, err)
	}
	if !bytes.Equal(readAll(t, s2, sum), data) {
		t.Fatal("blob lost across reopen")
	}
}

func TestRefusesBadAddresses(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	for _, sum := range []string{"", "../../etc/passwd", strings.Repeat("z", 64), strings.Repeat("a", 63)} {
		if err := s.Append(ctx, sum, 0, []byte("x")); err == nil {
			t.Errorf("append accepted address %q", sum)
		}
		if _, err := s.Open(ctx, sum); err == nil {
			t.Errorf("open accepted address %q", sum)
		}
	}
}
