package scanning

import (
	"context"
	"fmt"
	"image"
	"io"
	"log/slog"
	"math"
	"runtime"
	"sync"
	"time"

	"motcua/app/forms"
	"motcua/scanning/searchpdf"
)

// Options tune a Pipeline. Zero values mean the documented defaults.
type Options struct {
	// DPI to render PDF pages at; 300 by default, the archival resolution
	// of the digitisation guidance (200 is allowed for short-term papers).
	// Raster files are used at their own resolution.
	DPI float64
	// Workers is the number of pages processed at once, each with its own
	// Recognizer; runtime.NumCPU() by default. Tesseract must run with
	// OMP_THREAD_LIMIT=1 (see EnsureEngineEnv) or the workers fight
	// over cores.
	Workers int
	Limits  Limits
	// MinTextRunes: a PDF page whose own text layer has at least this many
	// letters or digits is born-digital; it is not OCR'd and its own text is
	// used. 32 by default.
	MinTextRunes int
	// KeepBlank keeps blank pages in the searchable PDF. By default they are
	// left out of it and listed in Result.Blank (never dropped silently).
	KeepBlank bool
	// Compact stores plain (non-colour) pages as 1-bit PNG instead of gray
	// JPEG: a typed A4 page at 200 dpi takes 19 kB instead of 183 kB, at the
	// cost of faint strokes and shades.
	Compact bool
	// JPEGQuality for colour and gray pages; 80 by default.
	JPEGQuality int
	// OrientationBelow: when a page's OCR confidence is below this, the
	// recognizer (if it is an OrientationDetector) is asked whether the page
	// is turned; 60 by default. Upright pages never pay for the check.
	OrientationBelow float64
	// OrientationMin is the detector confidence needed to turn a page; 3
	// by default.
	OrientationMin float64
	// PDF holds metadata for the searchable PDF; Title defaults to the
	// file name.
	PDF searchpdf.Options
	// OnProgress, if set, is called for every page and stage. Calls are
	// serialised; it should return quickly.
	OnProgress func(Progress)
	Logger     *slog.Logger
}

// Progress reports one step on one page.
type Progress struct {
	Page  int // 1-based page number in the document
	Stage Stage
	Done  int // pages finished so far in this run
	Total int // pages in this run
}

// Input is one document to process.
type Input struct {
	Path string
	// Name is the name the user or the scanner gave the file; the base
	// name of Path when empty. It is sanitized and checked against the
	// detected type.
	Name string
	// First and Last bound the pages to process (1-based, inclusive);
	// 0 means the first and the last page of the document.
	First, Last int
}

// TextSource says where a page's text comes from.
type TextSource string

const (
	TextNone TextSource = ""    // blank page
	TextOCR  TextSource = "ocr" // recognised from the image
	TextPDF  TextSource = "pdf" // the PDF's own text layer
)

// Page is the result for one page. Pages are delivered in order.
type Page struct {
	Number int // 1-based in the document
	DPI    float64
	// Image is the cleaned, upright page: *image.RGBA for colour pages,
	// *image.Gray otherwise. Encoded is what is stored: a JPEG, or a 1-bit
	// PNG in Compact mode. SHA256 is the hex digest of Encoded, its
	// content address; identical pages give identical digests.
	Image   image.Image
	Mode    Mode
	Encoded []byte
	Format  Format
	SHA256  string

	Blank      bool
	Ink        BlankStats
	ColourArea float64 // mm² of chromatic ink (seal, signature, photo)
	Skew       float64 // degrees (counter-clockwise) that were corrected
	Rotation   int     // degrees counter-clockwise the page was turned (0, 90, 180, 270)

	TextSource TextSource
	Words      []Word
	Text       string
	Confidence float64 // mean word confidence (100 for a PDF text layer)
	Dropped    int     // OCR "words" dropped as noise (see dropNoise)

	QR      []string          // every QR code on the page
	Binding *forms.QRPayload  // the dossier payload among them, if any
	InPDF   bool              // written to the searchable PDF
	Elapsed time.Duration     // time spent on the page by its worker
	Stages  map[Stage]float64 // seconds per stage, for benchmarks and logs
}

// PageBinding is a page carrying a dossier QR code (a receipt or cover
// sheet): it binds the pages that follow to that dossier.
type PageBinding struct {
	Page    int
	Payload forms.QRPayload
}

// Result summarises a processed document.
type Result struct {
	File        FileInfo
	Pages       int // in the document
	First, Last int // the processed range
	Blank       []int
	Bindings    []PageBinding
	PDFPages    int
	OCRPages    int
	TextPages   int     // pages whose own text layer was used
	Confidence  float64 // mean over OCR'd pages
	Elapsed     time.Duration
}

