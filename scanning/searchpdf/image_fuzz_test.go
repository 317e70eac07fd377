package searchpdf

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"testing"
)

// FuzzAddPage: the page images the writer embeds as they are come from
// the pipeline, but also from a scanner (SANE pages) — a broken image must
// be an error, never a panic or a PDF that claims another size.
func FuzzAddPage(f *testing.F) {
	g := image.NewGray(image.Rect(0, 0, 30, 20))
	var pg, jp, rgb, pal bytes.Buffer
	png.Encode(&pg, g)
	jpeg.Encode(&jp, g, nil)
	png.Encode(&rgb, image.NewRGBA(image.Rect(0, 0, 7, 5)))
	png.Encode(&pal, image.NewPaletted(image.Rect(0, 0, 9, 9), color.Palette{color.Black, color.White}))
	for _, b := range [][]byte{pg.Bytes(), jp.Bytes(), rgb.Bytes(), pal.Bytes(), []byte("\x89PNG\r\n\x1a\n"), []byte{0xFF, 0xD8, 0xFF}} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, img []byte) {
		info, err := parseImage(img)
		if err == nil && (info.width <= 0 || info.height <= 0) {
			t.Fatalf("accepted an image of %d × %d", info.width, info.height)
		}
		w, err := NewWriter(io.Discard, Options{Title: "fuzz"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddPage(Page{Image: img, DPI: 200, Words: []Word{{Text: "chữ", Box: image.Rect(1, 1, 5, 5)}}}); err != nil {
			return
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	})
}
