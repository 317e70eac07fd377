package fitz

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-pdf/fpdf"

	"motcua/internal/scantest"
	"motcua/scanning"
)

func pdfBytes(t *testing.T, pages []scantest.PDFPage) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := scantest.WritePDF(&b, pages); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenRenderText(t *testing.T) {
	pages := []scantest.PDFPage{{Lines: scantest.Page(0, 5)}, {Lines: scantest.Page(1, 3)}}
	doc, err := New().Open(writeFile(t, "a.pdf", pdfBytes(t, pages)))
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	if doc.NumPages() != 2 {
		t.Fatalf("NumPages = %d", doc.NumPages())
	}
	w, h, err := doc.PageSize(1)
	if err != nil || w != 595 || h != 841 {
		t.Errorf("PageSize = %v × %v, %v; want A4 (595 × 841 pt)", w, h, err)
	}
	img, err := doc.Render(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	// 595.28 × 841.89 pt at 100 dpi, rounded outwards.
	if b := img.Bounds(); b.Dx() != 827 || b.Dy() != 1170 {
		t.Errorf("A4 at 100 dpi rendered as %v", b)
	}
	lines, err := doc.Text(1)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("page 2 has %d lines: %+v", len(lines), lines)
	}
	for i, l := range lines {
		if l.Text != pages[1].Lines[i] {
			t.Errorf("line %d = %q, want %q", i, l.Text, pages[1].Lines[i])
		}
		// Lines are 8 mm (22.7 pt) apart from a 25 mm (70.9 pt) margin.
		wantTop := (scantest.MarginMM + scantest.LinePitchMM*float64(i+1)) / 25.4 * 72
		if l.X < 70 || l.X > 72 || l.Y > wantTop || l.Y < wantTop-14 || l.Height < 11 || l.Height > 13 {
			t.Errorf("line %d at x %.1f, top %.1f, height %.1f; want x≈70.9, top just above %.1f, 12 pt", i, l.X, l.Y, l.Height, wantTop)
		}
	}
	if _, err := doc.Render(2, 100); !errors.Is(err, scanning.ErrPageRange) {
		t.Errorf("page 3 of 2: %v", err)
	}
}

func TestScannedPageHasNoText(t *testing.T) {
	g, err := scantest.RenderGray(scantest.Page(2, 4), 100)
	if err != nil {
		t.Fatal(err)
	}
	var png bytes.Buffer
	if err := scantest.EncodePNG(&png, g); err != nil {
		t.Fatal(err)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddPage()
	pdf.RegisterImageOptionsReader("scan", fpdf.ImageOptions{ImageType: "PNG"}, &png)
	pdf.ImageOptions("scan", 0, 0, 210, 297, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		t.Fatal(err)
	}
	doc, err := New().Open(writeFile(t, "scan.pdf", out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	lines, err := doc.Text(0)
	if err != nil || len(lines) != 0 {
		t.Errorf("scanned page text = %+v, %v", lines, err)
	}
}

func TestBadDocuments(t *testing.T) {
	good := pdfBytes(t, []scantest.PDFPage{{Lines: scantest.Page(0, 10)}, {Lines: scantest.Page(1, 10)}})
	encrypted := func(user string) []byte {
		pdf := fpdf.New("P", "mm", "A4", "")
		pdf.SetProtection(fpdf.CnProtectPrint, user, "chu-so-huu")
		pdf.AddPage()
		pdf.SetFont("Helvetica", "", 12)
		pdf.Text(20, 20, "Ho so mat")
		var b bytes.Buffer
		if err := pdf.Output(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	noise := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	tests := []struct {
		name string
		data []byte
		err  error // nil: opens
	}{
		{"user password", encrypted("mat-khau"), scanning.ErrEncrypted},
		{"owner password only", encrypted(""), nil},
		{"header then noise", append([]byte("%PDF-1.7\n"), noise...), scanning.ErrCorrupt},
		{"header only", []byte("%PDF-1.4\n"), scanning.ErrCorrupt},
		{"not a pdf", []byte("hello"), scanning.ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := New().Open(writeFile(t, "x.pdf", tt.data))
			if !errors.Is(err, tt.err) {
				t.Fatalf("Open: %v, want %v", err, tt.err)
			}
			if err == nil {
				defer doc.Close()
				if _, err := doc.Render(0, 72); err != nil {
					t.Errorf("Render: %v", err)
				}
			}
		})
	}
	// A truncated download: MuPDF repairs what it can; every page either
	// renders or fails with ErrCorrupt, and the process survives.
	for _, cut := range []int{len(good) / 2, len(good) - 200} {
		doc, err := New().Open(writeFile(t, "cut.pdf", good[:cut]))
		if err != nil {
			if !errors.Is(err, scanning.ErrCorrupt) {
				t.Errorf("cut at %d: %v, want ErrCorrupt", cut, err)
			}
			continue
		}
		for i := 0; i < doc.NumPages(); i++ {
			if _, err := doc.Render(i, 72); err != nil && !errors.Is(err, scanning.ErrCorrupt) {
				t.Errorf("cut at %d, page %d: %v", cut, i+1, err)
			}
			if _, err := doc.Text(i); err != nil && !errors.Is(err, scanning.ErrCorrupt) {
				t.Errorf("cut at %d, page %d text: %v", cut, i+1, err)
			}
		}
		t.Logf("cut at %d of %d bytes: %d pages", cut, len(good), doc.NumPages())
		doc.Close()
	}
}
