// Package fitz renders PDF pages and reads their text layer with MuPDF
// through github.com/gen2brain/go-fitz (cgo, AGPL-3.0 like this program). It
// is the Rasterizer of the scanning pipeline; nothing else should import
// go-fitz.
//
// Limits of go-fitz 1.24 that callers should know: pages are rendered from
// their content streams only, so annotations (including the visible stamp
// of a digital signature, which is a widget annotation) are not drawn; and a
// document needing a user password cannot be opened (one protected only by
// an owner password opens normally).
package fitz

import (
	"errors"
	"fmt"
	"html"
	"image"
	"regexp"
	"strconv"
	"strings"
	"sync"

	gofitz "github.com/gen2brain/go-fitz"

	"motcua/scanning"
)

// Rasterizer opens documents with MuPDF.
type Rasterizer struct{}

// storeBytes caps MuPDF's cache of decoded fonts and images per open
// document. go-fitz defaults to 256 MB; the pipeline opens one document per
// worker and renders each page once, so a small cache loses nothing and
// keeps two workers well inside the memory budget of an office PC.
const storeBytes = 32 << 20

var setStore sync.Once

// New returns a Rasterizer.
func New() *Rasterizer {
	// go-fitz reads the size from a package variable when it opens a
	// document; set it once, before any document is open.
	setStore.Do(func() { gofitz.MaxStore = storeBytes })
	return &Rasterizer{}
}

// Open opens a document. Errors wrap scanning.ErrEncrypted or
// scanning.ErrCorrupt.
func (*Rasterizer) Open(path string) (scanning.Document, error) {
	d, err := gofitz.New(path)
	if err != nil {
		if d != nil {
			d.Close()
		}
		switch {
		case errors.Is(err, gofitz.ErrNeedsPassword):
			return nil, fmt.Errorf("%w: %v", scanning.ErrEncrypted, err)
		case errors.Is(err, gofitz.ErrNoSuchFile):
			return nil, fmt.Errorf("open %s: %w", path, err)
		default:
			return nil, fmt.Errorf("%w: %v", scanning.ErrCorrupt, err)
		}
	}
	n := d.NumPage()
	if n <= 0 {
		d.Close()
		return nil, fmt.Errorf("%w: no pages", scanning.ErrCorrupt)
	}
	return &Document{d: d, n: n}, nil
}

// Document is an open document; not safe for concurrent use (MuPDF
// contexts are not), which the pipeline respects by opening one per worker.
type Document struct {
	d *gofitz.Document
	n int
}

func (d *Document) NumPages() int { return d.n }

func (d *Document) check(i int) error {
	if i < 0 || i >= d.n {
		return fmt.Errorf("%w: page index %d of %d", scanning.ErrPageRange, i, d.n)
	}
	return nil
}

// PageSize returns the page size in points.
func (d *Document) PageSize(i int) (float64, float64, error) {
	if err := d.check(i); err != nil {
		return 0, 0, err
	}
	b, err := d.d.Bound(i)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: page %d: %v", scanning.ErrCorrupt, i+1, err)
	}
	return float64(b.Dx()), float64(b.Dy()), nil
}

// Render draws page i at dpi as RGBA.
func (d *Document) Render(i int, dpi float64) (image.Image, error) {
	if err := d.check(i); err != nil {
		return nil, err
	}
	img, err := d.d.ImageDPI(i, dpi)
	if err != nil {
		return nil, fmt.Errorf("%w: render page %d: %v", scanning.ErrCorrupt, i+1, err)
	}
	return img, nil
}

// Text returns the page's own text lines with their positions. The cheap
// plain-text pass comes first: a scanned page has no text and never pays for
// the positioned pass (which also serialises the page's images).
func (d *Document) Text(i int) ([]scanning.TextLine, error) {
	if err := d.check(i); err != nil {
		return nil, err
	}
	plain, err := d.d.Text(i)
	if err != nil {
		return nil, fmt.Errorf("%w: text of page %d: %v", scanning.ErrCorrupt, i+1, err)
	}
	if strings.TrimSpace(plain) == "" {
		return nil, nil
	}
	h, err := d.d.HTML(i, false)
	if err != nil {
		return nil, fmt.Errorf("%w: text of page %d: %v", scanning.ErrCorrupt, i+1, err)
	}
	return parseHTMLLines(h), nil
}

func (d *Document) Close() error { return d.d.Close() }

// MuPDF's HTML output has one <p> per line, positioned in points.
var (
	lineRE = regexp.MustCompile(`<p style="top:([-\d.]+)pt;left:([-\d.]+)pt;line-height:([\d.]+)pt">(.*?)</p>`)
	sizeRE = regexp.MustCompile(`font-size:([\d.]+)pt`)
	tagRE  = regexp.MustCompile(`<[^>]*>`)
)

func parseHTMLLines(h string) []scanning.TextLine {
	var lines []scanning.TextLine
	for _, m := range lineRE.FindAllStringSubmatch(h, -1) {
		text := strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(m[4], "")))
		if text == "" {
			continue
		}
		top, _ := strconv.ParseFloat(m[1], 64)
		left, _ := strconv.ParseFloat(m[2], 64)
		height, _ := strconv.ParseFloat(m[3], 64)
		// The largest font size on the line is closer to the ink height
		// than the line height, which includes leading.
		size := 0.0
		for _, s := range sizeRE.FindAllStringSubmatch(m[4], -1) {
			v, _ := strconv.ParseFloat(s[1], 64)
			size = max(size, v)
		}
		if size > 0 {
			height = size
		}
		lines = append(lines, scanning.TextLine{Text: text, X: left, Y: top, Height: height})
	}
	return lines
}
