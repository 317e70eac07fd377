package scanning

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"

	"golang.org/x/image/tiff"
)

// imageSource serves the pages of a raster file (JPEG, PNG, TIFF) decoded in
// Go at their own resolution: a scan is never resampled on the way in. It is
// safe for concurrent use (os.File.ReadAt is).
type imageSource struct {
	f    *os.File
	info FileInfo
}

func openImageSource(path string, info FileInfo) (*imageSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &imageSource{f: f, info: info}, nil
}

func (s *imageSource) Close() error { return s.f.Close() }

// page decodes page n (1-based) and tells its resolution.
func (s *imageSource) page(n int) (image.Image, float64, error) {
	sr := io.NewSectionReader(s.f, 0, s.info.Size)
	var img image.Image
	var dpi float64
	var err error
	switch s.info.Kind {
	case KindJPEG:
		img, err = jpeg.Decode(sr)
		if err == nil {
			dpi = jpegDPI(sr)
		}
	case KindPNG:
		img, err = png.Decode(sr)
		if err == nil {
			dpi = pngDPI(sr)
		}
	case KindTIFF:
		tp := s.info.tiff[n-1]
		var bo binary.ByteOrder
		if bo, err = tiffByteOrder(s.f); err != nil {
			break
		}
		var pr *tiffPageReader
		if pr, err = newTIFFPageReader(s.f, bo, tp.offset); err != nil {
			break
		}
		img, err = tiff.Decode(pr)
		dpi = tp.dpi
	default:
		return nil, 0, fmt.Errorf("%w: %s is not an image", ErrUnsupportedType, s.info.Kind)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%w: decode %s: %v", ErrCorrupt, s.info.Kind, err)
	}
	b := img.Bounds()
	return img, plausibleDPI(dpi, b.Dx(), b.Dy()), nil
}

// plausibleDPI keeps a declared resolution between 70 and 1200 dpi; without
// one (phone photos, some scanner drivers) the page is taken to be A4, the
// paper of nearly every Vietnamese administrative document.
func plausibleDPI(dpi float64, w, h int) float64 {
	if dpi >= 70 && dpi <= 1200 {
		return dpi
	}
	guess := math.Round(float64(max(w, h)) / 11.69)
	return min(max(guess, 70), 1200)
}

// jpegDPI reads the JFIF density (APP0); 0 when absent or without unit.
func jpegDPI(r io.ReaderAt) float64 {
	var b [20]byte
	if n, _ := r.ReadAt(b[:], 0); n < 18 {
		return 0
	}
	if b[2] != 0xff || b[3] != 0xe0 || !bytes.Equal(b[6:11], []byte("JFIF\x00")) {
		return 0
	}
	x := float64(binary.BigEndian.Uint16(b[14:]))
	switch b[13] {
	case 1:
		return x
	case 2:
		return x * 2.54
	}
	return 0
}

// pngDPI reads the pHYs chunk, which must come before the image data.
func pngDPI(r io.ReaderAt) float64 {
	off := int64(8)
	for i := 0; i < 64; i++ { // a handful of chunks precede IDAT
		var h [8]byte
		if _, err := r.ReadAt(h[:], off); err != nil {
			return 0
		}
		n := int64(binary.BigEndian.Uint32(h[:]))
		switch string(h[4:]) {
		case "pHYs":
			var d [9]byte
			if _, err := r.ReadAt(d[:], off+8); err != nil || d[8] != 1 {
				return 0
			}
			return float64(binary.BigEndian.Uint32(d[:])) * 0.0254
		case "IDAT", "IEND":
			return 0
		}
		off += 12 + n
	}
	return 0
}
