package searchpdf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrImageFormat: a page image is not a JPEG or PNG this writer can embed
// without re-encoding.
var ErrImageFormat = errors.New("unsupported page image")

// imageInfo is what the image XObject dictionary needs; data is the stream
// as embedded (the JPEG file, or the PNG's concatenated IDAT chunks).
type imageInfo struct {
	width, height int
	colorSpace    string // PDF object syntax
	bpc           int
	filter        string
	decodeParms   string
	decode        string
	data          []byte
}

func parseImage(b []byte) (imageInfo, error) {
	switch {
	case bytes.HasPrefix(b, []byte("\xff\xd8")):
		return parseJPEG(b)
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return parsePNG(b)
	}
	return imageInfo{}, fmt.Errorf("%w: neither jpeg nor png", ErrImageFormat)
}

// parseJPEG reads the frame header. The JPEG goes into the PDF as is
// (DCTDecode): no decoding, no second lossy generation.
func parseJPEG(b []byte) (imageInfo, error) {
	adobe := false
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xff {
			return imageInfo{}, fmt.Errorf("%w: jpeg marker expected at %d", ErrImageFormat, i)
		}
		m := b[i+1]
		if m == 0xff { // fill byte
			i++
			continue
		}
		if m == 0x01 || (m >= 0xd0 && m <= 0xd8) {
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			break
		}
		seg := b[i+4 : i+2+n]
		switch {
		case m == 0xee && bytes.HasPrefix(seg, []byte("Adobe")):
			adobe = true
		case m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			if len(seg) < 6 {
				return imageInfo{}, fmt.Errorf("%w: short jpeg frame header", ErrImageFormat)
			}
			info := imageInfo{
				bpc:    int(seg[0]),
				height: int(binary.BigEndian.Uint16(seg[1:])),
				width:  int(binary.BigEndian.Uint16(seg[3:])),
				filter: "/DCTDecode",
				data:   b,
			}
			switch seg[5] {
			case 1:
				info.colorSpace = "/DeviceGray"
			case 3:
				info.colorSpace = "/DeviceRGB"
			case 4:
				info.colorSpace = "/DeviceCMYK"
				if adobe { // Adobe writes CMYK inverted
					info.decode = "[1 0 1 0 1 0 1 0]"
				}
			default:
				return imageInfo{}, fmt.Errorf("%w: jpeg with %d components", ErrImageFormat, seg[5])
			}
			if info.bpc != 8 || info.width == 0 || info.height == 0 {
				return imageInfo{}, fmt.Errorf("%w: jpeg %dx%d at %d bits", ErrImageFormat, info.width, info.height, info.bpc)
			}
			return info, nil
		}
		i += 2 + n
	}
	return imageInfo{}, fmt.Errorf("%w: jpeg without frame header", ErrImageFormat)
}

// parsePNG collects the IDAT data: PNG's zlib stream with per-row filters is
// what FlateDecode with predictor 15 reads, so the pixels are not touched.
func parsePNG(b []byte) (imageInfo, error) {
	var info imageInfo
	var idat bytes.Buffer
	var palette []byte
	colorType := -1
	for i := 8; i+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n < 0 || i+12+n > len(b) {
			return info, fmt.Errorf("%w: png chunk %q runs past the end", ErrImageFormat, typ)
		}
		d := b[i+8 : i+8+n]
		switch typ {
		case "IHDR":
			if n < 13 {
				return info, fmt.Errorf("%w: short IHDR", ErrImageFormat)
			}
			info.width = int(binary.BigEndian.Uint32(d))
			info.height = int(binary.BigEndian.Uint32(d[4:]))
			info.bpc = int(d[8])
			colorType = int(d[9])
			if d[12] != 0 {
				return info, fmt.Errorf("%w: interlaced png", ErrImageFormat)
			}
		case "PLTE":
			palette = d
		case "IDAT":
			idat.Write(d)
		}
		i += 12 + n
	}
	colors := 1
	switch colorType {
	case 0:
		info.colorSpace = "/DeviceGray"
	case 2:
		info.colorSpace, colors = "/DeviceRGB", 3
	case 3:
		switch {
		case len(palette) == 6 && bytes.Equal(palette, []byte{0, 0, 0, 0xff, 0xff, 0xff}):
			// Black-then-white two-colour palette: plain 1-bit gray.
			info.colorSpace = "/DeviceGray"
		case len(palette) >= 3 && len(palette)%3 == 0:
			info.colorSpace = fmt.Sprintf("[/Indexed /DeviceRGB %d <%X>]", len(palette)/3-1, palette)
		default:
			return info, fmt.Errorf("%w: png palette of %d bytes", ErrImageFormat, len(palette))
		}
	default:
		return info, fmt.Errorf("%w: png colour type %d", ErrImageFormat, colorType)
	}
	if info.width == 0 || info.height == 0 || idat.Len() == 0 {
		return info, fmt.Errorf("%w: png without image data", ErrImageFormat)
	}
	info.filter = "/FlateDecode"
	info.decodeParms = fmt.Sprintf("<< /Predictor 15 /Colors %d /BitsPerComponent %d /Columns %d >>", colors, info.bpc, info.width)
	info.data = idat.Bytes()
	return info, nil
}
