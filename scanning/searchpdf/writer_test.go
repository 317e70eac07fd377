package searchpdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// page makes an A4 page at dpi with a dark bar where the words are, so the
// rendered image can be checked too.
func pageImage(t *testing.T, dpi float64, gray bool, bar image.Rectangle) []byte {
	t.Helper()
	w, h := int(8.27*dpi), int(11.69*dpi)
	var img image.Image
	if gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = 0xff
		}
		for y := bar.Min.Y; y < bar.Max.Y; y++ {
			for x := bar.Min.X; x < bar.Max.X; x++ {
				g.Pix[y*g.Stride+x] = 0x20
			}
		}
		img = g
	} else {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.RGBA{0xff, 0xff, 0xff, 0xff}
				if image.Pt(x, y).In(bar) {
					c = color.RGBA{0xd0, 0x10, 0x10, 0xff}
				}
				m.SetRGBA(x, y, c)
			}
		}
		img = m
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func bilevelPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	p := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Gray{0}, color.Gray{0xff}})
	for i := range p.Pix {
		p.Pix[i] = 1
	}
	for y := 100; y < 140; y++ {
		for x := 100; x < 600; x++ {
			p.Pix[y*p.Stride+x] = 0
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, p); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSearchablePDF(t *testing.T) {
	dir := t.TempDir()
	line1 := []string{"Cộng", "hòa", "xã", "hội", "chủ", "nghĩa", "Việt", "Nam"}
	line2 := []string{"Độc", "lập", "-", "Tự", "do", "-", "Hạnh", "phúc"}
	var words []Word
	place := func(ws []string, line, y int) {
		x := 200
		for _, s := range ws {
			w := 40 * len([]rune(s))
			words = append(words, Word{Text: s, Box: image.Rect(x, y, x+w, y+60), Line: line})
			x += w + 30
		}
	}
	place(line1, 1, 300)
	place(line2, 2, 400)
	// Decomposed input must come out composed.
	words = append(words, Word{Text: norm.NFD.String("Tập trung"), Box: image.Rect(200, 500, 700, 560), Line: 3})

	var buf bytes.Buffer
	w, err := NewWriter(&buf, Options{Title: "Hồ sơ số hóa", Author: "UBND xã An Bình", Created: time.Date(2026, 3, 5, 9, 15, 0, 0, time.FixedZone("ICT", 7*3600))})
	if err != nil {
		t.Fatal(err)
	}
	pages := []Page{
		{Image: pageImage(t, 300, true, image.Rect(200, 300, 1500, 360)), DPI: 300, Words: words},
		{Image: pageImage(t, 150, false, image.Rect(100, 100, 500, 200)), DPI: 150},
		{Image: bilevelPNG(t, 1240, 1754), DPI: 150, Words: []Word{{Text: "Trang", Box: image.Rect(100, 100, 300, 140)}, {Text: "ba", Box: image.Rect(330, 100, 420, 140)}}},
	}
	for _, p := range pages {
		if err := w.AddPage(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	info := run(t, "pdfinfo", path)
	for _, re := range []string{`Pages:\s+3\n`, `Title:\s+Hồ sơ số hóa\n`, `Author:\s+UBND xã An Bình\n`,
		// A4 at 300 dpi: 2481 px → 595.44 pt.
		`Page size:\s+595.44 x 841.68 pts`} {
		if !regexp.MustCompile(re).MatchString(info) {
			t.Errorf("pdfinfo does not match %s:\n%s", re, info)
		}
	}
	if strings.Contains(info, "Syntax Error") {
		t.Errorf("pdfinfo reports errors:\n%s", info)
	}

	text := run(t, "pdftotext", "-f", "1", "-l", "1", path, "-")
	for _, want := range []string{strings.Join(line1, " "), strings.Join(line2, " "), "Tập trung"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext page 1 lacks %q:\n%s", want, text)
		}
	}
	if !norm.NFC.IsNormalString(text) {
		t.Errorf("pdftotext output is not NFC")
	}
	if got := strings.TrimSpace(run(t, "pdftotext", "-f", "3", "-l", "3", path, "-")); got != "Trang ba" {
		t.Errorf("page 3 text = %q", got)
	}
	// -bbox places each word where its box was: "Việt" starts at x =
	// 200 + (4+3+2+3+3+5)·40 + 6·30 px at 300 dpi.
	bbox := run(t, "pdftotext", "-bbox", "-f", "1", "-l", "1", path, "-")
	wantX := float64(200+(4+3+2+3+3+5)*40+6*30) * 72 / 300
	if !strings.Contains(bbox, `xMin="`+num(wantX)) && !strings.Contains(bbox, `xMin="`+strings.TrimSuffix(num(wantX), "0")) {
		t.Errorf("bbox of Việt: want xMin %.2f in\n%s", wantX, bbox)
	}

	fonts := run(t, "pdffonts", path)
	if !strings.Contains(fonts, "GlyphLessFont") || !strings.Contains(fonts, "CID TrueType") || !strings.Contains(fonts, "yes yes") && !strings.Contains(fonts, " yes ") {
		t.Errorf("pdffonts: want embedded glyphless CID TrueType:\n%s", fonts)
	}
	images := run(t, "pdfimages", "-list", path)
	for _, want := range []string{"gray    1   8  jpeg", "rgb     3   8  jpeg", "gray    1   1  image"} {
		if !strings.Contains(images, want) {
			t.Errorf("pdfimages lacks %q:\n%s", want, images)
		}
	}

	// The text is invisible and the image is there: render page 1 and
	// look at the bar and at white paper.
	run(t, "pdftoppm", "-r", "50", "-f", "1", "-l", "1", "-gray", path, filepath.Join(dir, "p"))
	g := readPGM(t, filepath.Join(dir, "p-1.pgm"))
	// At 50 dpi one pixel is 6 source pixels: the bar spans y 50–60,
	// line 2 (invisible text, no ink in the image) y 66–76.
	if v := g.GrayAt(100, 55).Y; v > 80 {
		t.Errorf("image layer: bar pixel is %d, want dark", v)
	}
	for x := 35; x < 200; x += 5 {
		if v := g.GrayAt(x, 71).Y; v < 240 {
			t.Fatalf("text layer is visible: pixel (%d,71) is %d", x, v)
		}
	}
}

// readPGM reads the binary PGM that pdftoppm -gray writes.
func readPGM(t *testing.T, path string) *image.Gray {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var w, h, maxv int
	var magic string
	n, err := fmt.Sscan(string(b), &magic, &w, &h, &maxv)
	if err != nil || n != 4 || magic != "P5" || maxv != 255 {
		t.Fatalf("not an 8-bit PGM: %v", err)
	}
	// The header ends after the single whitespace following maxval.
	hdr := len(b) - w*h
	return &image.Gray{Pix: b[hdr:], Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// TestGlyphlessFontParses has FreeType (through fontconfig) read the
// generated font program.
func TestGlyphlessFontParses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "glyphless.ttf")
	if err := os.WriteFile(path, glyphlessFont(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, "fc-scan", "--format", "%{family}|%{fontformat}|%{spacing}", path)
	if out != "GlyphLessFont|TrueType|100" {
		t.Errorf("fc-scan = %q", out)
	}
}

func TestICCProfileHeader(t *testing.T) {
	p := srgbProfile()
	if got := int(binary.BigEndian.Uint32(p)); got != len(p) {
		t.Errorf("declared size %d, actual %d", got, len(p))
	}
	for off, want := range map[int]string{12: "mntr", 16: "RGB ", 20: "XYZ ", 36: "acsp", 128 + 4: "desc"} {
		if got := string(p[off : off+4]); got != want {
			t.Errorf("bytes %d–%d = %q, want %q", off, off+4, got, want)
		}
	}
	// Every tag's data lies inside the profile, on a 4-byte boundary.
	n := int(binary.BigEndian.Uint32(p[128:]))
	for i := 0; i < n; i++ {
		e := p[132+12*i:]
		off, size := int(binary.BigEndian.Uint32(e[4:])), int(binary.BigEndian.Uint32(e[8:]))
		if off%4 != 0 || off+size > len(p) {
			t.Errorf("tag %q at %d+%d outside a %d-byte profile", e[:4], off, size, len(p))
		}
	}
}
