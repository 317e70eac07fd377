package scanning

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
)

// Mode is how a page image is stored.
type Mode string

const (
	// ModeColour keeps seals, signatures and photos (JPEG, RGB).
	ModeColour Mode = "colour"
	// ModeGray stores plain pages as 8-bit gray JPEG.
	ModeGray Mode = "gray"
	// ModeBilevel stores plain text pages as 1-bit PNG, the most compact.
	ModeBilevel Mode = "bilevel"
)

// Format is the encoding of Page.Encoded, a standard file a browser shows.
type Format string

const (
	FormatJPEG Format = "image/jpeg"
	FormatPNG  Format = "image/png"
)

// encodePage stores img in mode: JPEG for colour and gray, 1-bit PNG for
// bilevel. Both are embedded in the searchable PDF without re-encoding
// (DCTDecode, and FlateDecode with PNG predictors).
func encodePage(img image.Image, mode Mode, quality int) ([]byte, Format, error) {
	var buf bytes.Buffer
	switch mode {
	case ModeBilevel:
		g, ok := img.(*image.Gray)
		if !ok {
			g = Gray(img)
		}
		enc := png.Encoder{CompressionLevel: png.DefaultCompression}
		if err := enc.Encode(&buf, Bilevel(g)); err != nil {
			return nil, "", fmt.Errorf("encode png: %w", err)
		}
		return buf.Bytes(), FormatPNG, nil
	default:
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
			return nil, "", fmt.Errorf("encode jpeg: %w", err)
		}
		return buf.Bytes(), FormatJPEG, nil
	}
}
