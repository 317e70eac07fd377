package cli

import (
	"bytes"
	"context"
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
	"motcua/sync/wire"
)

// openDigitize builds the blob store and the digitisation service with the
// real engines (MuPDF, Tesseract). The engines load lazily: a PC without
// Tesseract's Vietnamese data still imports; its jobs fail with a message.
func openDigitize(dataDir string, env Env, st *store.Store, bs *blobs.Store, rec *reception.Service, out digitize.Outbox, log *slog.Logger) (*digitize.Service, func(), error) {
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
		Scanner: sane.Scanner{}, Outbox: out, Logger: log})
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

// openBlobs opens the encrypted blob store beside the Badger store.
func openBlobs(dataDir string, st *store.Store, v *vault.Vault, log *slog.Logger) (*blobs.Store, error) {
	key, err := blobKey(st, v)
	if err != nil {
		return nil, err
	}
	bs, err := blobs.Open(filepath.Join(dataDir, "blobs"), key, log)
	if err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	return bs, nil
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

// referenceInstaller installs the documents the province publishes through
// the hub with the rules of an admin's import at the desk: a catalog
// merges (older versions refused), a holiday override replaces that year's.
type referenceInstaller struct{ rec *reception.Service }

var hubActor = reception.Actor{ID: "hub", Name: "Máy chủ tỉnh", Role: "hub"}

func (r *referenceInstaller) InstallReference(ctx context.Context, doc wire.ReferenceDoc, raw []byte) error {
	switch doc.Kind {
	case wire.ReferenceCatalog:
		_, err := r.rec.ImportCatalog(ctx, bytes.NewReader(raw), true, hubActor)
		return err
	case wire.ReferenceCalendar:
		_, err := r.rec.SetHolidayOverride(ctx, doc.Year, raw, hubActor)
		return err
	}
	return fmt.Errorf("reference %s: unknown kind %q", doc.Name, doc.Kind)
}
