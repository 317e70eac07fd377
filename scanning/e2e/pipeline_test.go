package e2e

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/unicode/norm"

	"motcua/app/forms"
	"motcua/internal/scantest"
	"motcua/scanning"
	"motcua/scanning/fitz"
)

// scannedPDF makes a PDF the way a scanner does: one image per page.
func scannedPDF(t testing.TB, pages []image.Image, dpi float64) string {
	t.Helper()
	var b bytes.Buffer
	if err := scantest.WriteImagePDF(&b, pages, dpi); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "scan.pdf", b.Bytes())
}

// TestSearchablePDF runs a born-digital PDF and a scanned one (text, a
// page with a red seal, a blank back side) through the pipeline and reads
// the searchable PDF back with poppler.
func TestSearchablePDF(t *testing.T) {
	p := newPipeline(t, scanning.Options{DPI: 200})
	dir := t.TempDir()

	t.Run("born digital", func(t *testing.T) {
		src := []scantest.PDFPage{{Lines: scantest.Page(0, 20)}, {Lines: scantest.Page(1, 20)}}
		out := filepath.Join(dir, "digital.pdf")
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		in := pdfFile(t, "to-khai.pdf", src)
		before, err := scanning.HashFile(in)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.Process(context.Background(), scanning.Input{Path: in}, f, nil)
		if err != nil {
			t.Fatal(err)
		}
		if after, _ := scanning.HashFile(in); after != before || res.File.SHA256 != before {
			t.Errorf("original changed or misreported: %s → %s (result %s)", before, after, res.File.SHA256)
		}
		if res.TextPages != 2 || res.OCRPages != 0 || res.PDFPages != 2 {
			t.Errorf("result %+v: want 2 pages from the text layer, none OCR'd", res)
		}
		if n := pdfPages(t, out); n != 2 {
			t.Errorf("pdfinfo: %d pages", n)
		}
		for i, pg := range src {
			text := scantest.Normalize(pdftotext(t, out, i+1))
			for _, l := range pg.Lines {
				if !strings.Contains(text, scantest.Normalize(l)) {
					t.Errorf("page %d lacks %q:\n%s", i+1, l, text)
				}
			}
		}
	})

	t.Run("scanned", func(t *testing.T) {
		src := []scantest.PDFPage{{Lines: scantest.Page(2, 16)}, {Lines: scantest.Page(3, 16), RedSeal: true}, {}, {Lines: scantest.Page(4, 16)}}
		scans := renderPDF(t, src, 200)
		for i := range scans {
			if !src[i].RedSeal { // a gray scanner profile for plain pages
				scans[i] = scantest.Noise(scanning.Gray(scans[i]), 6, 50, uint64(i))
			}
		}
		out := filepath.Join(dir, "scanned.pdf")
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var mu sync.Mutex
		stages := map[int][]scanning.Stage{}
		var lastDone scanning.Progress
		var order []int
		p := newPipeline(t, scanning.Options{DPI: 200, OnProgress: func(pr scanning.Progress) {
			mu.Lock()
			defer mu.Unlock()
			stages[pr.Page] = append(stages[pr.Page], pr.Stage)
			if pr.Stage == scanning.StageDone {
				lastDone = pr
			}
		}})
		pages := map[int]*scanning.Page{}
		res, err := p.Process(context.Background(), scanning.Input{Path: scannedPDF(t, scans, 200), Name: "hồ sơ quét.pdf"}, f,
			func(pg *scanning.Page) error {
				order = append(order, pg.Number)
				pages[pg.Number] = pg
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if res.OCRPages != 3 || res.TextPages != 0 || len(res.Blank) != 1 || res.Blank[0] != 3 || res.PDFPages != 3 {
			t.Errorf("result %+v: want 3 pages OCR'd, page 3 blank and left out", res)
		}
		if !equalInts(order, []int{1, 2, 3, 4}) {
			t.Errorf("pages delivered in order %v", order)
		}
		if lastDone.Done != 4 || lastDone.Total != 4 {
			t.Errorf("last progress %+v", lastDone)
		}
		for n := 1; n <= 4; n++ {
			st := stages[n]
			if len(st) < 3 || st[0] != scanning.StageRender || st[len(st)-1] != scanning.StageDone {
				t.Errorf("page %d stages %v", n, st)
			}
		}
		if pg := pages[2]; pg.Mode != scanning.ModeColour || pg.ColourArea < scanning.ColourAreaMin {
			t.Errorf("page with seal: mode %s, colour area %.1f mm²", pg.Mode, pg.ColourArea)
		}
		if pg := pages[1]; pg.Mode != scanning.ModeGray || pg.InPDF != true || len(pg.SHA256) != 64 {
			t.Errorf("plain page: %+v", pg)
		}
		if pg := pages[3]; !pg.Blank || pg.InPDF || pg.TextSource != scanning.TextNone {
			t.Errorf("blank page: %+v", pg)
		}
		if n := pdfPages(t, out); n != 3 {
			t.Errorf("searchable pdf has %d pages, want 3", n)
		}
		// PDF page k holds document pages 1, 2, 4.
		for k, n := range []int{1, 2, 4} {
			text := pdftotext(t, out, k+1)
			if !norm.NFC.IsNormalString(text) {
				t.Errorf("pdf page %d: text is not NFC", k+1)
			}
			if cer := scantest.CER(strings.Join(src[n-1].Lines, "\n"), text); cer > 0.01 {
				t.Errorf("pdf page %d (document page %d): CER %.2f%% against the printed text:\n%s", k+1, n, 100*cer, text)
			}
		}
		// A second reader, MuPDF, opens the file, finds the words of the
		// text layer and renders the page images.
		doc, err := fitz.New().Open(out)
		if err != nil {
			t.Fatal(err)
		}
		defer doc.Close()
		lines, err := doc.Text(0)
		if err != nil || len(lines) < 10 {
			t.Errorf("MuPDF finds %d lines on page 1: %v", len(lines), err)
		}
		img, err := doc.Render(1, 50)
		if err != nil {
			t.Fatal(err)
		}
		if blank, _ := scanning.Blank(scanning.Gray(img), 50); blank {
			t.Error("MuPDF renders page 2 of the searchable pdf blank")
		}
		for _, w := range []string{"Độc lập", "Tập trung", "Nguyễn Thị Thanh Hương"} {
			if !strings.Contains(scantest.Normalize(pdftotext(t, out, 0)), w) {
				t.Errorf("searchable pdf lacks %q", w)
			}
		}
	})
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestBindingPages: cover sheets carrying a dossier QR code split a scanned
// batch; a citizen ID photocopy's QR binds nothing.
func TestBindingPages(t *testing.T) {
	a := forms.QRPayload{DossierCode: "000.00.06.H56-260305-0001", ProcedureCode: "1.001193", Form: 1, Set: forms.Set03_2025}
	b := forms.QRPayload{DossierCode: "000.00.06.H56-260305-0002", ProcedureCode: "2.000986"}
	src := []scantest.PDFPage{
		{Lines: []string{"PHIẾU BÌA HỒ SƠ", "Mã hồ sơ: " + a.DossierCode}, QR: a.String()},
		{Lines: scantest.Page(5, 6)},
		{Lines: []string{"GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Mã hồ sơ: " + b.DossierCode}, QR: b.String()},
		{Lines: []string{"Bản sao căn cước công dân"}, QR: "079186004321|321456789|Nguyễn Văn An|01011986"},
	}
	scans := renderPDF(t, src, 150)
	p := newPipeline(t, scanning.Options{})
	res, err := p.Process(context.Background(), scanning.Input{Path: scannedPDF(t, scans, 150)}, nil, func(pg *scanning.Page) error {
		if pg.Number == 4 && (len(pg.QR) != 1 || pg.Binding != nil) {
			t.Errorf("page 4: QR %q, binding %+v; want the ID card QR and no binding", pg.QR, pg.Binding)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []scanning.PageBinding{{Page: 1, Payload: a}, {Page: 3, Payload: b}}
	if len(res.Bindings) != len(want) {
		t.Fatalf("bindings %+v, want %+v", res.Bindings, want)
	}
	for i := range want {
		if res.Bindings[i] != want[i] {
			t.Errorf("binding %d = %+v, want %+v", i, res.Bindings[i], want[i])
		}
	}
}

// TestOrientation: pages fed sideways or upside down come out upright and
// readable.
func TestOrientation(t *testing.T) {
	src := []scantest.PDFPage{{Lines: scantest.Page(6, 20)}, {Lines: scantest.Page(7, 20)}, {Lines: scantest.Page(8, 20)}}
	scans := renderPDF(t, src, 150)
	var pages []*image.Gray
	for i, q := range []int{1, 2, 3} {
		pages = append(pages, scanning.RotateQuarter(scanning.Gray(scans[i]), q).(*image.Gray))
	}
	p := newPipeline(t, scanning.Options{})
	_, err := p.Process(context.Background(), scanning.Input{Path: tiffFile(t, "turned.tif", pages, 150)}, nil, func(pg *scanning.Page) error {
		q := pg.Number // page n was turned n quarter turns counter-clockwise
		cer := scantest.CER(strings.Join(src[q-1].Lines, "\n"), pg.Text)
		t.Logf("page turned %d°: rotated %d°, CER %.2f%%, %.1fs", 90*q, pg.Rotation, 100*cer, pg.Elapsed.Seconds())
		if pg.Rotation != (4-q)*90 || cer > 0.01 {
			t.Errorf("page turned %d° ccw: rotation %d, CER %.2f%%", 90*q, pg.Rotation, 100*cer)
		}
		if b := pg.Image.Bounds(); b.Dx() > b.Dy() {
			t.Errorf("page %d is still landscape: %v", pg.Number, b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBadInput: each bad file gets a clear typed error before any page is
// processed.
func TestBadInput(t *testing.T) {
	p := newPipeline(t, scanning.Options{})
	good := pdfFile(t, "good.pdf", []scantest.PDFPage{{Lines: scantest.Page(0, 3)}})
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	var encrypted bytes.Buffer
	if err := scantest.WriteEncryptedPDF(&encrypted, "mat-khau"); err != nil {
		t.Fatal(err)
	}
	var jpg bytes.Buffer
	if err := scantest.WriteJPEG(&jpg, 400, 300); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		file string
		err  error
	}{
		{"corrupt pdf", append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0x8f, 0x13, 0x77}, 500)...), "hoso.pdf", scanning.ErrCorrupt},
		{"encrypted pdf", encrypted.Bytes(), "mat.pdf", scanning.ErrEncrypted},
		{"zero-byte file", nil, "trong.pdf", scanning.ErrEmptyFile},
		{"30000 × 30000 image", scantest.PNGHeader(30000, 30000), "lon.png", scanning.ErrTooLarge},
		{"misleading extension", jpg.Bytes(), "hoso.pdf", scanning.ErrExtensionMismatch},
		{"not a document", []byte("MZ\x90\x00 this is a program"), "hoso.pdf", scanning.ErrUnsupportedType},
		{"page out of range", goodBytes, "hoso.pdf", scanning.ErrPageRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := scanning.Input{Path: writeFile(t, "upload", tt.data), Name: tt.file}
			if tt.err == scanning.ErrPageRange {
				in.First, in.Last = 2, 3
			}
			var out bytes.Buffer
			called := false
			_, err := p.Process(context.Background(), in, &out, func(*scanning.Page) error { called = true; return nil })
			if !errors.Is(err, tt.err) {
				t.Fatalf("Process: %v, want %v", err, tt.err)
			}
			if called || out.Len() != 0 {
				t.Errorf("a page was processed (%v) or output written (%d bytes)", called, out.Len())
			}
		})
	}

	t.Run("name with path separators", func(t *testing.T) {
		res, err := p.Process(context.Background(), scanning.Input{Path: good, Name: `..\..\Windows\..\hồ sơ/tờ khai.pdf`}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.File.Name != "tờ khai.pdf" {
			t.Errorf("name %q", res.File.Name)
		}
	})
}

// TestPageErrorNamesThePage: a multi-page TIFF whose second page's data is
// cut off fails on page 2, saying so, and page 1 was delivered before.
func TestPageErrorNamesThePage(t *testing.T) {
	pages := []*image.Gray{scantest.Gray(600, 800, 255), scantest.Gray(600, 800, 255), scantest.Gray(600, 800, 255)}
	var b bytes.Buffer
	if err := scantest.WriteTIFF(&b, pages, 100); err != nil {
		t.Fatal(err)
	}
	data := scantest.CorruptTIFFStrip(b.Bytes(), 1)
	p := newPipeline(t, scanning.Options{Workers: 1})
	var got []int
	_, err := p.Process(context.Background(), scanning.Input{Path: writeFile(t, "scan.tif", data)}, nil, func(pg *scanning.Page) error {
		got = append(got, pg.Number)
		return nil
	})
	var pe *scanning.PageError
	if !errors.As(err, &pe) || pe.Page != 2 || pe.Stage != scanning.StageRender || !errors.Is(err, scanning.ErrCorrupt) {
		t.Fatalf("Process: %v, want page 2 failing at render with ErrCorrupt", err)
	}
	if !strings.Contains(err.Error(), "page 2") {
		t.Errorf("message %q does not name the page", err)
	}
	if !equalInts(got, []int{1}) {
		t.Errorf("delivered %v, want [1]", got)
	}
}

// TestCancel stops a document after its first page.
func TestCancel(t *testing.T) {
	src := make([]scantest.PDFPage, 6)
	for i := range src {
		src[i] = scantest.PDFPage{Lines: scantest.Page(i, 12)}
	}
	scans := renderPDF(t, src, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newPipeline(t, scanning.Options{DPI: 100, OnProgress: func(pr scanning.Progress) {
		if pr.Stage == scanning.StageDone {
			cancel()
		}
	}})
	delivered := 0
	_, err := p.Process(ctx, scanning.Input{Path: scannedPDF(t, scans, 100)}, nil, func(*scanning.Page) error {
		delivered++
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Process after cancel: %v", err)
	}
	if delivered == 0 || delivered >= len(src) {
		t.Errorf("%d pages delivered, want at least 1 and fewer than %d", delivered, len(src))
	}
}

// TestLongDocument: a 2,000-page PDF is counted without being loaded, a
// page range is processed alone, the page limit is enforced, and a long run
// keeps the Go heap bounded because pages flow through one by one.
func TestLongDocument(t *testing.T) {
	var b bytes.Buffer
	if err := scantest.WriteLongPDF(&b, 2000); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "so-dang-ky.pdf", b.Bytes())
	p := newPipeline(t, scanning.Options{DPI: 100})

	var out bytes.Buffer
	res, err := p.Process(context.Background(), scanning.Input{Path: path, First: 1999, Last: 2000}, &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 2000 || res.First != 1999 || res.Last != 2000 || res.PDFPages != 2 || res.TextPages != 2 {
		t.Errorf("result %+v", res)
	}
	pdf := writeFile(t, "out.pdf", out.Bytes())
	if text := pdftotext(t, pdf, 2); !strings.Contains(text, "trang 2000 / 2000") {
		t.Errorf("last page text %q", text)
	}

	limited := newPipeline(t, scanning.Options{Limits: scanning.Limits{MaxPages: 1000}})
	_, err = limited.Process(context.Background(), scanning.Input{Path: path}, nil, nil)
	var tm *scanning.TooManyPagesError
	if !errors.As(err, &tm) || tm.Pages != 2000 || tm.Limit != 1000 {
		t.Errorf("page limit: %v", err)
	}

	// 300 pages through the whole pipeline and the PDF writer; were they
	// kept, the page images alone would take over 500 MB.
	var peak uint64
	var ms runtime.MemStats
	lean := newPipeline(t, scanning.Options{DPI: 72})
	res, err = lean.Process(context.Background(), scanning.Input{Path: path, Last: 300}, io.Discard, func(pg *scanning.Page) error {
		if pg.Number%10 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("300 pages in %v, Go heap peak %d MB", res.Elapsed, peak>>20)
	if res.PDFPages != 300 || peak > 150<<20 {
		t.Errorf("%d pages written, heap peak %d MB", res.PDFPages, peak>>20)
	}
}

// TestStorageModes: Compact stores plain pages as 1-bit PNG, KeepBlank keeps
// blank pages in the searchable PDF.
func TestStorageModes(t *testing.T) {
	src := []scantest.PDFPage{{Lines: scantest.Page(9, 14)}, {}}
	scans := renderPDF(t, src, 200)
	pages := []*image.Gray{scanning.Gray(scans[0]), scanning.Gray(scans[1])}
	path := tiffFile(t, "scan.tif", pages, 200)
	sizes := map[scanning.Mode]int{}
	for _, opts := range []scanning.Options{{}, {Compact: true, KeepBlank: true}} {
		var out bytes.Buffer
		res, err := newPipeline(t, opts).Process(context.Background(), scanning.Input{Path: path}, &out, func(pg *scanning.Page) error {
			if pg.Number == 1 {
				sizes[pg.Mode] = len(pg.Encoded)
			}
			if pg.Number == 2 && pg.InPDF != opts.KeepBlank {
				t.Errorf("Keep blank %v: blank page in pdf = %v", opts.KeepBlank, pg.InPDF)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := 1
		if opts.KeepBlank {
			want = 2
		}
		pdf := writeFile(t, "out.pdf", out.Bytes())
		if res.PDFPages != want || pdfPages(t, pdf) != want {
			t.Errorf("%+v: %d pages in the pdf, want %d", opts, res.PDFPages, want)
		}
		if opts.Compact {
			list, err := exec.Command("pdfimages", "-f", "1", "-l", "1", "-list", pdf).CombinedOutput()
			if err != nil || !strings.Contains(string(list), "gray    1   1  image") {
				t.Errorf("page 1 image is not 1-bit gray: %v\n%s", err, list)
			}
		}
		if cer := scantest.CER(strings.Join(src[0].Lines, "\n"), pdftotext(t, pdf, 1)); cer > 0.005 {
			t.Errorf("%+v: CER %.2f%%", opts, 100*cer)
		}
	}
	t.Logf("A4 text page at 200 dpi: gray JPEG %d kB, bilevel PNG %d kB", sizes[scanning.ModeGray]>>10, sizes[scanning.ModeBilevel]>>10)
	if sizes[scanning.ModeBilevel] == 0 || sizes[scanning.ModeBilevel]*2 > sizes[scanning.ModeGray] {
		t.Errorf("compact page is %d B, gray %d B", sizes[scanning.ModeBilevel], sizes[scanning.ModeGray])
	}
}
