package forms

import (
	"fmt"
	"image"
	"math"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"
	"github.com/go-pdf/fpdf"
)

// Sizes chosen so that a 150-dpi scan (0.17 mm per pixel) still gives about
// three pixels per QR module and two per Code128 module.
const (
	qrMinSize       = 22.0 // mm, side of the symbol without quiet zone
	qrMinModule     = 0.5  // mm
	c128Module      = 0.33 // mm, preferred narrow bar
	c128MinModule   = 0.25 // mm; narrower bars do not scan from office scanners
	c128QuietModule = 10   // quiet zone each side, in modules (ISO/IEC 15417)
)

func dark(img image.Image, x, y int) bool {
	r, _, _, _ := img.At(x, y).RGBA()
	return r < 0x8000
}

// qrSymbol encodes the payload; level M survives a stamp or a fold without
// making the symbol too dense.
func qrSymbol(payload string) (barcode.Barcode, error) {
	bc, err := qr.Encode(payload, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("encode qr: %w", err)
	}
	return bc, nil
}

// qrSide returns the printed side of the symbol in mm.
func qrSide(bc barcode.Barcode) float64 {
	n := float64(bc.Bounds().Dx())
	return math.Max(qrMinSize, n*qrMinModule)
}

// drawQR draws the symbol as vector squares. All modules go into one path
// filled once, so that anti-aliased renderers show no seams between modules.
func drawQR(pdf *fpdf.Fpdf, bc barcode.Barcode, x, y, side float64) {
	b := bc.Bounds()
	m := side / float64(b.Dx())
	pdf.SetFillColor(0, 0, 0)
	drawn := false
	for row := b.Min.Y; row < b.Max.Y; row++ {
		for col := b.Min.X; col < b.Max.X; {
			if !dark(bc, col, row) {
				col++
				continue
			}
			start := col
			for col < b.Max.X && dark(bc, col, row) {
				col++
			}
			x0, y0 := x+float64(start-b.Min.X)*m, y+float64(row-b.Min.Y)*m
			x1, y1 := x+float64(col-b.Min.X)*m, y0+m
			pdf.MoveTo(x0, y0)
			pdf.LineTo(x1, y0)
			pdf.LineTo(x1, y1)
			pdf.LineTo(x0, y1)
			pdf.ClosePath()
			drawn = true
		}
	}
	if drawn {
		pdf.DrawPath("F")
	}
}

// code128Symbol encodes the dossier code for the keyboard-wedge reader.
func code128Symbol(code string) (barcode.Barcode, error) {
	bc, err := code128.Encode(code)
	if err != nil {
		return nil, fmt.Errorf("encode code128: %w", err)
	}
	return bc, nil
}

// code128Module picks the bar width so that the symbol and its quiet zones fit
// in maxWidth.
func code128Module(bc barcode.Barcode, maxWidth float64) (float64, error) {
	n := float64(bc.Bounds().Dx() + 2*c128QuietModule)
	m := math.Min(c128Module, maxWidth/n)
	if m < c128MinModule {
		return 0, invalid("dossier code %q too long for a scannable barcode", bc.Content())
	}
	return m, nil
}

// drawCode128 draws the bars (without quiet zones) starting at x.
func drawCode128(pdf *fpdf.Fpdf, bc barcode.Barcode, x, y, module, height float64) {
	b := bc.Bounds()
	pdf.SetFillColor(0, 0, 0)
	for col := b.Min.X; col < b.Max.X; {
		if !dark(bc, col, 0) {
			col++
			continue
		}
		start := col
		for col < b.Max.X && dark(bc, col, 0) {
			col++
		}
		pdf.Rect(x+float64(start-b.Min.X)*module, y, float64(col-start)*module, height, "F")
	}
}
