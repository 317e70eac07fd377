package cli

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strconv"

	"motcua/app/blobs"
	"motcua/app/digitize"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/app/vault"
	"motcua/scanning"
	"motcua/scanning/fitz"
	"motcua/scanning/sane"
	"motcua/scanning/tesseract"
)

// openDigitize builds the blob store and the digitisation service with the
// real engines (MuPDF, Tesseract). The engines load lazily: a PC without
// Tesseract's Vietnamese data still imports; its jobs fail with a message.
func openDigitize(dataDir string, env Env, st *store.Store, v *vault.Vault, rec *reception.Service, log *slog.Logger) (*digitize.Service, func(), error) {
	key, err := blobKey(st, v)
	if err != nil {
		return nil, nil, err
	}
	bs, err := blobs.Open(filepath.Join(dataDir, "blobs"), key, log)
	if err != nil {
		return nil, nil, fmt.Errorf("open blob store: %w", err)
	}
	// One page per core, at most four: each worker holds a page and a
	// Tesseract instance (~150–250 MB), and commune PCs are small.
	workers := min(runtime.NumCPU(), 4)
	if n, err := strconv.Atoi(env.Getenv("MOTCUA_SCAN_WORKERS")); err == nil && n > 0 {
		workers = n
	}
	dpi := 300.0 // the archival resolution of the digitisation guidance
	if n, err := strconv.Atoi(env.Getenv("MOTCUA_SCAN_DPI")); err == nil && n >= 150 && n <= 600 {
		dpi = float64(n)
	}
	pipe := scanning.New(fitz.New(), func() (scanning.Recognizer, error) {
		return tesseract.New(tesseract.Options{})
	}, scanning.Options{DPI: dpi, Workers: workers, Compact: true, Logger: log})
	svc, err := digitize.New(st, bs, pipe, rec, digitize.Options{TempDir: filepath.Join(dataDir, "tmp", "scans"),
		Scanner: sane.Scanner{}, Logger: log})
	if err != nil {
		pipe.Close()
		return nil, nil, err
	}
	return svc, func() {
		if err := pipe.Close(); err != nil {
			log.Error("close ocr engines", "err", err)
		}
	}, nil
}

// blobKey is the vault's blob key. A store created before encryption at
// rest has no vault: its blobs get a random key kept in the store, so they
// are no less protected than the store itself.
func blobKey(st *store.Store, v *vault.Vault) ([]byte, error) {
	if v != nil {
		return v.BlobKey(), nil
	}
	var key []byte
	err := st.Update(func(x *store.Txn) error {
		k, err := x.Get(store.KeyLegacyBlobKey())
		if err == nil {
			key = k
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		key = make([]byte, 32)
		rand.Read(key)
		return x.Set(store.KeyLegacyBlobKey(), key)
	})
	return key, err
}
