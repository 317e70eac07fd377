package scanning

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"motcua/internal/scantest"
)

func TestEncodePage(t *testing.T) {
	g := render(t, scantest.Page(8, 28), 150)
	colour := toColour(g)
	tests := []struct {
		mode   Mode
		img    image.Image
		format Format
		model  string
	}{
		{ModeGray, g, FormatJPEG, "gray"},
		{ModeColour, colour, FormatJPEG, "colour"},
		{ModeBilevel, g, FormatPNG, "bilevel"},
	}
	sizes := map[Mode]int{}
	for _, tt := range tests {
		data, format, err := encodePage(tt.img, tt.mode, 80)
		if err != nil || format != tt.format {
			t.Fatalf("%s: %v, %s", tt.mode, err, format)
		}
		sizes[tt.mode] = len(data)
		var dec image.Image
		if format == FormatPNG {
			// IHDR bit depth 1: the compact form really is one bit per pixel.
			if data[24] != 1 {
				t.Errorf("bilevel png has bit depth %d", data[24])
			}
			dec, err = png.Decode(bytes.NewReader(data))
		} else {
			dec, err = jpeg.Decode(bytes.NewReader(data))
		}
		if err != nil || dec.Bounds() != g.Bounds() {
			t.Fatalf("%s: decoded %v, %v", tt.mode, dec.Bounds(), err)
		}
		if _, isGray := dec.(*image.Gray); isGray != (tt.model == "gray") {
			t.Errorf("%s: decoded as %T", tt.mode, dec)
		}
	}
	t.Logf("A4 at 150 dpi: gray %d B, colour %d B, bilevel %d B", sizes[ModeGray], sizes[ModeColour], sizes[ModeBilevel])
	if sizes[ModeBilevel] >= sizes[ModeGray] {
		t.Errorf("bilevel (%d B) is not smaller than gray (%d B)", sizes[ModeBilevel], sizes[ModeGray])
	}
}

// The hand-packed bilevel PNG decodes to exactly bilevel(g), for widths
// that do and do not fill their last byte.
func TestEncodeBilevelMatchesBilevel(t *testing.T) {
	page := render(t, scantest.Page(2, 12), 100)
	for _, w := range []int{1, 7, 8, 9, 15, 64, page.Rect.Dx()} {
		g := page.SubImage(image.Rect(0, 0, w, page.Rect.Dy())).(*image.Gray)
		var buf bytes.Buffer
		if err := encodeBilevel(&buf, g, Otsu(g)); err != nil {
			t.Fatal(err)
		}
		dec, err := png.Decode(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("width %d: %v", w, err)
		}
		want := bilevel(g)
		if dec.Bounds().Size() != want.Bounds().Size() {
			t.Fatalf("width %d: decoded %v, want %v", w, dec.Bounds(), want.Bounds())
		}
		diff := 0
		for y := range want.Rect.Dy() {
			for x := range want.Rect.Dx() {
				r, _, _, _ := dec.At(x, y).RGBA()
				if (r > 0x7fff) != (want.ColorIndexAt(x, y) == 1) {
					diff++
				}
			}
		}
		if diff > 0 {
			t.Errorf("width %d: %d pixels differ from bilevel", w, diff)
		}
	}
}

// bilevel is the plain reference encodeBilevel is checked against: g
// thresholded at its Otsu level into a two-colour image (index 0 black,
// 1 white).
func bilevel(g *image.Gray) *image.Paletted {
	t := Otsu(g)
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Gray{0}, color.Gray{0xff}})
	for y := 0; y < h; y++ {
		s := g.Pix[y*g.Stride : y*g.Stride+w]
		d := out.Pix[y*out.Stride : y*out.Stride+w]
		for x, v := range s {
			if v > t {
				d[x] = 1
			}
		}
	}
	return out
}

func TestBilevel(t *testing.T) {
	g := grayPage(4, 1, 0)
	copy(g.Pix, []byte{20, 60, 190, 240})
	b := bilevel(g)
	if !bytes.Equal(b.Pix, []byte{0, 0, 1, 1}) || len(b.Palette) != 2 {
		t.Errorf("bilevel = %v (palette %v)", b.Pix, b.Palette)
	}
}
