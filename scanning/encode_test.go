package scanning

import (
	"bytes"
	"image"
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
