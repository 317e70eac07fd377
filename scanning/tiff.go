package scanning

import (
	"encoding/binary"
	"fmt"
	"io"
)

// tiffPage is what intake needs of one TIFF image file directory (IFD):
// its offset (to decode that page alone) and its size (to refuse it before
// decoding).
type tiffPage struct {
	offset        int64
	width, height int64
	compression   int
	dpi           float64 // 0 when the file does not say
}

// TIFF compressions golang.org/x/image/tiff decodes. JPEG-in-TIFF (6, 7)
// and the rarer codecs are refused at intake with a clear error rather than
// failing half-way through a batch.
var tiffCompressions = map[int]bool{1: true, 3: true, 4: true, 5: true, 8: true, 32773: true, 32946: true}

// tiffPages walks the chain of IFDs of a TIFF without reading image data.
// Reduced-resolution images (thumbnails, NewSubfileType bit 0) are not
// pages. At most maxPages+1 pages are returned so that a crafted chain
// cannot make intake loop or allocate without bound; the caller compares the
// count with its limit.
func tiffPages(r io.ReaderAt, size int64, maxPages int) ([]tiffPage, error) {
	var hdr [8]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("%w: tiff header: %v", ErrCorrupt, err)
	}
	var bo binary.ByteOrder
	switch string(hdr[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: not a classic tiff header", ErrUnsupportedType)
	}
	var pages []tiffPage
	seen := map[int64]bool{}
	off := int64(bo.Uint32(hdr[4:]))
	for off != 0 {
		if seen[off] {
			return nil, fmt.Errorf("%w: tiff directory chain loops", ErrCorrupt)
		}
		seen[off] = true
		// Even thumbnails count towards the walk bound: a chain of a million
		// thumbnails must not keep intake busy either.
		if len(seen) > 2*maxPages+2 {
			return nil, fmt.Errorf("%w: more than %d image directories", ErrCorrupt, 2*maxPages+2)
		}
		if off < 8 || off+2 > size {
			return nil, fmt.Errorf("%w: tiff directory offset %d outside the file", ErrCorrupt, off)
		}
		var n [2]byte
		if _, err := r.ReadAt(n[:], off); err != nil {
			return nil, fmt.Errorf("%w: tiff directory: %v", ErrCorrupt, err)
		}
		count := int64(bo.Uint16(n[:]))
		if off+2+12*count+4 > size {
			return nil, fmt.Errorf("%w: tiff directory at %d runs past the end", ErrCorrupt, off)
		}
		entries := make([]byte, 12*count+4)
		if _, err := r.ReadAt(entries, off+2); err != nil {
			return nil, fmt.Errorf("%w: tiff directory: %v", ErrCorrupt, err)
		}
		p := tiffPage{offset: off, compression: 1}
		thumb := false
		unit := int64(2) // inch, the TIFF default
		for i := int64(0); i < count; i++ {
			e := entries[12*i : 12*i+12]
			tag, typ := bo.Uint16(e[0:]), bo.Uint16(e[2:])
			var v int64
			switch typ {
			case 3: // SHORT
				v = int64(bo.Uint16(e[8:]))
			case 4: // LONG
				v = int64(bo.Uint32(e[8:]))
			case 5: // RATIONAL, stored at an offset
				if tag == 282 {
					var rat [8]byte
					if _, err := r.ReadAt(rat[:], int64(bo.Uint32(e[8:]))); err == nil && bo.Uint32(rat[4:]) != 0 {
						p.dpi = float64(bo.Uint32(rat[:])) / float64(bo.Uint32(rat[4:]))
					}
				}
				continue
			default:
				continue
			}
			switch tag {
			case 296:
				unit = v
			case 254:
				thumb = v&1 != 0
			case 256:
				p.width = v
			case 257:
				p.height = v
			case 259:
				p.compression = int(v)
			}
		}
		switch unit {
		case 1:
			p.dpi = 0 // no absolute unit
		case 3:
			p.dpi *= 2.54
		}
		off = int64(bo.Uint32(entries[12*count:]))
		if thumb {
			continue
		}
		if p.width <= 0 || p.height <= 0 {
			return nil, fmt.Errorf("%w: tiff page %d has no size", ErrCorrupt, len(pages)+1)
		}
		pages = append(pages, p)
		if len(pages) > maxPages {
			break
		}
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("%w: tiff without pages", ErrCorrupt)
	}
	return pages, nil
}

// tiffPageReader presents a TIFF file as if page p were its first directory,
// by rewriting the first-IFD offset in the header. All other offsets in a
// TIFF are absolute, so the decoder finds the strips of that page where they
// are, and nothing else is copied: a 500-page TIFF costs one page of memory.
type tiffPageReader struct {
	r   io.ReaderAt
	hdr [8]byte
	pos int64
}

func newTIFFPageReader(r io.ReaderAt, bo binary.ByteOrder, ifd int64) (*tiffPageReader, error) {
	t := &tiffPageReader{r: r}
	if _, err := r.ReadAt(t.hdr[:], 0); err != nil {
		return nil, err
	}
	bo.PutUint32(t.hdr[4:], uint32(ifd))
	return t, nil
}

func (t *tiffPageReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := t.r.ReadAt(p, off)
	// Overlay the patched header on whatever part of it the read covers.
	for i := off; i < int64(len(t.hdr)) && i < off+int64(n); i++ {
		p[i-off] = t.hdr[i]
	}
	return n, err
}

// Read makes the type an io.Reader for image decoders; they use ReadAt when
// it is there (golang.org/x/image/tiff does), so Read is only a fallback.
func (t *tiffPageReader) Read(p []byte) (int, error) {
	n, err := t.ReadAt(p, t.pos)
	t.pos += int64(n)
	return n, err
}

func tiffByteOrder(r io.ReaderAt) (binary.ByteOrder, error) {
	var h [2]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, err
	}
	if string(h[:]) == "MM" {
		return binary.BigEndian, nil
	}
	return binary.LittleEndian, nil
}
