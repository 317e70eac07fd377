package syncing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"motcua/app/blobs"
	"motcua/app/digitize"
	"motcua/internal/scantest"
	"motcua/scanning"
	"motcua/scanning/fitz"
)

type testBlobs struct{ bs *blobs.Store }

func (b testBlobs) OpenBlob(ctx context.Context, sha string) (BlobReader, error) {
	r, err := b.bs.Open(sha)
	if errors.Is(err, blobs.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	return r, err
}

// TestScansReachTheHub: a scan bound to a dossier at the desk reaches the
// hub after the dossier — the PDF uploaded and hash-checked, then an
// attach_scans event naming it — exactly once.
func TestScansReachTheHub(t *testing.T) {
	e := newHubEnv(t)
	dir := t.TempDir()
	bs, err := blobs.Open(filepath.Join(dir, "blobs"), bytes.Repeat([]byte{3}, 32), quiet)
	if err != nil {
		t.Fatal(err)
	}
	d := newDesk(t, commune, func(c *Config) { c.Blobs = testBlobs{bs} })
	// A born-digital PDF: its own text layer is used, no OCR engine needed.
	pipe := scanning.New(fitz.New(), nil, scanning.Options{DPI: 100, Workers: 1, Logger: quiet})
	t.Cleanup(func() { pipe.Close() })
	dig, err := digitize.New(d.st, bs, pipe, d.rec, digitize.Options{TempDir: filepath.Join(dir, "tmp"), Outbox: d.sync, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go dig.Run(ctx)
	d.enrol(e)
	d.sync.Start(d.rec)

	dos := d.receive()
	var pdf bytes.Buffer
	if err := scantest.WritePDF(&pdf, []scantest.PDFPage{{Lines: scantest.Page(0, 12)}, {Lines: scantest.Page(1, 12)}}); err != nil {
		t.Fatal(err)
	}
	job, _, err := dig.Import(context.Background(), &pdf, "to-khai.pdf", digitize.ImportOptions{DossierID: dos.ID, Component: "Tờ khai"},
		digitize.Actor{ID: "u1", Name: "Trần Văn Bình", Role: "clerk"})
	if err != nil {
		t.Fatal(err)
	}
	var done digitize.Job
	waitFor(t, 60*time.Second, "the scan job", func() bool {
		done, _, _ = dig.Get(context.Background(), job.ID)
		return done.State == digitize.StateDone || done.State == digitize.StateFailed
	})
	if done.State != digitize.StateDone || done.PDF == nil || len(done.SentTo) != 1 {
		t.Fatalf("job %+v %+v", done, done.Error)
	}
	d.sync.SyncNow()
	waitFor(t, 30*time.Second, "the scan on the hub", func() bool {
		return e.count("SELECT count(*) FROM events WHERE dossier_id = $1 AND action = 'attach_scans'", dos.ID) == 1
	})
	if n := e.count("SELECT count(*) FROM blob_refs WHERE dossier_id = $1 AND sha256 = $2", dos.ID, done.PDF.SHA256); n != 1 {
		t.Fatalf("%d blob refs for the PDF", n)
	}
	if n := e.count("SELECT count(*) FROM dossiers WHERE id = $1 AND has_scan", dos.ID); n != 1 {
		t.Fatal("dossier not marked as having a scan on the hub")
	}
	// Binding the same scan again sends nothing new.
	if _, err := dig.Bind(context.Background(), job.ID, dos.ID, "Tờ khai", digitize.Actor{ID: "u1"}); err != nil {
		t.Fatal(err)
	}
	d.sync.SyncNow()
	time.Sleep(500 * time.Millisecond)
	if n := e.count("SELECT count(*) FROM events WHERE dossier_id = $1 AND action = 'attach_scans'", dos.ID); n != 1 {
		t.Fatalf("%d attach_scans events after binding again", n)
	}
}
