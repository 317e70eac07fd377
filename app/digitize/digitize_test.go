package digitize

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"motcua/app/blobs"
	"motcua/app/dossier"
	"motcua/app/forms"
	"motcua/app/office"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/internal/scantest"
	"motcua/scanning"
	"motcua/scanning/fitz"
	"motcua/scanning/tesseract"
)

// TestMain runs with the engine environment (OMP_THREAD_LIMIT=1 …), as the
// application does; the crash test's child process starts here too.
func TestMain(m *testing.M) {
	if err := scanning.EnsureEngineEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot set the engine environment:", err)
		os.Exit(2)
	}
	if dir := os.Getenv("DIGITIZE_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

var operator = Actor{ID: "u-scan", Name: "Lê Thị Số", Role: "scanner"}

type fixture struct {
	dir  string
	st   *store.Store
	bs   *blobs.Store
	rec  *reception.Service
	svc  *Service
	pipe *scanning.Pipeline
	// pages stored, in order, as OnPage saw them
	mu     sync.Mutex
	stored []string
}

// testKey is fixed so that a crashed child's data opens in the parent.
var testKey = bytes.Repeat([]byte{7}, 32)

func openFixture(t testing.TB, dir string, log *slog.Logger) *fixture {
	f := &fixture{dir: dir}
	var err error
	if f.st, err = store.Open(store.Options{Dir: filepath.Join(dir, "db"), EncryptionKey: testKey, Logger: log}); err != nil {
		t.Fatal(err)
	}
	if f.bs, err = blobs.Open(filepath.Join(dir, "blobs"), testKey, log); err != nil {
		t.Fatal(err)
	}
	off := office.NewService(f.st)
	s := office.Defaults()
	s.ParentAgency, s.UnitName, s.CommuneName, s.AgencyCode = "UBND xã An Bình", "Bộ phận một cửa xã An Bình", "An Bình", "000.00.06.H56"
	if _, err := off.Save(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if f.rec, err = reception.New(f.st, off); err != nil {
		t.Fatal(err)
	}
	f.pipe = scanning.New(fitz.New(), func() (scanning.Recognizer, error) { return tesseract.New(tesseract.Options{}) },
		scanning.Options{DPI: 200, Workers: 2, Compact: true, Logger: log})
	f.svc, err = New(f.st, f.bs, f.pipe, f.rec, Options{TempDir: filepath.Join(dir, "tmp"), Logger: log,
		OnPage: func(job string, n, pages int) {
			f.mu.Lock()
			f.stored = append(f.stored, fmt.Sprintf("%s/%d", job, n))
			f.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) close() {
	f.pipe.Close()
	f.st.Close()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := openFixture(t, t.TempDir(), slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	t.Cleanup(f.close)
	return f
}

type testWriter struct{ t testing.TB }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (f *fixture) receive(t *testing.T) reception.Dossier {
	t.Helper()
	d, _, err := f.rec.Receive(context.Background(), reception.Reception{
		RequestID: fmt.Sprintf("req-%d", time.Now().UnixNano()), ProcedureCode: "2.000815",
		Applicant: reception.ApplicantInput{Kind: dossier.ApplicantPerson, Name: "Nguyễn Thị Hương", IDNumber: "001190012345",
			BirthDate: "1990-05-02", Address: "Thôn Đông, xã An Bình", Phone: "0912 345 678"},
		Components: []reception.Component{{Name: "Bản chính giấy khai sinh", Originals: 1}, {Name: "Bản sao cần chứng thực", Copies: 2}},
		Outcome:    reception.OutcomeComplete,
	}, reception.Actor{ID: "u1", Name: "Trần Văn Bình", Role: "clerk"})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// scan renders pages of text (and optional QR codes) at dpi and writes
// them as a scanner does: one image per page in a PDF.
func scan(t testing.TB, pages [][]string, qrs map[int]string, dpi float64) []byte {
	t.Helper()
	imgs := make([]image.Image, len(pages))
	for i, lines := range pages {
		g, err := scantest.RenderGray(lines, dpi)
		if err != nil {
			t.Fatal(err)
		}
		if q, ok := qrs[i+1]; ok {
			if err := scantest.DrawQR(g, q, g.Bounds().Dx()-int(45*dpi/25.4), int(10*dpi/25.4), int(dpi/50)+1); err != nil {
				t.Fatal(err)
			}
		}
		imgs[i] = g
	}
	var b bytes.Buffer
	if err := scantest.WriteImagePDF(&b, imgs, dpi); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// runUntil runs the queue until every listed job is done or failed.
func (f *fixture) runUntil(t *testing.T, ids ...string) map[string]Job {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.svc.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(4 * time.Minute)
	for {
		out := map[string]Job{}
		for _, id := range ids {
			j, _, err := f.svc.Get(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if j.State == StateDone || j.State == StateFailed {
				out[id] = j
			}
		}
		if len(out) == len(ids) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs not finished: %v", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func pdftotext(t testing.TB, pdf []byte, page int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "out.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-enc", "UTF-8"}
	if page > 0 {
		args = append(args, "-f", fmt.Sprint(page), "-l", fmt.Sprint(page))
	}
	out, err := exec.Command("pdftotext", append(args, p, "-")...).Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func (f *fixture) pdf(t *testing.T, id string) []byte {
	t.Helper()
	r, _, err := f.svc.OpenPDF(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestScanToSearch imports a 3-page scan into a dossier, runs it, and finds
// page 2 by a phrase typed without diacritics.
func TestScanToSearch(t *testing.T) {
	f := newFixture(t)
	d := f.receive(t)
	pages := [][]string{
		scantest.Page(0, 8),
		{"GIẤY KHAI SINH", "Họ, chữ đệm, tên: Trần Minh Khôi. Giới tính: Nam.", "Nơi sinh: Bệnh viện Đa khoa Thống Nhất."},
		scantest.Page(2, 8),
	}
	file := scan(t, pages, nil, 200)
	job, dup, err := f.svc.Import(context.Background(), bytes.NewReader(file), "hồ sơ khai sinh.pdf",
		ImportOptions{DossierID: d.ID, Component: "Bản chính giấy khai sinh"}, operator)
	if err != nil || dup {
		t.Fatalf("import: %v dup=%v", err, dup)
	}
	if job.State != StateQueued || job.DossierCode != d.Code || job.Kind != scanning.KindPDF {
		t.Fatalf("job %+v", job)
	}
	j := f.runUntil(t, job.ID)[job.ID]
	if j.State != StateDone || j.Pages != 3 || j.Done != 3 || j.PDFPages != 3 || j.OCRPages != 3 || j.PDF == nil {
		t.Fatalf("job after run: %+v", j)
	}
	if j.Confidence < 70 {
		t.Errorf("mean confidence %.1f", j.Confidence)
	}
	got, _, err := f.rec.Get(context.Background(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Components[0].Digitised || got.Components[1].Digitised {
		t.Errorf("digitised flags %+v; want only the birth certificate", got.Components)
	}
	pdf := f.pdf(t, job.ID)
	if text := scantest.Normalize(pdftotext(t, pdf, 2)); !strings.Contains(text, "Trần Minh Khôi") {
		t.Errorf("page 2 of the searchable PDF reads %q", text)
	}

	hits, _, err := f.svc.Search(context.Background(), "giay khai sinh", 10)
	if err != nil {
		t.Fatal(err)
	}
	// Pages 1 and 3 have the three words apart; page 2 has the phrase and
	// comes first.
	if len(hits) != 3 || hits[0].Page != 2 || hits[0].PDFPage != 2 || hits[0].JobID != job.ID || hits[0].DossierCode != d.Code {
		t.Fatalf("hits %+v", hits)
	}
	var marked []string
	for _, s := range hits[0].Snippet {
		if s.Hit {
			marked = append(marked, strings.TrimSpace(s.Text))
		}
	}
	if !strings.Contains(strings.Join(marked, " "), "KHAI SINH") {
		t.Errorf("snippet %+v does not mark the words", hits[0].Snippet)
	}
	// The last word is matched as a prefix while it is being typed.
	if hits, _, err := f.svc.Search(context.Background(), "tran minh kho", 10); err != nil || len(hits) != 1 || hits[0].Page != 2 {
		t.Errorf("prefix search: %+v %v", hits, err)
	}
	if hits, _, err := f.svc.Search(context.Background(), "khai sinh hộ nghèo xyz", 10); err != nil || len(hits) != 0 {
		t.Errorf("search with a word on no page: %+v %v", hits, err)
	}

	// The same file again is recognised.
	again, dup, err := f.svc.Import(context.Background(), bytes.NewReader(file), "ban sao.pdf", ImportOptions{}, operator)
	if err != nil || !dup || again.ID != job.ID {
		t.Fatalf("second import: %+v dup=%v err=%v", again, dup, err)
	}

	// A review correction moves the page in the index.
	if _, err := f.svc.CorrectText(context.Background(), job.ID, 2, "GIẤY CHỨNG SINH số 12", operator); err != nil {
		t.Fatal(err)
	}
	if hits, _, _ := f.svc.Search(context.Background(), "tran minh khoi", 10); len(hits) != 0 {
		t.Errorf("old words still found after correction: %+v", hits)
	}
	if hits, _, _ := f.svc.Search(context.Background(), "chung sinh so 12", 10); len(hits) != 1 || hits[0].Page != 2 {
		t.Errorf("corrected words not found: %+v", hits)
	}

	// No personal data in plain text anywhere under the data dir: the
	// applicant's ID number from the dossier, the name read from the scan.
	for _, secret := range []string{"001190012345", "Trần Minh Khôi", "Minh Kh"} {
		if where := grepDir(t, f.dir, secret); where != "" {
			t.Errorf("%q in plain text in %s", secret, where)
		}
	}
}

func grepDir(t *testing.T, dir, s string) string {
	t.Helper()
	found := ""
	filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || found != "" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte(s)) {
			found = p
		}
		return nil
	})
	return found
}

// TestCoverSheetBinds: a page with a dossier's QR binds the scan to that
// dossier; a separator sheet is recognised and reported.
func TestCoverSheetBinds(t *testing.T) {
	f := newFixture(t)
	d := f.receive(t)
	cover := forms.QRPayload{DossierCode: d.Code, ProcedureCode: d.ProcedureCode}.String()
	file := scan(t, [][]string{
		{"PHIẾU BÌA HỒ SƠ", "Mã hồ sơ: " + d.Code},
		scantest.Page(3, 6),
		{"TỜ TÁCH TÀI LIỆU"},
		scantest.Page(4, 6),
	}, map[int]string{1: cover, 3: SeparatorCode}, 200)
	job, _, err := f.svc.Import(context.Background(), bytes.NewReader(file), "lo-quet-01.pdf", ImportOptions{}, operator)
	if err != nil {
		t.Fatal(err)
	}
	j := f.runUntil(t, job.ID)[job.ID]
	if j.State != StateDone || j.DossierID != d.ID || j.DossierCode != d.Code {
		t.Fatalf("job %+v", j)
	}
	if len(j.Bindings) != 1 || j.Bindings[0].Page != 1 || j.Bindings[0].DossierID != d.ID {
		t.Errorf("bindings %+v", j.Bindings)
	}
	if len(j.Separators) != 1 || j.Separators[0] != 3 {
		t.Errorf("separators %+v", j.Separators)
	}
	got, _, _ := f.rec.Get(context.Background(), d.ID)
	for _, c := range got.Components {
		if !c.Digitised {
			t.Errorf("component %q not marked digitised by the cover sheet", c.Name)
		}
	}
	jobs, _, err := f.svc.List(context.Background(), ListQuery{DossierID: d.ID})
	if err != nil || len(jobs) != 1 || jobs[0].ID != job.ID {
		t.Errorf("dossier's scans: %+v %v", jobs, err)
	}
}

// TestBadFiles: every bad input is refused or fails its own job with a
// clear code, and a good file queued behind them still completes.
func TestBadFiles(t *testing.T) {
	f := newFixture(t)
	var enc bytes.Buffer
	if err := scantest.WriteEncryptedPDF(&enc, "mat-khau"); err != nil {
		t.Fatal(err)
	}
	var png bytes.Buffer
	if err := scantest.EncodePNG(&png, scantest.Gray(200, 100, 255)); err != nil {
		t.Fatal(err)
	}
	good := scan(t, [][]string{scantest.Page(5, 5)}, nil, 200)
	refused := []struct {
		name string
		data []byte
		want error
	}{
		{"rong.pdf", nil, scanning.ErrEmptyFile},
		{"anh-that.pdf", png.Bytes(), scanning.ErrExtensionMismatch},
		{"../../etc/passwd.pdf", good, scanning.ErrInvalidName},
		{"lon.png", scantest.PNGHeader(30000, 30000), scanning.ErrTooLarge},
		{"van-ban.pdf", []byte("đây không phải PDF"), scanning.ErrUnsupportedType},
	}
	for _, c := range refused {
		_, _, err := f.svc.Import(context.Background(), bytes.NewReader(c.data), c.name, ImportOptions{}, operator)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if code, msg := Classify(err); code == "" || msg == "" {
			t.Errorf("%s: no user message for %v", c.name, err)
		}
	}
	// Accepted by intake, failing in the engine.
	encJob, _, err := f.svc.Import(context.Background(), &enc, "mat-khau.pdf", ImportOptions{}, operator)
	if err != nil {
		t.Fatal(err)
	}
	truncated := good[:len(good)/2]
	corruptJob, _, err := f.svc.Import(context.Background(), bytes.NewReader(truncated), "hong.pdf", ImportOptions{}, operator)
	if err != nil {
		t.Fatal(err)
	}
	goodJob, _, err := f.svc.Import(context.Background(), bytes.NewReader(good), "tot.pdf", ImportOptions{}, operator)
	if err != nil {
		t.Fatal(err)
	}
	res := f.runUntil(t, encJob.ID, corruptJob.ID, goodJob.ID)
	if j := res[encJob.ID]; j.State != StateFailed || j.Error == nil || j.Error.Code != "encrypted_pdf" {
		t.Errorf("encrypted: %+v %+v", j, j.Error)
	}
	if j := res[corruptJob.ID]; j.State != StateFailed || j.Error == nil || j.Error.Code != "corrupt_file" {
		t.Errorf("truncated: %+v %+v", j, j.Error)
	}
	if j := res[goodJob.ID]; j.State != StateDone || j.Done != 1 {
		t.Errorf("good file behind them: %+v", j)
	}
	_, counts, err := f.svc.List(context.Background(), ListQuery{})
	if err != nil || counts.Failed != 2 || counts.Done != 1 || counts.Queued != 0 {
		t.Errorf("counts %+v %v", counts, err)
	}
	f.checkCounts(t)
	if _, err := f.svc.Retry(context.Background(), goodJob.ID, operator); !errors.Is(err, ErrNotFailed) {
		t.Errorf("retry of a done job: %v", err)
	}
	if j, err := f.svc.Retry(context.Background(), encJob.ID, operator); err != nil || j.State != StateQueued {
		t.Errorf("retry: %+v %v", j, err)
	}
	if c := f.checkCounts(t); c != (Counts{Queued: 1, Done: 1, Failed: 1}) {
		t.Errorf("counts after a retry: %+v", c)
	}
	if failed, c, err := f.svc.List(context.Background(), ListQuery{State: StateFailed, Limit: 10}); err != nil ||
		len(failed) != 1 || failed[0].ID != corruptJob.ID || c.Failed != 1 {
		t.Errorf("failed jobs: %+v %+v %v", failed, c, err)
	}
}

// crashPages is the scan the crash test kills a child in the middle of.
func crashPages() [][]string {
	pages := make([][]string, 6)
	for i := range pages {
		pages[i] = append([]string{fmt.Sprintf("TRANG SỐ %d — sổ đăng ký khai sinh", i+1)}, scantest.Page(i, 6)...)
	}
	return pages
}

// crashChild imports the crash scan into dir and runs the queue, printing
// each stored page, until it is killed.
func crashChild(dir string) {
	t := &childT{}
	f := openFixture(t, dir, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	f.svc.opts.OnPage = func(job string, n, pages int) { fmt.Printf("stored %s %d\n", job, n) }
	if _, _, err := f.svc.Import(context.Background(), bytes.NewReader(scan(t, crashPages(), nil, 200)), "so-dang-ky.pdf",
		ImportOptions{}, operator); err != nil {
		t.Fatal(err)
	}
	f.svc.Run(context.Background())
}

type childT struct{ testing.TB }

func (*childT) Helper() {}
func (*childT) Fatal(a ...any) {
	fmt.Fprintln(os.Stderr, a...)
	os.Exit(3)
}

// TestResumeAfterKill kills the process in the middle of a job (SIGKILL,
// no chance to clean up), restarts on the same data, and checks that the
// job completes with every page stored exactly once and in order.
func TestResumeAfterKill(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DIGITIZE_CRASH_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	buf := make([]byte, 4096)
	var acc string
	for len(lines) < 2 {
		n, err := out.Read(buf)
		if err != nil {
			cmd.Process.Kill()
			t.Fatalf("child ended before two pages: %v\n%s", err, stderr.String())
		}
		acc += string(buf[:n])
		lines = nonEmptyLines(acc)
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Logf("killed after: %q", lines)

	f := openFixture(t, dir, slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})))
	defer f.close()
	jobs, _, err := f.svc.List(context.Background(), ListQuery{})
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs after the crash: %+v %v", jobs, err)
	}
	before := jobs[0]
	if before.State == StateDone || before.Done < 2 || before.Done >= 6 {
		t.Fatalf("killed job: %+v; want 2–5 pages stored", before)
	}
	if c := f.checkCounts(t); c != (Counts{Running: 1}) {
		t.Errorf("counts after the kill: %+v", c)
	}
	j := f.runUntil(t, before.ID)[before.ID]
	if c := f.checkCounts(t); c != (Counts{Done: 1}) {
		t.Errorf("counts after the restart: %+v", c)
	}
	if j.State != StateDone || j.Pages != 6 || j.Done != 6 || j.PDFPages != 6 {
		t.Fatalf("resumed job: %+v", j)
	}
	// The restart stored only the pages the child had not.
	f.mu.Lock()
	resumed := len(f.stored)
	f.mu.Unlock()
	if resumed != 6-before.Done {
		t.Errorf("restart stored %d pages, want %d", resumed, 6-before.Done)
	}
	_, pages, err := f.svc.Get(context.Background(), j.ID)
	if err != nil || len(pages) != 6 {
		t.Fatalf("pages %d %v", len(pages), err)
	}
	pdf := f.pdf(t, j.ID)
	for i, p := range pages {
		if p.N != i+1 || p.PDFPage != i+1 {
			t.Errorf("page record %d: n=%d pdfPage=%d", i+1, p.N, p.PDFPage)
		}
		want := fmt.Sprintf("TRANG SỐ %d", i+1)
		if !strings.Contains(scantest.Normalize(pdftotext(t, pdf, i+1)), want) {
			t.Errorf("PDF page %d lacks %q", i+1, want)
		}
	}
	if hits, _, _ := f.svc.Search(context.Background(), "trang so", 50); len(hits) != 6 {
		t.Errorf("index has %d pages for a word on every page, want 6", len(hits))
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "stored ") {
			out = append(out, l)
		}
	}
	// The last line may be incomplete.
	if !strings.HasSuffix(s, "\n") && len(out) > 0 {
		out = out[:len(out)-1]
	}
	return out
}
