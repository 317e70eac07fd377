package scanning

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"testing"
)

func TestImageSourcePages(t *testing.T) {
	pages := []*image.Gray{grayPage(30, 40, 10), grayPage(50, 20, 200), grayPage(30, 40, 90)}
	path := writeFile(t, "scan.tif", tiffBytes(t, pages, 200))
	info, err := Inspect(path, "", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := openImageSource(path, info)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	// Pages decode one at a time, in any order, each with its own size.
	for _, n := range []int{3, 1, 2} {
		img, dpi, err := src.page(n)
		if err != nil {
			t.Fatalf("page %d: %v", n, err)
		}
		want := pages[n-1]
		g := Gray(img)
		if g.Rect.Size() != want.Rect.Size() || g.Pix[0] != want.Pix[0] || dpi != 200 {
			t.Errorf("page %d: %v, first pixel %d, %v dpi; want %v, %d, 200", n, g.Rect, g.Pix[0], dpi, want.Rect, want.Pix[0])
		}
	}
}

func TestImageDPI(t *testing.T) {
	var jfif bytes.Buffer
	if err := jpeg.Encode(&jfif, grayPage(1654, 2339, 255), nil); err != nil {
		t.Fatal(err)
	}
	// Go writes no JFIF density: the size says A4 at 200 dpi.
	path := writeFile(t, "a.jpg", jfif.Bytes())
	info, err := Inspect(path, "", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := openImageSource(path, info)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, dpi, err := src.page(1); err != nil || dpi != 200 {
		t.Errorf("jpeg without density: %v dpi, %v; want 200 (A4 guess)", dpi, err)
	}

	// A JFIF APP0 with 300 dpi, and a PNG pHYs with 11811 px/m (300 dpi).
	app0 := []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x01\x01\x2c\x01\x2c\x00\x00")
	if got := jpegDPI(bytes.NewReader(app0)); got != 300 {
		t.Errorf("jpegDPI = %v", got)
	}
	var p bytes.Buffer
	if err := png.Encode(&p, grayPage(10, 10, 0)); err != nil {
		t.Fatal(err)
	}
	b := p.Bytes()
	phys := []byte("\x00\x00\x00\x09pHYs\x00\x00\x2e\x23\x00\x00\x2e\x23\x01\x00\x00\x00\x00")
	withPhys := append(append(append([]byte{}, b[:33]...), phys...), b[33:]...)
	if got := pngDPI(bytes.NewReader(withPhys)); got < 299.9 || got > 300.1 {
		t.Errorf("pngDPI = %v", got)
	}

	for _, tt := range []struct {
		dpi  float64
		w, h int
		want float64
	}{
		{300, 10, 10, 300},
		{0, 2480, 3508, 300},
		{72000, 1240, 1754, 150},
		{10, 3508, 2480, 300},
		{0, 100, 100, 70},
	} {
		if got := plausibleDPI(tt.dpi, tt.w, tt.h); got != tt.want {
			t.Errorf("plausibleDPI(%v, %d, %d) = %v, want %v", tt.dpi, tt.w, tt.h, got, tt.want)
		}
	}
}
