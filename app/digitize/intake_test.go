package digitize

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"motcua/app/forms"
	"motcua/internal/scantest"
	"motcua/scanning/sane"
)

// TestWatchFolder: a file the scanner is still writing is left alone; once
// it settles it is imported exactly once and removed; a bad file
// goes to loi with the reason; temporary and hidden files are ignored.
func TestWatchFolder(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	if _, err := f.svc.SetIntakeSettings(context.Background(), IntakeSettings{WatchFolder: "tuong-doi"}, operator); !errors.Is(err, ErrInvalid) {
		t.Errorf("relative folder: %v", err)
	}
	if _, err := f.svc.SetIntakeSettings(context.Background(), IntakeSettings{WatchFolder: filepath.Join(dir, "khong-co")}, operator); !errors.Is(err, ErrInvalid) {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := f.svc.SetIntakeSettings(context.Background(), IntakeSettings{WatchFolder: dir}, operator); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.svc.Watch(ctx, 50*time.Millisecond, 300*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()

	doc := scan(t, [][]string{scantest.Page(1, 4)}, nil, 150)
	w, err := os.Create(filepath.Join(dir, "hồ sơ 01.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	w.Write(doc[:len(doc)/2])
	os.WriteFile(filepath.Join(dir, "dang-chep.pdf.part"), doc, 0o600)
	os.WriteFile(filepath.Join(dir, ".an.pdf"), doc, 0o600)
	os.WriteFile(filepath.Join(dir, "rong.pdf"), nil, 0o600)
	// Half a file, growing: never imported while it changes.
	for range 4 {
		time.Sleep(150 * time.Millisecond)
		w.Write(nil)
		os.Chtimes(w.Name(), time.Now(), time.Now())
		if jobs, _, _ := f.svc.List(context.Background(), ListQuery{}); len(jobs) != 0 {
			t.Fatalf("a file being written was imported: %+v", jobs)
		}
	}
	w.Write(doc[len(doc)/2:])
	w.Close()

	waitFor(t, func() bool { _, err := os.Stat(w.Name()); return errors.Is(err, os.ErrNotExist) })
	jobs, _, err := f.svc.List(context.Background(), ListQuery{})
	if err != nil || len(jobs) != 1 || jobs[0].Name != "hồ sơ 01.pdf" || jobs[0].Size != int64(len(doc)) {
		t.Fatalf("jobs %+v %v", jobs, err)
	}
	waitFor(t, func() bool {
		_, err := os.Stat(filepath.Join(dir, WatchFailedDir, "rong.pdf.loi.txt"))
		return err == nil
	})
	note, _ := os.ReadFile(filepath.Join(dir, WatchFailedDir, "rong.pdf.loi.txt"))
	lines := strings.Split(strings.TrimPrefix(string(note), "\ufeff"), "\r\n")
	if !strings.HasPrefix(string(note), "\ufeff") || len(lines) < 3 || lines[0] != "Không nhập được tệp: rong.pdf" ||
		!strings.HasPrefix(lines[1], "Lý do: Tệp rỗng (0 byte)") || strings.Contains(string(note), "empty") {
		t.Errorf("reason beside the refused file: %q", note)
	}
	for _, n := range []string{"dang-chep.pdf.part", ".an.pdf"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s was touched: %v", n, err)
		}
	}
	// The original is kept byte for byte, encrypted.
	orig, _, err := f.svc.OpenOriginal(context.Background(), jobs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := io.ReadAll(orig)
	orig.Close()
	if !bytes.Equal(kept, doc) {
		t.Error("the kept original differs from the file")
	}
	// The same file saved again is recognised, removed, and makes no job.
	os.WriteFile(filepath.Join(dir, "bản sao.pdf"), doc, 0o600)
	waitFor(t, func() bool {
		_, err := os.Stat(filepath.Join(dir, "bản sao.pdf"))
		return errors.Is(err, os.ErrNotExist)
	})
	if jobs, _, _ := f.svc.List(context.Background(), ListQuery{}); len(jobs) != 1 {
		t.Errorf("second copy made a job: %d jobs", len(jobs))
	}
	st, err := f.svc.Intake(context.Background(), false)
	if err != nil || !st.Watching || st.Imported != 1 || st.WatchFolder != dir {
		t.Errorf("intake status %+v %v", st, err)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestScanFromDevice scans three sheets from SANE's virtual test device's
// feeder into one job.
func TestScanFromDevice(t *testing.T) {
	f := newFixture(t)
	cfg := t.TempDir()
	if err := os.WriteFile(filepath.Join(cfg, "dll.conf"), []byte("test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A grid: the test device's default solid black is a page
	// the pipeline rightly calls blank; see TestAllBlankScanFails.
	grid := "test-picture \"Grid\"\n"
	if err := os.WriteFile(filepath.Join(cfg, "test.conf"), []byte(grid), 0o644); err != nil {
		t.Fatal(err)
	}
	f.svc.opts.Scanner = sane.Scanner{Env: []string{"SANE_CONFIG_DIR=" + cfg}}
	st, err := f.svc.Intake(context.Background(), false)
	if err != nil || !st.SANE || len(st.Scanners) == 0 {
		t.Fatalf("intake %+v %v", st, err)
	}
	job, _, err := f.svc.ScanFromDevice(context.Background(), ScanOptions{Device: st.Scanners[0].ID, DPI: 150, Feeder: true, MaxPages: 3},
		ImportOptions{}, operator)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(job.Name, "may-quet-") || job.Kind != "pdf" {
		t.Fatalf("job %+v", job)
	}
	j := f.runUntil(t, job.ID)[job.ID]
	if j.State != StateDone || j.Pages != 3 || j.Done != 3 {
		t.Fatalf("scanned job %+v %+v", j, j.Error)
	}
	// No scanner: a clear error, nothing queued.
	f.svc.opts.Scanner = sane.Scanner{Command: "khong-co-scanimage"}
	if _, _, err := f.svc.ScanFromDevice(context.Background(), ScanOptions{}, ImportOptions{}, operator); !errors.Is(err, sane.ErrUnavailable) {
		t.Errorf("no scanner: %v", err)
	}
}

// TestAllBlankScanFails: a file whose every page is blank fails with its own
// message instead of making an empty searchable PDF.
func TestAllBlankScanFails(t *testing.T) {
	f := newFixture(t)
	file := scan(t, [][]string{{}, {}}, nil, 150)
	job, _, err := f.svc.Import(context.Background(), bytes.NewReader(file), "trang.pdf", ImportOptions{}, operator)
	if err != nil {
		t.Fatal(err)
	}
	j := f.runUntil(t, job.ID)[job.ID]
	if j.State != StateFailed || j.Error == nil || j.Error.Code != "all_blank" || len(j.Blank) != 2 || j.PDF != nil {
		t.Fatalf("all-blank job: %+v %+v", j, j.Error)
	}
}

// TestPrintedSeparatorSheet: the sheet the app prints is recognised as a
// separator when it comes back from the scanner (here, as printed).
func TestPrintedSeparatorSheet(t *testing.T) {
	f := newFixture(t)
	var sheet bytes.Buffer
	if err := forms.SeparatorSheet(&sheet, SeparatorCode); err != nil {
		t.Fatal(err)
	}
	job, _, err := f.svc.Import(context.Background(), &sheet, "to-tach.pdf", ImportOptions{}, operator)
	if err != nil {
		t.Fatal(err)
	}
	j := f.runUntil(t, job.ID)[job.ID]
	if j.State != StateDone || len(j.Separators) != 1 || j.Separators[0] != 1 {
		t.Fatalf("printed separator: %+v %+v", j, j.Error)
	}
}

// TestWatchProblem: the watcher's errors become the codes the API words.
func TestWatchProblem(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tep.pdf")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{filepath.Join(dir, "khong-co"): WatchMissing, file: WatchNotFolder} {
		_, err := os.ReadDir(path)
		if got := watchProblem(fmt.Errorf("watch folder %s: %w", path, err)); got != want {
			t.Errorf("%s: %v is %q, want %q", path, err, got, want)
		}
	}
	if got := watchProblem(fmt.Errorf("watch folder: %w", fs.ErrPermission)); got != WatchDenied {
		t.Errorf("permission: %q", got)
	}
}
