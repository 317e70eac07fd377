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

// DecodeQR returns the text of every QR code found in the top third of the
// page, in the decoder's order; none is not an error. The forms print their
// code top-left 8 mm from the edge and cover and separator sheets near the
// top, so the rest of the page (two thirds of the decoding time on every
// page without a code) is not searched.
//
// The decoder's finder-pattern search is sensitive to the module size in
// pixels: a code that reads at one scale can be missed at another (measured:
// 0.6 mm modules missed at 200 dpi, read at 150). So when the cheap pass at
// 150 dpi finds nothing, the page is tried again at full resolution with the
// decoder trying harder, and then at the other scale; a page without a code
// pays for all three, which is still small next to OCR.
func DecodeQR(g *image.Gray, dpi float64) []string {
	b := g.Rect
	g = g.SubImage(image.Rect(b.Min.X, b.Min.Y, b.Max.X, b.Min.Y+b.Dy()/3)).(*image.Gray)
	f := factorFor(dpi, qrTargetDPI)
	if out := decodeQR(shrink(g, f), false); len(out) > 0 {
		return out
	}
	if out := decodeQR(g, true); len(out) > 0 || f > 1 {
		return out
	}
	return decodeQR(shrink(g, 2), true)
}

func decodeQR(t *image.Gray, harder bool) []string {
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
	var hints map[gozxing.DecodeHintType]interface{}
	if harder {
		hints = map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	}
	results, err := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, hints)
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
