package syncing

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"motcua/app/blobs"
	"motcua/app/digitize"
	"motcua/app/dossier"
	"motcua/app/reception"
	"motcua/internal/scantest"
	"motcua/scanning"
	"motcua/scanning/fitz"
	"motcua/sync/hub"
	"motcua/sync/wire"
)

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
	d := newDesk(t, commune, func(c *Config) { c.Blobs = DeskBlobs{bs} })
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

// TestResultPaperReachesTheDesk: the result paper an official attaches on
// the hub is downloaded into the desk's blob store (hash-checked) before the
// change naming it is applied, and the dossier lists it.
func TestResultPaperReachesTheDesk(t *testing.T) {
	e := newHubEnv(t)
	bs, err := blobs.Open(filepath.Join(t.TempDir(), "blobs"), bytes.Repeat([]byte{4}, 32), quiet)
	if err != nil {
		t.Fatal(err)
	}
	d := newDesk(t, commune, func(c *Config) { c.Results = DeskBlobs{bs} })
	d.enrol(e)
	d.sync.Start(d.rec)
	dos := d.receive()
	waitFor(t, 30*time.Second, "the dossier on the hub", func() bool {
		return e.count("SELECT count(*) FROM dossiers WHERE id = $1", dos.ID) == 1
	})
	ctx := context.Background()
	staff, err := e.srv.CreateStaff(ctx, hub.NewStaff{Username: "tuphap", FullName: "Lê Thị Tư Pháp", AgencyCode: "H56", Password: "mật khẩu dài đủ mạnh 2026"})
	if err != nil {
		t.Fatal(err)
	}
	paper := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("Bản sao đã chứng thực. "), 400)...)
	ref, err := e.srv.PutResultPaper(ctx, bytes.NewReader(paper), "Bản sao đã chứng thực", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Take(ctx, hub.StaffAction{ChangeID: uuid.NewString(), DossierID: dos.ID, ExpectState: "received", Staff: staff}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.RecordResult(ctx, hub.StaffAction{ChangeID: uuid.NewString(), DossierID: dos.ID, ExpectState: "processing", Staff: staff},
		[]wire.ResultPaper{{Name: "Bản sao đã chứng thực", Blob: ref}}, ""); err != nil {
		t.Fatal(err)
	}
	d.sync.SyncNow()
	var got reception.Dossier
	waitFor(t, 30*time.Second, "the result at the desk", func() bool {
		got, _, _ = d.rec.Get(ctx, dos.ID)
		return got.State == dossier.StateResultReady
	})
	if len(got.ResultFiles) != 1 || got.ResultFiles[0].SHA256 != ref.SHA256 || got.ResultFiles[0].Name != "Bản sao đã chứng thực" {
		t.Fatalf("result files %+v", got.ResultFiles)
	}
	r, err := bs.Open(ref.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	kept, _ := io.ReadAll(r)
	if !bytes.Equal(kept, paper) {
		t.Fatal("the stored paper differs from the hub's")
	}
}
