package scanning

import (
	"fmt"
	"image"
	"math"
)

// pageSource gives page n (1-based) of a document to one worker.
type pageSource interface {
	load(n int) (img image.Image, dpi float64, text []TextLine, err error)
	Close() error
}

// openDocument counts the pages and returns how each worker opens its
// source. Every worker gets its own: a PDF document handle is not safe for
// concurrent rendering, and opening one costs little next to a page.
func (p *Pipeline) openDocument(path string, info FileInfo) (open func() (pageSource, error), pages int, closeAll func(), err error) {
	if info.Kind.IsImage() {
		img, err := openImageSource(path, info)
		if err != nil {
			return nil, 0, nil, err
		}
		shared := &imagePageSource{src: img}
		return func() (pageSource, error) { return shared, nil }, info.Pages, func() { img.Close() }, nil
	}
	if p.raster == nil {
		return nil, 0, nil, ErrNoRasterizer
	}
	doc, err := p.raster.Open(path)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("%q: %w", info.Name, err)
	}
	pages = doc.NumPages()
	doc.Close()
	if pages > p.opts.Limits.MaxPages {
		return nil, 0, nil, &TooManyPagesError{Pages: pages, Limit: p.opts.Limits.MaxPages}
	}
	open = func() (pageSource, error) {
		d, err := p.raster.Open(path)
		if err != nil {
			return nil, err
		}
		return &docPageSource{doc: d, dpi: p.opts.DPI, lim: p.opts.Limits}, nil
	}
	return open, pages, func() {}, nil
}

// docPageSource renders pages of a Document.
type docPageSource struct {
	doc Document
	dpi float64
	lim Limits
}

func (s *docPageSource) load(n int) (image.Image, float64, []TextLine, error) {
	w, h, err := s.doc.PageSize(n - 1)
	if err != nil {
		return nil, 0, nil, err
	}
	// A large sheet (an A0 plot plan in a land dossier) is rendered at a
	// lower resolution rather than refused; only a page that exceeds the
	// limit even at 72 dpi is an error.
	dpi := s.dpi
	if px := w * h * dpi * dpi / (72 * 72); px > float64(s.lim.MaxPixels) {
		dpi = math.Floor(dpi * math.Sqrt(float64(s.lim.MaxPixels)/px))
		if dpi < 72 {
			return nil, 0, nil, &TooLargeError{Page: n, Width: int64(w * s.dpi / 72), Height: int64(h * s.dpi / 72),
				Pixels: int64(px), Limit: s.lim.MaxPixels}
		}
	}
	img, err := s.doc.Render(n-1, dpi)
	if err != nil {
		return nil, 0, nil, err
	}
	lines, err := s.doc.Text(n - 1)
	if err != nil {
		return nil, 0, nil, err
	}
	return img, dpi, lines, nil
}

func (s *docPageSource) Close() error { return s.doc.Close() }

// imagePageSource is shared by all workers of a raster file.
type imagePageSource struct{ src *imageSource }

func (s *imagePageSource) load(n int) (image.Image, float64, []TextLine, error) {
	img, dpi, err := s.src.page(n)
	return img, dpi, nil, err
}

// Close is a no-op: the file is closed by Process when all workers are done.
func (s *imagePageSource) Close() error { return nil }
