package scanning

import (
	"image"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"

	"motcua/app/forms"
)

// The dossier forms print their QR code at least 22 mm wide with 0.5 mm
// modules (app/forms): about 3 px per module at 150 dpi, enough for the
// decoder and four times cheaper than decoding at 300 dpi.
const qrTargetDPI = 150

// DecodeQR returns the text of every QR code found on the page, in the
// decoder's order; none is not an error.
func DecodeQR(g *image.Gray, dpi float64) []string {
	t := shrink(g, factorFor(dpi, qrTargetDPI))
	w, h := t.Rect.Dx(), t.Rect.Dy()
	pix := t.Pix
	if t.Stride != w {
		pix = make([]byte, 0, w*h)
		for y := 0; y < h; y++ {
			pix = append(pix, t.Pix[y*t.Stride:y*t.Stride+w]...)
		}
	}
	src, err := gozxing.NewPlanarYUVLuminanceSource(pix, w, h, 0, 0, w, h, false)
	if err != nil {
		return nil
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return nil
	}
	results, err := multiqr.NewQRCodeMultiReader().DecodeMultipleWithoutHint(bmp)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(results))
	for _, r := range results {
		out = append(out, r.GetText())
	}
	return out
}

// Binding returns the dossier payload among a page's QR texts: a receipt or
// a printed cover sheet carries "MHS:<dossier code>;...". Other codes (the
// QR of a citizen ID card photocopy, say) are ignored.
func Binding(qrs []string) (forms.QRPayload, bool) {
	for _, s := range qrs {
		if p, err := forms.ParseQRPayload(s); err == nil {
			return p, true
		}
	}
	return forms.QRPayload{}, false
}
