package scantest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"io"

	"github.com/go-pdf/fpdf"
)

// Gray returns a w×h image of value v.
func Gray(w, h int, v uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = v
	}
	return g
}

// PNGHeader is a PNG signature and IHDR chunk claiming w×h pixels, with a
// valid CRC and no image data: enough for a decoder to believe the size,
// without the test allocating the pixels.
func PNGHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

// WriteJPEG writes a plain gray w×h JPEG.
func WriteJPEG(out io.Writer, w, h int) error {
	return jpeg.Encode(out, Gray(w, h, 200), nil)
}

// WriteImagePDF writes one page per image, the page sized so that the
// image fills it at dpi — what scanner software produces. Gray images go
// in losslessly (PNG, stored with Flate), colour ones as JPEG.
func WriteImagePDF(w io.Writer, pages []image.Image, dpi float64) error {
	var doc ImagePDF
	for _, img := range pages {
		var data bytes.Buffer
		if g, ok := img.(*image.Gray); ok {
			if err := pngEncode(&data, g); err != nil {
				return err
			}
			doc.Add(data.Bytes(), "PNG", g.Rect.Dx(), g.Rect.Dy(), dpi)
			continue
		}
		if err := jpeg.Encode(&data, img, &jpeg.Options{Quality: 90}); err != nil {
			return err
		}
		doc.Add(data.Bytes(), "JPG", img.Bounds().Dx(), img.Bounds().Dy(), dpi)
	}
	return doc.Write(w)
}

// ImagePDF builds a scanner-style PDF page by page from encoded images.
type ImagePDF struct {
	pdf *fpdf.Fpdf
	n   int
}

// Add appends a page showing data (typ "PNG" or "JPG") of w×h px at dpi.
func (d *ImagePDF) Add(data []byte, typ string, w, h int, dpi float64) {
	if d.pdf == nil {
		d.pdf = fpdf.New("P", "mm", "A4", "")
	}
	wmm, hmm := float64(w)/dpi*25.4, float64(h)/dpi*25.4
	d.pdf.AddPageFormat("P", fpdf.SizeType{Wd: wmm, Ht: hmm})
	name := fmt.Sprintf("p%d", d.n)
	d.n++
	opt := fpdf.ImageOptions{ImageType: typ}
	d.pdf.RegisterImageOptionsReader(name, opt, bytes.NewReader(data))
	d.pdf.ImageOptions(name, 0, 0, wmm, hmm, false, opt, 0, "")
}

// Write writes the PDF.
func (d *ImagePDF) Write(w io.Writer) error { return d.pdf.Output(w) }

// WriteEncryptedPDF writes a one-page PDF that needs password to open.
func WriteEncryptedPDF(w io.Writer, password string) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetProtection(fpdf.CnProtectPrint, password, "chu-so-huu")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "", 12)
	pdf.Text(20, 20, "Ho so mat")
	return pdf.Output(w)
}

// CorruptTIFFStrip points the image data of page index (0-based) of a TIFF
// written by WriteTIFF past the end of the file.
func CorruptTIFFStrip(data []byte, index int) []byte {
	out := append([]byte{}, data...)
	le := binary.LittleEndian
	off := le.Uint32(out[4:])
	for i := 0; i < index; i++ {
		n := uint32(le.Uint16(out[off:]))
		off = le.Uint32(out[off+2+12*n:])
	}
	n := int(le.Uint16(out[off:]))
	for e := 0; e < n; e++ {
		entry := out[int(off)+2+12*e:]
		if le.Uint16(entry) == 273 { // StripOffsets
			le.PutUint32(entry[8:], uint32(len(out)+1000))
		}
	}
	return out
}

// WriteLongPDF writes n pages cheaply (a core font, no TTF subsetting):
// each page has a heading and a paragraph of plain ASCII, enough to count as
// a text layer.
func WriteLongPDF(w io.Writer, n int) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(true)
	for i := 1; i <= n; i++ {
		pdf.AddPage()
		pdf.SetFont("Helvetica", "", 12)
		pdf.Text(25, 30, fmt.Sprintf("So dang ky ho tich - trang %d / %d", i, n))
		pdf.Text(25, 40, "Ho va ten, ngay sinh, noi sinh, quoc tich, noi cu tru.")
	}
	return pdf.Output(w)
}
