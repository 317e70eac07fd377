// Package searchpdf writes searchable PDFs: each page is a scanned image with
// an invisible text layer (text render mode 3) placed word by word on the OCR
// boxes, so that viewers select and search the words where they are printed
// and pdftotext gives the text back exactly (NFC in, NFC out).
//
// The writer streams: each page's objects are written when the page is
// added, so a 2,000-page document never has to be in memory.
//
// Why not fpdf (used for the forms) or Tesseract's own PDF renderer: fpdf
// builds the whole file in memory, writes an empty file ID and no output
// intent, and embeds a real font per document; Tesseract's renderer does
// its own OCR on its own image and would have to be fed files, and leaves
// no room for the colour/gray/bilevel choice or PDF/A metadata. Writing the
// few object kinds needed here directly is less code than working around
// either.
//
// PDF/A: files are shaped for PDF/A-2b (ISO 19005-2, level B) — PDF 1.7
// header with a binary comment, XMP metadata with pdfaid part 2 /
// conformance B equal to the document information dictionary, an sRGB ICC
// output intent (generated, icc.go), every font embedded (the glyphless
// font of font.go, widths consistent, no reference to .notdef), images
// without interpolation, no transparency, no encryption, a file ID. What is
// missing: the output has not been run through a validator (veraPDF is not
// available offline here; do it before claiming conformance), there is no
// logical structure (level A), and the original file is not attached
// (PDF/A-3 would allow it; the original is kept beside the PDF instead).
package searchpdf

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"image"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ErrNoPages: a PDF needs at least one page.
var ErrNoPages = errors.New("searchable pdf without pages")

// Options are the document metadata, written both to the information
// dictionary and to the XMP packet (PDF/A wants them equal).
type Options struct {
	Title, Author, Subject, Keywords string
	Creator                          string // the application
	Producer                         string // this library, by default
	Lang                             string // BCP 47, "vi" by default
	Created                          time.Time
}

// Word is one unit of the text layer: a word from OCR, or a line of text
// from a PDF's own text layer.
type Word struct {
	Text string
	// Box in pixels of the page image, origin top-left.
	Box image.Rectangle
	// Line groups words that share a baseline; words of one line must be
	// consecutive. Extractors then keep them on one line, in order.
	Line int
}

// Page is one page: its image (a JPEG or PNG file, embedded as is), the
// image resolution that gives the page size, and the words.
type Page struct {
	Image []byte
	DPI   float64
	Words []Word
}

// Writer writes one PDF. Methods are not safe for concurrent use.
type Writer struct {
	out     *bufio.Writer
	sum     hash.Hash
	n       int64
	offsets []int64 // by object number; 0 = not yet written
	kids    []int
	pages   int // object number of the page tree
	font    int
	info    int
	err     error
	closed  bool
	created time.Time
}

// NewWriter starts a PDF on w and writes its document-level objects.
func NewWriter(w io.Writer, opts Options) (*Writer, error) {
	if opts.Producer == "" {
		opts.Producer = "motcua scanning/searchpdf"
	}
	if opts.Lang == "" {
		opts.Lang = "vi"
	}
	if opts.Created.IsZero() {
		opts.Created = time.Now()
	}
	pw := &Writer{out: bufio.NewWriterSize(w, 64<<10), sum: sha256.New(), offsets: []int64{0}, created: opts.Created}
	// The second line's bytes above 127 mark the file as binary for
	// transfer programs (and PDF/A requires them).
	pw.printf("%%PDF-1.7\n%%\xe2\xe3\xcf\xd3\n")

	catalog := pw.alloc()
	pw.pages = pw.alloc()
	meta := pw.alloc()
	intent := pw.alloc()
	icc := pw.alloc()
	pw.info = pw.alloc()

	pw.object(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R /Metadata %d 0 R /OutputIntents [%d 0 R] /Lang %s >>",
		pw.pages, meta, intent, pdfString(opts.Lang)))
	// PDF/A-1 forbids filters on the metadata stream and some validators
	// apply that to PDF/A-2 too: it stays plain.
	pw.stream(meta, "/Type /Metadata /Subtype /XML", xmp(opts), false)
	pw.object(intent, fmt.Sprintf("<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1) /Info (sRGB IEC61966-2.1) /DestOutputProfile %d 0 R >>", icc))
	pw.stream(icc, "/N 3", srgbProfile(), true)
	pw.object(pw.info, infoDict(opts))
	pw.writeFont()
	return pw, pw.err
}

