package forms

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var (
	update     = flag.Bool("update", false, "rewrite testdata/receipt-sample.png")
	samplesDir = flag.String("samples", "", "also write every form of both sets as PDF and 80-dpi PNGs into this directory")
)

const receiptSample = "testdata/receipt-sample.png"

// TestWriteSamples keeps testdata/receipt-sample.png (used in the docs) in
// step with the renderer: -update rewrites it; otherwise it must exist and be
// page 1 of the receipt at 80 dpi.
func TestWriteSamples(t *testing.T) {
	r := testRenderer(t, Set03_2025)
	pdf := writePDF(t, func(b *bytes.Buffer) error { return r.Receipt(b, testReceipt()) })
	fresh := pagePNG(t, pdf, 1, 80)
	if *update {
		copyFile(t, fresh, receiptSample)
	}
	if *samplesDir != "" {
		writeAllSamples(t, *samplesDir)
	}

	f, err := os.Open(receiptSample)
	if err != nil {
		t.Fatalf("%v (run go test -run TestWriteSamples -update)", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// A4 at 80 dpi is 661 × 935 pixels.
	if b := img.Bounds(); b.Dx() < 655 || b.Dx() > 667 || b.Dy() < 929 || b.Dy() > 941 {
		t.Errorf("%s is %v, want an A4 portrait page at 80 dpi", receiptSample, b.Size())
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeAllSamples(t *testing.T, dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, set := range []Set{Set03_2025, Set01_2018} {
		r := testRenderer(t, set)
		for _, form := range set.Forms() {
			name := fmt.Sprintf("%s-%02d-%s", set[:2], form.Number, form.Kind)
			pdf := writePDF(t, func(b *bytes.Buffer) error { return r.Render(b, form.Number, testData(form.Kind)) })
			copyFile(t, pdf, filepath.Join(dir, name+".pdf"))
			copyFile(t, pagePNG(t, pdf, 1, 80), filepath.Join(dir, name+".png"))
		}
	}
	long := testReceipt()
	long.Components = longComponents(40)
	r := testRenderer(t, Set03_2025)
	pdf := writePDF(t, func(b *bytes.Buffer) error { return r.Receipt(b, long) })
	copyFile(t, pdf, filepath.Join(dir, "long.pdf"))
	for i := range pdfPages(t, pdf) {
		copyFile(t, pagePNG(t, pdf, i+1, 80), filepath.Join(dir, fmt.Sprintf("long-%d.png", i+1)))
	}
}

func longComponents(n int) []Component {
	cs := make([]Component, n)
	for i := range cs {
		cs[i] = Component{Name: fmt.Sprintf("Giấy tờ số %d: bản trích lục hộ tịch kèm theo văn bản xác nhận của cơ quan có thẩm quyền", i+1), Copies: 1}
	}
	return cs
}
