package scanning

import (
	"context"
	"image"
)

// Rasterizer opens documents (PDF) for rendering. The cgo adapter is
// scanning/fitz. Open is called once per worker, so a Document need not be
// safe for concurrent use: each worker renders from its own.
type Rasterizer interface {
	// Open fails with an error wrapping ErrEncrypted for a document that
	// needs a password and ErrCorrupt for one that cannot be read.
	Open(path string) (Document, error)
}

// Document is an open document. Page indexes are 0-based here; everything
// the pipeline reports (Page.Number, PageError, Progress) is 1-based.
type Document interface {
	NumPages() int
	// PageSize is the page's size in points (1/72 inch), so that the
	// pixel limit can be checked before rendering.
	PageSize(index int) (width, height float64, err error)
	// Render draws the page at dpi.
	Render(index int, dpi float64) (image.Image, error)
	// Text returns the page's own text layer, one TextLine per line, in
	// reading order; none for a scanned page.
	Text(index int) ([]TextLine, error)
	Close() error
}

// TextLine is a line of a PDF's own text with its position in points,
// origin top-left. Width may be 0 when the adapter does not know it.
type TextLine struct {
	Text                string
	X, Y, Width, Height float64
}

// Recognizer is an OCR engine instance (scanning/tesseract). One instance is
// used by one worker at a time; the pipeline keeps one per worker.
type Recognizer interface {
	Recognize(ctx context.Context, img *image.Gray, dpi float64) (OCR, error)
}

// OrientationDetector is implemented by recognizers that can tell a page
// turned by a quarter or half turn (Tesseract with the "osd" model).
type OrientationDetector interface {
	// DetectOrientation returns by how many degrees counter-clockwise (0,
	// 90, 180 or 270) the page must be turned to be upright, and the
	// engine's confidence in that answer.
	DetectOrientation(ctx context.Context, img *image.Gray, dpi float64) (rotate int, confidence float64, err error)
}

// OCR is the recognised text of one page image.
type OCR struct {
	Words []Word
	// Text is the page text: words of a line separated by spaces, lines by
	// "\n", blocks by a blank line. NFC.
	Text string
	// Confidence is the mean word confidence, 0–100 (0 without words).
	Confidence float64
}

// Word is a recognised word, or for a PDF text layer a whole line.
type Word struct {
	Text string
	// Box in pixels of the page image, origin top-left.
	Box        image.Rectangle
	Confidence float64 // 0–100
	// Line numbers the lines of the page from 1, in reading order.
	Line int
}