func (w *Writer) writeFont() {
	w.font = w.alloc()
	cid, desc, file, toUni, cidMap := w.alloc(), w.alloc(), w.alloc(), w.alloc(), w.alloc()
	w.object(w.font, fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>",
		fontName, cid, toUni))
	w.object(cid, fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW %d /CIDToGIDMap %d 0 R >>",
		fontName, desc, glyphAdvance, cidMap))
	w.object(desc, fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags 5 /FontBBox [0 0 %d 1000] /ItalicAngle 0 /Ascent 1000 /Descent 0 /CapHeight 1000 /StemV 80 /FontFile2 %d 0 R >>",
		fontName, glyphAdvance, file))
	font := glyphlessFont()
	w.stream(file, fmt.Sprintf("/Length1 %d", len(font)), font, true)
	w.stream(toUni, "", toUnicodeCMap(), true)
	w.stream(cidMap, "", cidToGIDMap(), true)
}

// AddPage writes one page. Its image and words are not retained.
func (w *Writer) AddPage(p Page) error {
	if w.closed {
		return errors.New("searchpdf: add page after close")
	}
	if w.err != nil {
		return w.err
	}
	if !(p.DPI > 0) {
		return fmt.Errorf("searchpdf: page %d: resolution %v", len(w.kids)+1, p.DPI)
	}
	img, err := parseImage(p.Image)
	if err != nil {
		return fmt.Errorf("searchpdf: page %d: %w", len(w.kids)+1, err)
	}
	scale := 72 / p.DPI
	pw, ph := float64(img.width)*scale, float64(img.height)*scale

	page, content, xobj := w.alloc(), w.alloc(), w.alloc()
	var dict strings.Builder
	fmt.Fprintf(&dict, "/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent %d /Filter %s",
		img.width, img.height, img.colorSpace, img.bpc, img.filter)
	if img.decodeParms != "" {
		dict.WriteString(" /DecodeParms " + img.decodeParms)
	}
	if img.decode != "" {
		dict.WriteString(" /Decode " + img.decode)
	}
	w.stream(xobj, dict.String(), img.data, false)

	var cs bytes.Buffer
	fmt.Fprintf(&cs, "q %s 0 0 %s 0 0 cm /Im0 Do Q\n", num(pw), num(ph))
	textLayer(&cs, p.Words, scale, ph)
	w.stream(content, "", cs.Bytes(), true)

	w.object(page, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources << /XObject << /Im0 %d 0 R >> /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>",
		w.pages, num(pw), num(ph), xobj, w.font, content))
	w.kids = append(w.kids, page)
	return w.err
}

// textLayer writes the invisible words. Each line gets one font size (its
// height) and one baseline (its bottom), so extractors see lines; each word
// is moved to its box and stretched with Tz so that its glyphs — followed by
// a space when another word follows on the line — span exactly from its
// left edge to the next word's. Viewers then highlight the printed word
// when it is found or selected.
func textLayer(cs *bytes.Buffer, words []Word, scale, pageH float64) {
	if len(words) == 0 {
		return
	}
	cs.WriteString("BT 3 Tr\n")
	for i := 0; i < len(words); {
		j := i + 1
		for j < len(words) && words[j].Line == words[i].Line {
			j++
		}
		line := words[i:j]
		i = j
		top, bottom := line[0].Box.Min.Y, line[0].Box.Max.Y
		for _, wd := range line {
			top, bottom = min(top, wd.Box.Min.Y), max(bottom, wd.Box.Max.Y)
		}
		size := float64(bottom-top) * scale
		if size < 1 {
			continue
		}
		base := pageH - float64(bottom)*scale
		fmt.Fprintf(cs, "/F1 %s Tf\n", num(size))
		for k, wd := range line {
			text := norm.NFC.String(strings.TrimSpace(wd.Text))
			if text == "" {
				continue
			}
			span := wd.Box.Dx()
			if k+1 < len(line) && line[k+1].Box.Min.X > wd.Box.Min.X {
				text += " "
				span = line[k+1].Box.Min.X - wd.Box.Min.X
			}
			natural := float64(utf8.RuneCountInString(text)) * size * glyphAdvance / 1000
			tz := 100 * float64(span) * scale / natural
			if !(tz > 0) {
				continue
			}
			fmt.Fprintf(cs, "%s Tz 1 0 0 1 %s %s Tm <%s> Tj\n",
				num(tz), num(float64(wd.Box.Min.X)*scale), num(base), encodeText(text))
		}
	}
	cs.WriteString("ET\n")
}

