package scantest

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Layout of a test page: A4, 25 mm margins, 12-pt serif, 8 mm line pitch —
// an ordinary typed administrative page.
const (
	PageWidthMM  = 210.0
	PageHeightMM = 297.0
	MarginMM     = 25.0
	FontPt       = 12.0
	LinePitchMM  = 8.0
)

var (
	fontOnce sync.Once
	fontData []byte
	fontErr  error
)

// Font returns the bytes of Liberation Serif Regular from app/forms/fonts,
// found by walking up from the working directory to the module root.
func Font() ([]byte, error) {
	fontOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			fontErr = err
			return
		}
		for {
			p := filepath.Join(dir, "app", "forms", "fonts", "LiberationSerif-Regular.ttf")
			if b, err := os.ReadFile(p); err == nil {
				fontData = b
				return
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				fontErr = errors.New("scantest: app/forms/fonts/LiberationSerif-Regular.ttf not found above the working directory")
				return
			}
			dir = parent
		}
	})
	return fontData, fontErr
}

// PDFPage is one page of a generated PDF.
type PDFPage struct {
	Lines []string
	// QR, when set, is printed top-right, 30 mm wide, like the QR of a
	// receipt or a cover sheet.
	QR string
	// RedSeal draws a red ring with text, as a commune seal.
	RedSeal bool
}

// WritePDF renders pages of text to w with fpdf and an embedded font.
func WritePDF(w io.Writer, pages []PDFPage) error {
	ttf, err := Font()
	if err != nil {
		return err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(true)
	pdf.AddUTF8FontFromBytes("serif", "", ttf)
	pdf.SetAutoPageBreak(false, 0)
	for i, p := range pages {
		pdf.AddPage()
		pdf.SetFont("serif", "", FontPt)
		pdf.SetTextColor(0, 0, 0)
		for k, l := range p.Lines {
			pdf.Text(MarginMM, MarginMM+LinePitchMM*float64(k+1), l)
		}
		if p.QR != "" {
			bc, err := qr.Encode(p.QR, qr.M, qr.Auto)
			if err != nil {
				return err
			}
			bc, err = barcode.Scale(bc, bc.Bounds().Dx()*8, bc.Bounds().Dy()*8)
			if err != nil {
				return err
			}
			var png bytes.Buffer
			if err := EncodePNG(&png, bc); err != nil {
				return err
			}
			name := fmt.Sprintf("qr%d", i)
			pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, &png)
			pdf.ImageOptions(name, PageWidthMM-MarginMM-30, 12, 30, 30, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
		}
		if p.RedSeal {
			pdf.SetDrawColor(210, 20, 30)
			pdf.SetTextColor(210, 20, 30)
			pdf.SetLineWidth(1.2)
			cx, cy := PageWidthMM-60.0, PageHeightMM-60.0
			pdf.Circle(cx, cy, 20, "D")
			pdf.Circle(cx, cy, 15, "D")
			pdf.SetFont("serif", "", 9)
			pdf.Text(cx-12, cy+1, "UBND XÃ AN BÌNH")
		}
	}
	return pdf.Output(w)
}

// EncodePNG writes img as an 8-bit gray PNG.
func EncodePNG(w io.Writer, img image.Image) error {
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return pngEncode(w, g)
}

// RenderGray draws lines with the same layout as WritePDF directly into a
// gray image at dpi, in pure Go (for tests that must not need cgo).
func RenderGray(lines []string, dpi float64) (*image.Gray, error) {
	ttf, err := Font()
	if err != nil {
		return nil, err
	}
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, err
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: FontPt, DPI: dpi, Hinting: font.HintingNone})
	if err != nil {
		return nil, err
	}
	defer face.Close()
	px := func(mm float64) int { return int(mm / 25.4 * dpi) }
	g := image.NewGray(image.Rect(0, 0, px(PageWidthMM), px(PageHeightMM)))
	draw.Draw(g, g.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: g, Src: image.Black, Face: face}
	for k, l := range lines {
		d.Dot = fixed.P(px(MarginMM), px(MarginMM+LinePitchMM*float64(k+1)))
		d.DrawString(l)
	}
	return g, nil
}

// DrawQR paints a QR code with payload into g at (x, y), module px wide.
func DrawQR(g *image.Gray, payload string, x, y, module int) error {
	bc, err := qr.Encode(payload, qr.M, qr.Auto)
	if err != nil {
		return err
	}
	b := bc.Bounds()
	for my := b.Min.Y; my < b.Max.Y; my++ {
		for mx := b.Min.X; mx < b.Max.X; mx++ {
			r, _, _, _ := bc.At(mx, my).RGBA()
			if r > 0x8000 {
				continue
			}
			for yy := 0; yy < module; yy++ {
				for xx := 0; xx < module; xx++ {
					g.SetGray(x+(mx-b.Min.X)*module+xx, y+(my-b.Min.Y)*module+yy, color.Gray{})
				}
			}
		}
	}
	return nil
}
