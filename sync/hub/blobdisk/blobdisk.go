// Package blobdisk stores the hub's blobs on a local disk, addressed by
// SHA-256:
//
//	ROOT/blobs/ab/cd/abcd…   verified blobs, read-only
//	ROOT/uploads/abcd…       uploads in progress (appended chunk by chunk)
//	ROOT/tmp/                whole files being written by Put
//
// Nothing appears under blobs/ until its bytes were hashed and matched the
// name, and then only by rename of an fsynced file followed by an fsync of
// the directory, so a crash leaves either the whole verified blob or none.
// It implements hub.BlobStore.
package blobdisk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Store is a content-addressed blob store in a directory.
type Store struct {
	root string
}

// New opens (creating if needed) a store rooted at dir. Files left in tmp/
// by a crash are removed; uploads/ is kept, since the hub's database knows
// how far each upload got.
func New(dir string) (*Store, error) {
	s := &Store{root: dir}
	for _, d := range []string{"blobs", "uploads", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			return nil, fmt.Errorf("blobdisk: %w", err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		return nil, fmt.Errorf("blobdisk: %w", err)
	}
	for _, e := range entries {
		os.Remove(filepath.Join(dir, "tmp", e.Name()))
	}
	return s, nil
}

func validSum(sum string) error {
	if len(sum) != 64 {
		return fmt.Errorf("blobdisk: %q is not a SHA-256 address", sum)
	}
	if _, err := hex.DecodeString(sum); err != nil {
		return fmt.Errorf("blobdisk: %q is not a SHA-256 address", sum)
	}
	return nil
}

// Path is where a verified blob lives; exported for operators and tests.
func (s *Store) Path(sum string) string {
	return filepath.Join(s.root, "blobs", sum[:2], sum[2:4], sum)
}

func (s *Store) staged(sum string) string { return filepath.Join(s.root, "uploads", sum) }

// Append implements hub.BlobStore. A staging file shorter than offset (lost
// or truncated outside the hub) yields an error wrapping fs.ErrNotExist: the
// upload must restart.
func (s *Store) Append(ctx context.Context, sum string, offset int64, p []byte) error {
	if err := validSum(sum); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.OpenFile(s.staged(sum), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("blobdisk: append: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("blobdisk: append: %w", err)
	}
	if fi.Size() < offset {
		return fmt.Errorf("blobdisk: append %s at %d: only %d bytes staged: %w", sum, offset, fi.Size(), fs.ErrNotExist)
	}
	// Bytes past offset belong to a chunk that was never acknowledged.
	if err := f.Truncate(offset); err != nil {
		return fmt.Errorf("blobdisk: append: %w", err)
	}
	if _, err := f.WriteAt(p, offset); err != nil {
		return fmt.Errorf("blobdisk: append: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("blobdisk: append: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("blobdisk: append: %w", err)
	}
	if offset == 0 {
		// A new staging file: make its directory entry durable too.
		return syncDir(filepath.Join(s.root, "uploads"))
	}
	return nil
}

// Commit implements hub.BlobStore.
func (s *Store) Commit(ctx context.Context, sum string) (string, int64, error) {
	if err := validSum(sum); err != nil {
		return "", 0, err
	}
	staged := s.staged(sum)
	f, err := os.Open(staged)
	if errors.Is(err, fs.ErrNotExist) {
		// Committed before and the caller's record of it was lost: the
		// blob is in place (and was verified when it got there).
		if fi, serr := os.Stat(s.Path(sum)); serr == nil {
			return sum, fi.Size(), nil
		}
		return "", 0, fmt.Errorf("blobdisk: commit %s: nothing staged: %w", sum, err)
	}
	if err != nil {
		return "", 0, fmt.Errorf("blobdisk: commit: %w", err)
	}
	h := sha256.New()
	size, err := io.Copy(h, ctxReader{ctx, f})
	f.Close()
	if err != nil {
		return "", 0, fmt.Errorf("blobdisk: commit %s: %w", sum, err)
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != sum {
		if err := os.Remove(staged); err != nil {
			return "", 0, fmt.Errorf("blobdisk: commit %s: drop mismatched upload: %w", sum, err)
		}
		return got, size, nil
	}
	if err := s.place(staged, sum); err != nil {
		return "", 0, err
	}
	return sum, size, nil
}

// place renames a verified, fsynced file to its address and makes the
// rename durable.
func (s *Store) place(from, sum string) error {
	final := s.Path(sum)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("blobdisk: %w", err)
	}
	if _, err := os.Stat(final); err == nil {
		// Same address, same bytes: keep the one already there.
		return os.Remove(from)
	}
	if err := os.Chmod(from, 0o440); err != nil {
		return fmt.Errorf("blobdisk: %w", err)
	}
	if err := os.Rename(from, final); err != nil {
		return fmt.Errorf("blobdisk: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return syncDir(filepath.Dir(from))
}

// Discard implements hub.BlobStore.
func (s *Store) Discard(ctx context.Context, sum string) error {
	if err := validSum(sum); err != nil {
		return err
	}
	if err := os.Remove(s.staged(sum)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blobdisk: discard: %w", err)
	}
	return nil
}

// Put implements hub.BlobStore: write to a temporary file while hashing,
// fsync, then rename to the address the bytes hashed to.
func (s *Store) Put(ctx context.Context, r io.Reader) (string, int64, error) {
	f, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "put-")
	if err != nil {
		return "", 0, fmt.Errorf("blobdisk: put: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	h := sha256.New()
	size, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("blobdisk: put: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := s.place(tmp, sum); err != nil {
		return "", 0, err
	}
	return sum, size, nil
}

// Open implements hub.BlobStore.
func (s *Store) Open(ctx context.Context, sum string) (io.ReadSeekCloser, error) {
	if err := validSum(sum); err != nil {
		return nil, err
	}
	f, err := os.Open(s.Path(sum))
	if err != nil {
		return nil, fmt.Errorf("blobdisk: open: %w", err)
	}
	return f, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blobdisk: sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blobdisk: sync dir: %w", err)
	}
	return nil
}

// ctxReader stops a long copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
