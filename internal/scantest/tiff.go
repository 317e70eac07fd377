package scantest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"image"
	"io"
)

// WriteTIFF writes gray pages as one multi-page TIFF (Deflate, 8-bit, one
// strip per page, resolution dpi), the way ADF scanner software does.
func WriteTIFF(w io.Writer, pages []*image.Gray, dpi int) error {
	var tw TIFFWriter
	for _, g := range pages {
		tw.Add(g, dpi)
	}
	_, err := w.Write(tw.Bytes())
	return err
}

// TIFFWriter builds a multi-page TIFF page by page; only the compressed
// pages are kept.
type TIFFWriter struct {
	out      bytes.Buffer
	prevNext int
}

// Add appends a page.
func (t *TIFFWriter) Add(g *image.Gray, dpi int) {
	le := binary.LittleEndian
	out := &t.out
	if out.Len() == 0 {
		out.WriteString("II*\x00")
		binary.Write(out, le, uint32(0)) // first IFD offset, patched below
		t.prevNext = 4
	}
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	wd, ht := g.Rect.Dx(), g.Rect.Dy()
	for y := 0; y < ht; y++ {
		off := g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y)
		zw.Write(g.Pix[off : off+wd])
	}
	zw.Close()
	for out.Len()%2 != 0 {
		out.WriteByte(0)
	}
	strip := out.Len()
	out.Write(z.Bytes())
	for out.Len()%2 != 0 {
		out.WriteByte(0)
	}
	res := out.Len()
	binary.Write(out, le, []uint32{uint32(dpi), 1})
	ifd := out.Len()
	le.PutUint32(out.Bytes()[t.prevNext:], uint32(ifd))
	type entry struct {
		tag, typ uint16
		count    uint32
		value    uint32
	}
	entries := []entry{
		{254, 4, 1, 2}, // NewSubfileType: page of a multi-page document
		{256, 4, 1, uint32(wd)},
		{257, 4, 1, uint32(ht)},
		{258, 3, 1, 8}, // BitsPerSample
		{259, 3, 1, 8}, // Compression: Deflate
		{262, 3, 1, 1}, // Photometric: black is zero
		{273, 4, 1, uint32(strip)},
		{277, 3, 1, 1}, // SamplesPerPixel
		{278, 4, 1, uint32(ht)},
		{279, 4, 1, uint32(z.Len())},
		{282, 5, 1, uint32(res)},
		{283, 5, 1, uint32(res)},
		{296, 3, 1, 2}, // ResolutionUnit: inch
	}
	binary.Write(out, le, uint16(len(entries)))
	for _, e := range entries {
		binary.Write(out, le, e)
	}
	t.prevNext = out.Len()
	binary.Write(out, le, uint32(0))
}

// Bytes returns the file.
func (t *TIFFWriter) Bytes() []byte { return t.out.Bytes() }
