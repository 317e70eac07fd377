// Package tesseract is the OCR engine of the scanning pipeline: Tesseract
// through github.com/otiai10/gosseract (cgo), plus Tesseract's C API for
// orientation detection, which gosseract does not expose.
//
// The process must run with OMP_THREAD_LIMIT=1 in its environment from the
// start (scanning.EnsureEngineEnv): Debian's Tesseract is built with
// OpenMP and otherwise each page spawns a thread per core, which makes
// parallel workers 4–5 times slower. New refuses to start without it unless
// Options.AllowOpenMP is set.
package tesseract

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"os"
	"strconv"
	"strings"

	"github.com/otiai10/gosseract/v2"
	"golang.org/x/text/unicode/norm"

	"motcua/scanning"
)

// ErrOpenMPThreads: OMP_THREAD_LIMIT is not set in the environment.
var ErrOpenMPThreads = errors.New("environment lacks OMP_THREAD_LIMIT: call scanning.EnsureEngineEnv first in main")

// Options configure a Recognizer.
type Options struct {
	// Languages are Tesseract models, "vie" by default. Adding "eng" helps
	// pages with English words (addresses, brand names) and roughly doubles
	// the time per page.
	Languages []string
	// TessdataPrefix is the directory with the .traineddata files; the
	// library's default (Debian: /usr/share/tesseract-ocr/5/tessdata) when
	// empty.
	TessdataPrefix string
	// AllowOpenMP lets New run without OMP_THREAD_LIMIT (a single worker
	// that may use every core, say).
	AllowOpenMP bool
}

// Recognizer is one Tesseract instance; use one per goroutine.
type Recognizer struct {
	client *gosseract.Client
	opts   Options
	osd    *osd // lazily created; nil until the first orientation question
	noOSD  bool
}

// New starts an engine with the models loaded, so that a missing model
// fails here rather than on the first page.
func New(opts Options) (*Recognizer, error) {
	if _, ok := os.LookupEnv(scanning.OMPThreadLimitEnv); !ok && !opts.AllowOpenMP {
		return nil, ErrOpenMPThreads
	}
	if len(opts.Languages) == 0 {
		opts.Languages = []string{"vie"}
	}
	c := gosseract.NewClient()
	if opts.TessdataPrefix != "" {
		if err := c.SetTessdataPrefix(opts.TessdataPrefix); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := c.SetLanguage(opts.Languages...); err != nil {
		c.Close()
		return nil, err
	}
	r := &Recognizer{client: c, opts: opts}
	// gosseract initialises on first use: recognise a tiny white image now
	// so that a missing traineddata file is reported by New.
	blank := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range blank.Pix {
		blank.Pix[i] = 0xff
	}
	if _, err := r.Recognize(context.Background(), blank, 300); err != nil {
		r.Close()
		return nil, fmt.Errorf("tesseract %s: %w", strings.Join(opts.Languages, "+"), err)
	}
	return r, nil
}

// Recognize OCRs a gray page at dpi.
//
// Known cost: gosseract 2.4.1's C bridge does not free the word strings
// nor the result iterator it allocates per call; measured, the process
// grows by about 16 kB per A4 page once warm (≈ 160 MB per 10,000 pages).
// A long-running desk app should restart the pipeline's recognizers now and
// then (Pipeline.Close, a new Pipeline), or this adapter should move to
// Tesseract's C API, which it already uses for orientation.
func (r *Recognizer) Recognize(ctx context.Context, img *image.Gray, dpi float64) (scanning.OCR, error) {
	if err := ctx.Err(); err != nil {
		return scanning.OCR{}, err
	}
	// Tesseract scales its noise and line-size heuristics by resolution;
	// the image passed carries none, so it is given explicitly.
	if err := r.client.SetVariable("user_defined_dpi", strconv.Itoa(int(dpi+0.5))); err != nil {
		return scanning.OCR{}, err
	}
	if err := r.client.SetImageFromBytes(bmp(img)); err != nil {
		return scanning.OCR{}, err
	}
	boxes, err := r.client.GetBoundingBoxesVerbose()
	if err != nil {
		return scanning.OCR{}, err
	}
	return ocrFromBoxes(boxes, img.Rect.Min), nil
}

// bmp encodes img as an 8-bit gray BMP. Leptonica decodes BMP from memory
// by copying rows; a PGM of the same page takes it 0.35 s (it reads PNM
// through a stream, value by value) and a PNG costs compression both ways.
func bmp(img *image.Gray) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	stride := (w + 3) &^ 3
	const headers = 14 + 40 + 256*4
	b := make([]byte, headers+stride*h)
	le := binary.LittleEndian
	copy(b, "BM")
	le.PutUint32(b[2:], uint32(len(b)))
	le.PutUint32(b[10:], headers)
	le.PutUint32(b[14:], 40)
	le.PutUint32(b[18:], uint32(w))
	le.PutUint32(b[22:], uint32(h)) // positive: rows bottom-up
	le.PutUint16(b[26:], 1)         // planes
	le.PutUint16(b[28:], 8)         // bits per pixel
	le.PutUint32(b[34:], uint32(stride*h))
	le.PutUint32(b[46:], 256) // colours used
	for i := 0; i < 256; i++ {
		p := b[54+4*i:]
		p[0], p[1], p[2] = byte(i), byte(i), byte(i)
	}
	for y := 0; y < h; y++ {
		off := img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y)
		copy(b[headers+(h-1-y)*stride:], img.Pix[off:off+w])
	}
	return b
}

type lineKey struct{ block, par, line int }

// ocrFromBoxes builds the page result from Tesseract's word iterator:
// words in reading order, numbered lines, text with a line break per line
// and a blank line between blocks, NFC throughout.
func ocrFromBoxes(boxes []gosseract.BoundingBox, origin image.Point) scanning.OCR {
	var out scanning.OCR
	var text strings.Builder
	var prev lineKey
	line := 0
	var conf float64
	for _, b := range boxes {
		word := norm.NFC.String(strings.TrimSpace(b.Word))
		if word == "" {
			continue
		}
		k := lineKey{b.BlockNum, b.ParNum, b.LineNum}
		if line == 0 || k != prev {
			if line > 0 {
				text.WriteByte('\n')
				if k.block != prev.block {
					text.WriteByte('\n')
				}
			}
			line++
			prev = k
		} else {
			text.WriteByte(' ')
		}
		text.WriteString(word)
		out.Words = append(out.Words, scanning.Word{
			Text:       word,
			Box:        b.Box.Add(origin),
			Confidence: b.Confidence,
			Line:       line,
		})
		conf += b.Confidence
	}
	out.Text = text.String()
	if len(out.Words) > 0 {
		out.Confidence = conf / float64(len(out.Words))
	}
	return out
}

// DetectOrientation asks Tesseract's orientation and script detection
// (the "osd" model) how the page is turned. Without the model it answers
// 0 with confidence 0, so the pipeline leaves the page as it is.
func (r *Recognizer) DetectOrientation(ctx context.Context, img *image.Gray, dpi float64) (int, float64, error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	if r.noOSD {
		return 0, 0, nil
	}
	if r.osd == nil {
		o, err := newOSD(r.opts.TessdataPrefix)
		if err != nil {
			r.noOSD = true
			return 0, 0, nil
		}
		r.osd = o
	}
	return r.osd.detect(img, dpi)
}

// Close frees the engine.
func (r *Recognizer) Close() error {
	if r.osd != nil {
		r.osd.close()
		r.osd = nil
	}
	return r.client.Close()
}
