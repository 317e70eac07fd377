package blobs

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Walk calls fn with the digest and plaintext size of every stored blob,
// in no particular order, and stops at fn's first error. The digest comes
// from the file's authenticated trailer. Walk reads only each file's header
// and final chunk (Verify reads the whole blob); files that fail that or
// sit under a name that is not their digest's are logged, skipped, and
// reported at the end as one error wrapping ErrCorrupt.
func (s *Store) Walk(fn func(sha string, size int64) error) error {
	return s.walk(func(b blobFile) error { return fn(b.sha, b.size) })
}

type blobFile struct {
	sha  string
	size int64
	path string
}

func (s *Store) walk(fn func(blobFile) error) error {
	subs, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("blobs: walk: %w", err)
	}
	bad := 0
	for _, sub := range subs {
		if !sub.IsDir() || len(sub.Name()) != 2 {
			continue
		}
		files, err := os.ReadDir(filepath.Join(s.dir, sub.Name()))
		if err != nil {
			return fmt.Errorf("blobs: walk: %w", err)
		}
		for _, e := range files {
			name := e.Name()
			if !isHex64(name) || name[:2] != sub.Name() {
				continue
			}
			p := filepath.Join(s.dir, sub.Name(), name)
			b, err := s.identify(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted since the listing
			}
			if errors.Is(err, ErrCorrupt) {
				bad++
				s.log.Warn("blobs: walk: skipping a blob file", "path", p, "err", err)
				continue
			}
			if err != nil {
				return fmt.Errorf("blobs: walk: %w", err)
			}
			if err := fn(b); err != nil {
				return err
			}
		}
	}
	if bad > 0 {
		return fmt.Errorf("blobs: walk: %d files cannot be authenticated: %w", bad, ErrCorrupt)
	}
	return nil
}

// identify reads the blob file at p and checks that its name fits.
func (s *Store) identify(p string) (blobFile, error) {
	f, err := os.Open(p)
	if err != nil {
		return blobFile{}, err
	}
	defer f.Close()
	o, err := s.decrypt(f)
	if err != nil {
		return blobFile{}, err
	}
	raw, _ := hex.DecodeString(o.sha)
	if s.name(raw) != filepath.Base(p) {
		return blobFile{}, fmt.Errorf("%w: file holds blob %s", ErrCorrupt, o.sha)
	}
	return blobFile{sha: o.sha, size: o.size, path: p}, nil
}

// GC removes every blob for which live reports false, except those written
// or deduplicated within the grace period (their references may not be in
// Badger yet). It returns how many it removed; blobs that cannot be
// authenticated are left in place and reported as an error wrapping
// ErrCorrupt after the rest is collected.
func (s *Store) GC(ctx context.Context, live func(sha string) (bool, error)) (removed int, err error) {
	dirs := map[string]bool{}
	err = s.walk(func(b blobFile) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ok, err := live(b.sha)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		gone, err := s.collect(b.path)
		if gone {
			removed++
			dirs[filepath.Dir(b.path)] = true
		}
		return err
	})
	// One fsync per directory rather than per file: a removal lost in a
	// crash is collected again next time.
	for d := range dirs {
		if serr := syncDir(d); serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		err = wrap("gc", err)
	}
	s.log.Info("blobs: gc", "removed", removed, "err", err)
	return removed, err
}

// collect removes the dead blob at p unless a Put refreshed it lately.
func (s *Store) collect(p string) (bool, error) {
	s.place.Lock()
	defer s.place.Unlock()
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if time.Since(st.ModTime()) < s.gcGrace {
		return false, nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, nil
}