// encodeText gives the UTF-16BE code units as hex: the CIDs of the glyphless
// font, mapped back to themselves by the ToUnicode CMap. Characters outside
// the Basic Multilingual Plane (none in Vietnamese) become U+FFFD.
func encodeText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > 0xFFFF || (r >= 0xD800 && r <= 0xDFFF) || r == 0 {
			r = 0xFFFD
		}
		fmt.Fprintf(&b, "%04X", r)
	}
	return b.String()
}

// Close writes the page tree, the cross-reference table and the trailer.
// It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	if len(w.kids) == 0 {
		return ErrNoPages
	}
	var kids strings.Builder
	for i, k := range w.kids {
		if i > 0 {
			kids.WriteByte(' ')
		}
		fmt.Fprintf(&kids, "%d 0 R", k)
	}
	w.object(w.pages, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids.String(), len(w.kids)))
	if w.err != nil {
		return w.err
	}
	for n, off := range w.offsets[1:] {
		if off == 0 {
			return fmt.Errorf("searchpdf: object %d allocated but not written", n+1)
		}
	}
	// The file identifier is a digest of everything written, so it changes
	// whenever the content does, as the PDF specification intends.
	id := hex.EncodeToString(w.sum.Sum(nil)[:16])
	xref := w.n
	w.printf("xref\n0 %d\n0000000000 65535 f\r\n", len(w.offsets))
	for _, off := range w.offsets[1:] {
		w.printf("%010d 00000 n\r\n", off)
	}
	w.printf("trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n",
		len(w.offsets), w.info, id, id, xref)
	if w.err == nil {
		w.err = w.out.Flush()
	}
	return w.err
}

// Pages is the number of pages added so far.
func (w *Writer) Pages() int { return len(w.kids) }

func (w *Writer) alloc() int {
	w.offsets = append(w.offsets, 0)
	return len(w.offsets) - 1
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	_, w.err = w.out.Write(b)
	w.sum.Write(b)
	w.n += int64(len(b))
}

func (w *Writer) printf(format string, args ...any) {
	w.write(fmt.Appendf(nil, format, args...))
}

func (w *Writer) object(n int, body string) {
	w.offsets[n] = w.n
	w.printf("%d 0 obj\n%s\nendobj\n", n, body)
}

func (w *Writer) stream(n int, dict string, data []byte, compress bool) {
	if compress {
		var z bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
		zw.Write(data)
		zw.Close()
		data = z.Bytes()
		dict = strings.TrimSpace(dict + " /Filter /FlateDecode")
	}
	w.offsets[n] = w.n
	w.printf("%d 0 obj\n<< %s /Length %d >>\nstream\n", n, dict, len(data))
	w.write(data)
	w.printf("\nendstream\nendobj\n")
}

// num formats a coordinate with two decimals, without "-0".
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

// pdfString writes s as a text string: ASCII literal when possible, else
// UTF-16BE with a byte-order mark.
func pdfString(s string) string {
	ascii := true
	for _, r := range s {
		if r > 126 || r < 32 {
			ascii = false
			break
		}
	}
	if ascii {
		r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
		return "(" + r.Replace(s) + ")"
	}
	return "<FEFF" + encodeText(s) + ">"
}

func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("(D:%s%c%02d'%02d')", t.Format("20060102150405"), sign, off/3600, off%3600/60)
}

func infoDict(o Options) string {
	var b strings.Builder
	b.WriteString("<<")
	for _, kv := range [][2]string{{"Title", o.Title}, {"Author", o.Author}, {"Subject", o.Subject}, {"Keywords", o.Keywords}, {"Creator", o.Creator}, {"Producer", o.Producer}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, " /%s %s", kv[0], pdfString(norm.NFC.String(kv[1])))
		}
	}
	fmt.Fprintf(&b, " /CreationDate %s /ModDate %s >>", pdfDate(o.Created), pdfDate(o.Created))
	return b.String()
}