// Pipeline turns documents into cleaned page images, text and a searchable
// PDF. It keeps one Recognizer per worker across documents; Close releases
// them. A Pipeline may process several documents at once; they share the
// recognizers.
type Pipeline struct {
	raster Rasterizer
	opts   Options
	log    *slog.Logger
	pool   *recognizerPool
}

// New returns a Pipeline. raster may be nil if only raster files are
// processed; newRecognizer is called lazily, at most Workers times.
func New(raster Rasterizer, newRecognizer func() (Recognizer, error), opts Options) *Pipeline {
	if opts.DPI <= 0 {
		opts.DPI = 300
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	opts.Limits = opts.Limits.withDefaults()
	if opts.MinTextRunes <= 0 {
		opts.MinTextRunes = 32
	}
	if opts.JPEGQuality <= 0 {
		opts.JPEGQuality = 80
	}
	if opts.OrientationBelow == 0 {
		opts.OrientationBelow = 60
	}
	if opts.OrientationMin == 0 {
		opts.OrientationMin = 3
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Pipeline{raster: raster, opts: opts, log: log, pool: newRecognizerPool(newRecognizer, opts.Workers)}
}

// Close releases the recognizers. Call it after every Process has returned.
func (p *Pipeline) Close() error { return p.pool.close() }

// Process runs the document through the pipeline. Pages are processed by
// the workers in parallel and delivered in order: each is written to the
// searchable PDF on out (when out is not nil) and then passed to onPage
// (when not nil), which may keep it or store it and let it go — only a few
// pages are in memory at once whatever the length of the document.
//
// A failing page stops the document: the error is a *PageError naming the
// page and the stage. out then holds a partial PDF; write to a temporary
// file and rename it on success. The input file is only read.
func (p *Pipeline) Process(ctx context.Context, in Input, out io.Writer, onPage func(*Page) error) (*Result, error) {
	start := time.Now()
	info, err := Inspect(in.Path, in.Name, p.opts.Limits)
	if err != nil {
		return nil, err
	}
	log := p.log.With("file", info.Name, "sha256", info.SHA256)
	res := &Result{File: info}

	openSource, pages, closeSource, err := p.openDocument(in.Path, info)
	if err != nil {
		return nil, err
	}
	defer closeSource()
	res.Pages = pages
	if res.Pages == 0 {
		return nil, fmt.Errorf("%q: %w: no pages", info.Name, ErrCorrupt)
	}
	res.First, res.Last = max(in.First, 1), in.Last
	if res.Last == 0 {
		res.Last = res.Pages
	}
	if res.First > res.Last || res.Last > res.Pages {
		return nil, fmt.Errorf("%w: pages %d–%d of %d", ErrPageRange, res.First, res.Last, res.Pages)
	}
	total := res.Last - res.First + 1

	var pdf *searchpdf.Writer
	if out != nil {
		o := p.opts.PDF
		if o.Title == "" {
			o.Title = info.Name
		}
		if pdf, err = searchpdf.NewWriter(out, o); err != nil {
			return nil, err
		}
	}
	log.Info("digitizing", "kind", info.Kind, "pages", res.Pages, "first", res.First, "last", res.Last, "workers", p.opts.Workers)

	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var progMu sync.Mutex
	done := 0
	report := func(n int, st Stage) {
		if p.opts.OnProgress == nil {
			return
		}
		progMu.Lock()
		defer progMu.Unlock()
		if st == StageDone {
			done++
		}
		p.opts.OnProgress(Progress{Page: n, Stage: st, Done: done, Total: total})
	}

	workers := min(p.opts.Workers, total)
	// The window bounds the pages between dispatch and delivery: a slow
	// page 1 cannot make finished pages 2…2000 pile up in memory.
	window := make(chan struct{}, 2*workers)
	jobs := make(chan int)
	results := make(chan pageResult, workers)
	go func() {
		defer close(jobs)
		for n := res.First; n <= res.Last; n++ {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- n:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { p.work(ctx, openSource, jobs, results, report) })
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	pending := map[int]*Page{}
	next := res.First
	var firstErr error
	var confSum float64
	var heldBlank *Page // first blank page, in case every page is blank
	byCaller := false   // onPage stopped the run (a queue giving way, say)
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
			cancel(err)
		}
	}
	emit := func(pg *Page) error {
		if pg.Blank {
			res.Blank = append(res.Blank, pg.Number)
			log.Info("blank page", "page", pg.Number, "ink_blocks", pg.Ink.InkBlocks, "kept", p.opts.KeepBlank)
		}
		if pdf != nil && (!pg.Blank || p.opts.KeepBlank) {
			if err := addPDFPage(pdf, pg); err != nil {
				return &PageError{Page: pg.Number, Stage: StageAssemble, Err: err}
			}
			pg.InPDF = true
		} else if pdf != nil && heldBlank == nil && pdf.Pages() == 0 {
			heldBlank = pg
		}
		switch pg.TextSource {
		case TextOCR:
			res.OCRPages++
			confSum += pg.Confidence
		case TextPDF:
			res.TextPages++
		}
		if pg.Binding != nil {
			res.Bindings = append(res.Bindings, PageBinding{Page: pg.Number, Payload: *pg.Binding})
			log.Info("dossier code on page", "page", pg.Number, "dossier", pg.Binding.DossierCode)
		}
		if onPage != nil {
			if err := onPage(pg); err != nil {
				byCaller = true
				return fmt.Errorf("page %d: %w", pg.Number, err)
			}
		}
		report(pg.Number, StageDone)
		return nil
	}
	for r := range results {
		if r.err != nil {
			fail(r.err)
			continue
		}
		if firstErr != nil {
			continue
		}
		pending[r.page.Number] = r.page
		for {
			pg, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-window
			if err := emit(pg); err != nil {
				fail(err)
				break
			}
		}
	}
	// A cancelled caller gets its own error back, not the page that
	// happened to notice first.
	if err := parent.Err(); err != nil {
		firstErr = context.Cause(parent)
	}
	if firstErr != nil {
		// A caller that stopped the run (or cancelled it) decided to and
		// logs why; only the pipeline's own failures are warnings.
		if byCaller || parent.Err() != nil {
			log.Info("digitizing stopped", "err", firstErr)
		} else {
			log.Warn("digitizing failed", "err", firstErr)
		}
		return res, firstErr
	}
	if pdf != nil {
		// A PDF needs a page: a document of blank pages keeps its first.
		if pdf.Pages() == 0 && heldBlank != nil {
			if err := addPDFPage(pdf, heldBlank); err != nil {
				return res, &PageError{Page: heldBlank.Number, Stage: StageAssemble, Err: err}
			}
			heldBlank.InPDF = true
		}
		if err := pdf.Close(); err != nil {
			return res, fmt.Errorf("searchable pdf: %w", err)
		}
		res.PDFPages = pdf.Pages()
	}
	if res.OCRPages > 0 {
		res.Confidence = confSum / float64(res.OCRPages)
	}
	res.Elapsed = time.Since(start)
	log.Info("digitized", "pages", total, "pdf_pages", res.PDFPages, "blank", len(res.Blank),
		"ocr_pages", res.OCRPages, "text_pages", res.TextPages, "confidence", math.Round(res.Confidence*10)/10,
		"bindings", len(res.Bindings), "elapsed", res.Elapsed.Round(time.Millisecond))
	return res, nil
}

func addPDFPage(w *searchpdf.Writer, pg *Page) error {
	words := make([]searchpdf.Word, len(pg.Words))
	for i, wd := range pg.Words {
		words[i] = searchpdf.Word{Text: wd.Text, Box: wd.Box, Line: wd.Line}
	}
	return w.AddPage(searchpdf.Page{Image: pg.Encoded, DPI: pg.DPI, Words: words})
}

type pageResult struct {
	page *Page
	err  error
}

// work is one worker: its own page source and, once a page needs OCR, its
// own recognizer from the pool, both released when the jobs run out.
func (p *Pipeline) work(ctx context.Context, open func() (pageSource, error), jobs <-chan int, results chan<- pageResult, report func(int, Stage)) {
	var src pageSource
	var rec Recognizer
	defer func() {
		if src != nil {
			src.Close()
		}
		if rec != nil {
			p.pool.put(rec)
		}
	}()
	getRec := func() (Recognizer, error) {
		if rec == nil {
			r, err := p.pool.get(ctx)
			if err != nil {
				return nil, err
			}
			rec = r
		}
		return rec, nil
	}
	for n := range jobs {
		if ctx.Err() != nil {
			return
		}
		if src == nil {
			s, err := open()
			if err != nil {
				results <- pageResult{err: &PageError{Page: n, Stage: StageOpen, Err: err}}
				return
			}
			src = s
		}
		pg, err := p.page(ctx, src, getRec, n, report)
		results <- pageResult{page: pg, err: err}
		if err != nil {
			return
		}
	}
}

// Count returns how many pages the document has, after the same intake
// checks as Process (type, limits, page count). A job queue calls it to
// show "page k of n" before the first page is done.
func (p *Pipeline) Count(in Input) (int, error) {
	info, err := Inspect(in.Path, in.Name, p.opts.Limits)
	if err != nil {
		return 0, err
	}
	_, pages, closeSource, err := p.openDocument(in.Path, info)
	if err != nil {
		return 0, err
	}
	closeSource()
	if pages == 0 {
		return 0, fmt.Errorf("%q: %w: no pages", info.Name, ErrCorrupt)
	}
	return pages, nil
}
