package hub

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"motcua/sync/wire"
)

// Reference documents are files in Config.ReferenceDir that the province
// publishes to every commune: catalog.json (the procedure catalog in the
// desk's exchange format) and calendar-YYYY.json (a year's holiday
// override). Publishing is copying a file there (or `hub publish`); every
// pull answer lists them with their SHA-256, and a desk fetches the ones it
// has not installed. Files rather than a table: the province edits them with
// the same tools as the desk's import files, and a bad one is replaced by
// copying the previous one back.

type refCache struct {
	mu    sync.Mutex
	files map[string]refEntry // by name
}

type refEntry struct {
	size int64
	mod  time.Time
	doc  wire.ReferenceDoc
}

// referenceDocs lists the published documents, hashing only files that
// changed since the last call.
func (s *Server) referenceDocs() ([]wire.ReferenceDoc, error) {
	dir := s.cfg.ReferenceDir
	if dir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reference dir: %w", err)
	}
	s.refs.mu.Lock()
	defer s.refs.mu.Unlock()
	if s.refs.files == nil {
		s.refs.files = map[string]refEntry{}
	}
	var out []wire.ReferenceDoc
	for _, e := range entries {
		kind, year, ok := wire.ParseReferenceName(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if info.Size() > wire.MaxReferenceBytes {
			s.log.Warn("reference document too large; not published", "file", e.Name(), "bytes", info.Size())
			continue
		}
		c, ok := s.refs.files[e.Name()]
		if !ok || c.size != info.Size() || !c.mod.Equal(info.ModTime()) {
			sum, n, err := hashFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("reference %s: %w", e.Name(), err)
			}
			c = refEntry{size: info.Size(), mod: info.ModTime(),
				doc: wire.ReferenceDoc{Name: e.Name(), Kind: kind, Year: year, SHA256: sum, Size: n}}
			s.refs.files[e.Name()] = c
		}
		out = append(out, c.doc)
	}
	return out, nil // in name order: os.ReadDir sorts
}

func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil)), n, err
}

// handleReference serves one published document to an enrolled device.
func (s *Server) handleReference(w http.ResponseWriter, r *http.Request, c *deviceCall) {
	if _, ok := s.body(w, r, c, 0); !ok {
		return
	}
	name := r.PathValue("name")
	if _, _, ok := wire.ParseReferenceName(name); !ok || s.cfg.ReferenceDir == "" {
		fail(w, http.StatusNotFound, wire.CodeNotFound)
		return
	}
	f, err := os.Open(filepath.Join(s.cfg.ReferenceDir, name))
	if errors.Is(err, fs.ErrNotExist) {
		fail(w, http.StatusNotFound, wire.CodeNotFound)
		return
	}
	if err != nil {
		s.internal(w, r, "reference", err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	io.Copy(w, io.LimitReader(f, wire.MaxReferenceBytes))
}
