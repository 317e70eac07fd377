package searchpdf

import (
	"bytes"
	"encoding/binary"
	"sort"
	"strconv"
)

// The text layer uses a "glyphless" TrueType font: glyph 1 has no outline
// and an advance of half an em, and every character code maps to it. Word
// positions and widths come from the OCR boxes (the Tz operator stretches
// each word to its box), so glyph shapes are never needed, the font is a few
// hundred bytes instead of the 400 kB of a real Vietnamese face, and any
// character — all of Vietnamese included — can be written. Extraction goes
// through the ToUnicode map, which maps each code to itself: what goes in is
// exactly what pdftotext gives back. Tesseract's own PDF renderer and
// OCRmyPDF use the same idea; this font is generated here from the
// TrueType specification, not copied from them.
const (
	glyphAdvance = 500 // font units of glyph 1, with unitsPerEm 1000
	fontName     = "GlyphLessFont"
)

// glyphlessFont builds the font program.
func glyphlessFont() []byte {
	be := binary.BigEndian
	u16 := func(b *bytes.Buffer, v ...uint16) {
		for _, x := range v {
			_ = binary.Write(b, be, x)
		}
	}
	u32 := func(b *bytes.Buffer, v ...uint32) {
		for _, x := range v {
			_ = binary.Write(b, be, x)
		}
	}
	tables := map[string][]byte{}

	var head bytes.Buffer
	u32(&head, 0x00010000, 0x00010000, 0, 0x5F0F3CF5) // version, revision, checkSumAdjustment (patched), magic
	u16(&head, 0x000B, 1000)                          // flags, unitsPerEm
	u32(&head, 0, 0, 0, 0)                            // created, modified (longdatetime)
	u16(&head, 0, 0, glyphAdvance, 1000)              // xMin, yMin, xMax, yMax
	u16(&head, 0, 8, 2, 0, 0)                         // macStyle, lowestRecPPEM, direction, indexToLoc short, glyf format
	tables["head"] = head.Bytes()

	var hhea bytes.Buffer
	u32(&hhea, 0x00010000)
	u16(&hhea, 1000, 0, 0, glyphAdvance) // ascender, descender, lineGap, advanceWidthMax
	u16(&hhea, 0, 0, glyphAdvance, 1, 0, 0)
	u16(&hhea, 0, 0, 0, 0, 0, 2) // reserved ×4, metricDataFormat, numberOfHMetrics
	tables["hhea"] = hhea.Bytes()

	var maxp bytes.Buffer
	u32(&maxp, 0x00010000)
	u16(&maxp, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0) // numGlyphs, limits (maxZones 1)
	tables["maxp"] = maxp.Bytes()

	var hmtx bytes.Buffer
	u16(&hmtx, glyphAdvance, 0, glyphAdvance, 0)
	tables["hmtx"] = hmtx.Bytes()

	// Both glyphs are empty: equal loca offsets. glyf must still exist.
	tables["loca"] = []byte{0, 0, 0, 0, 0, 0}
	tables["glyf"] = []byte{0, 0, 0, 0}

	// cmap format 4 with the one segment every table ends with (0xFFFF).
	// Codes reach glyphs through the PDF's CIDToGIDMap, not through cmap.
	var cmap bytes.Buffer
	u16(&cmap, 0, 1)     // version, one subtable
	u16(&cmap, 3, 1)     // Windows, Unicode BMP
	u32(&cmap, 12)       // offset
	u16(&cmap, 4, 24, 0) // format, length, language
	u16(&cmap, 2, 2, 0, 0, 0xFFFF, 0, 0xFFFF, 1, 0)
	tables["cmap"] = cmap.Bytes()

	var name bytes.Buffer
	names := []struct {
		id uint16
		s  string
	}{{1, fontName}, {2, "Regular"}, {4, fontName}, {6, fontName}}
	u16(&name, 0, uint16(len(names)), uint16(6+12*len(names)))
	var strs bytes.Buffer
	for _, n := range names {
		enc := utf16be(n.s)
		u16(&name, 3, 1, 0x0409, n.id, uint16(len(enc)), uint16(strs.Len()))
		strs.Write(enc)
	}
	name.Write(strs.Bytes())
	tables["name"] = name.Bytes()

	var post bytes.Buffer
	u32(&post, 0x00030000, 0)
	u16(&post, 0, 0)
	u32(&post, 1, 0, 0, 0, 0) // fixed pitch
	tables["post"] = post.Bytes()

	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	var out bytes.Buffer
	entrySelector := 0
	for 1<<(entrySelector+1) <= n {
		entrySelector++
	}
	searchRange := (1 << entrySelector) * 16
	u32(&out, 0x00010000)
	u16(&out, uint16(n), uint16(searchRange), uint16(entrySelector), uint16(n*16-searchRange))
	offset := 12 + 16*n
	var body bytes.Buffer
	headOffset := 0
	for _, t := range tags {
		data := tables[t]
		out.WriteString(t)
		u32(&out, checksum(data), uint32(offset), uint32(len(data)))
		if t == "head" {
			headOffset = offset
		}
		body.Write(data)
		for body.Len()%4 != 0 {
			body.WriteByte(0)
		}
		offset = 12 + 16*n + body.Len()
	}
	out.Write(body.Bytes())
	font := out.Bytes()
	be.PutUint32(font[headOffset+8:], 0xB1B0AFBA-checksum(font))
	return font
}

func checksum(b []byte) uint32 {
	var s uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}

func utf16be(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}

// toUnicodeCMap maps every two-byte code to the same UTF-16 code unit.
// bfrange entries may only vary in their last byte, hence one per high
// byte; surrogate halves are left out (text is BMP-only, see encodeText).
func toUnicodeCMap() []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	var ranges []string
	for hi := 0; hi < 256; hi++ {
		if hi >= 0xD8 && hi <= 0xDF {
			continue
		}
		ranges = append(ranges, hex4(hi<<8)+" "+hex4(hi<<8|0xFF)+" "+hex4(hi<<8))
	}
	for len(ranges) > 0 {
		k := min(100, len(ranges)) // at most 100 entries per block
		b.WriteString(strconv.Itoa(k) + " beginbfrange\n")
		for _, r := range ranges[:k] {
			b.WriteString(r + "\n")
		}
		b.WriteString("endbfrange\n")
		ranges = ranges[k:]
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

func hex4(v int) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{'<', digits[v>>12&15], digits[v>>8&15], digits[v>>4&15], digits[v&15], '>'})
}

// cidToGIDMap sends every CID (= UTF-16 code unit) to glyph 1.
func cidToGIDMap() []byte {
	m := make([]byte, 2*65536)
	for i := 1; i < len(m); i += 2 {
		m[i] = 1
	}
	return m
}
