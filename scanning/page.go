package scanning

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// page runs every stage on page n.
func (p *Pipeline) page(ctx context.Context, src pageSource, getRec func() (Recognizer, error), n int, report func(int, Stage)) (*Page, error) {
	started := time.Now()
	pg := &Page{Number: n, Stages: map[Stage]float64{}}
	stage := StageRender
	mark := time.Now()
	next := func(st Stage) {
		now := time.Now()
		pg.Stages[stage] += now.Sub(mark).Seconds()
		stage, mark = st, now
		report(n, st)
	}
	fail := func(err error) (*Page, error) {
		return nil, &PageError{Page: n, Stage: stage, Err: err}
	}
	report(n, StageRender)
	img, dpi, lines, err := src.load(n)
	if err != nil {
		return fail(err)
	}
	pg.DPI = dpi

	next(StageClean)
	colour := false
	if _, gray := img.(*image.Gray); !gray {
		pg.ColourArea = ChromaticArea(img, dpi)
		colour = pg.ColourArea >= ColourAreaMin
	}
	g := asGray(img)
	if !colour {
		img = nil // the gray image is all that is needed from here on
	}
	thumb := thumbnail(g, dpi)
	pg.Blank, pg.Ink = blankOf(thumb)
	textLayer := !pg.Blank && countLetters(lines) >= p.opts.MinTextRunes
	// A born-digital page is straight by construction, and turning it
	// would move its text layer off the words.
	if !pg.Blank && !textLayer {
		if skew := skewOf(thumb); math.Abs(skew) >= SkewMin {
			pg.Skew = skew
			g = Rotate(g, -skew).(*image.Gray)
			if colour {
				img = Rotate(img, -skew)
			}
		}
	}

	switch {
	case pg.Blank:
	case textLayer:
		pg.TextSource, pg.Confidence = TextPDF, 100
		pg.Words, pg.Text = textLayerWords(lines, dpi)
	default:
		next(StageOCR)
		rec, err := getRec()
		if err != nil {
			return fail(err)
		}
		crop := ocrBounds(thumb, pg.Ink.Paper, g.Rect.Dx(), g.Rect.Dy(), dpi, pg.Skew)
		up, err := p.recognize(ctx, rec, g, crop, thumb, dpi, n)
		if err != nil {
			return fail(err)
		}
		ocr := up.ocr
		if up.rotate != 0 {
			p.log.Info("page turned upright", "page", n, "rotate", up.rotate, "confidence", math.Round(ocr.Confidence))
			g, pg.Rotation = up.gray, up.rotate
			pg.Skew += up.skew
			if colour {
				img = RotateQuarter(img, up.rotate/90)
				if up.skew != 0 {
					img = Rotate(img, -up.skew)
				}
			}
		}
		ocr, pg.Dropped = dropNoise(ocr, dpi)
		pg.TextSource, pg.Words, pg.Text, pg.Confidence = TextOCR, ocr.Words, ocr.Text, ocr.Confidence
	}

	if !pg.Blank {
		next(StageBarcode)
		pg.QR = DecodeQR(g, dpi)
		if b, ok := Binding(pg.QR); ok {
			pg.Binding = &b
		}
	}

	next(StageEncode)
	switch {
	case colour:
		pg.Mode, pg.Image = ModeColour, img
	case p.opts.Compact:
		pg.Mode, pg.Image = ModeBilevel, g
	default:
		pg.Mode, pg.Image = ModeGray, g
	}
	if pg.Encoded, pg.Format, err = encodePage(pg.Image, pg.Mode, p.opts.JPEGQuality); err != nil {
		return fail(err)
	}
	sum := sha256.Sum256(pg.Encoded)
	pg.SHA256 = hex.EncodeToString(sum[:])
	next(StageAssemble)
	pg.Elapsed = time.Since(started)
	return pg, nil
}

// upright is the OCR of a page after any quarter turn it needed.
type upright struct {
	ocr    OCR
	gray   *image.Gray // the turned page, when rotate != 0
	rotate int         // degrees counter-clockwise
	skew   float64     // skew corrected after turning
}

// recognize OCRs a page, turning it upright first when its lines are
// vertical, or afterwards when the text came out with low confidence and
// the engine tells how the page is turned. The turned result is kept only if
// it reads better: a photo or a drawing must not be turned on a guess.
//
// An upright page is read within crop (see ocrBounds); word boxes stay in
// page coordinates. A turned page is read whole.
func (p *Pipeline) recognize(ctx context.Context, rec Recognizer, g *image.Gray, crop image.Rectangle, thumb *image.Gray, dpi float64, n int) (upright, error) {
	od, canDetect := rec.(OrientationDetector)
	turn := func() (upright, bool, error) {
		rot, conf, err := od.DetectOrientation(ctx, g, dpi)
		if err != nil || rot%360 == 0 || conf < p.opts.OrientationMin {
			return upright{}, false, err
		}
		g2 := RotateQuarter(g, rot/90).(*image.Gray)
		skew := EstimateSkew(g2, dpi)
		if math.Abs(skew) >= SkewMin {
			g2 = Rotate(g2, -skew).(*image.Gray)
		} else {
			skew = 0
		}
		ocr, err := rec.Recognize(ctx, g2, dpi)
		if err != nil {
			return upright{}, false, err
		}
		p.log.Debug("orientation detected", "page", n, "rotate", rot, "osd_confidence", conf, "ocr_confidence", ocr.Confidence)
		return upright{ocr: ocr, gray: g2, rotate: rot, skew: skew}, true, nil
	}
	var turned *upright
	asked := false
	if canDetect && sidewaysOf(thumb) {
		up, ok, err := turn()
		if err != nil {
			return upright{}, err
		}
		asked = true
		if ok && up.ocr.Confidence >= p.opts.OrientationBelow {
			return up, nil
		}
		if ok {
			turned = &up
		}
	}
	ocr, err := rec.Recognize(ctx, g.SubImage(crop).(*image.Gray), dpi)
	if err != nil {
		return upright{}, err
	}
	if !canDetect || ocr.Confidence >= p.opts.OrientationBelow {
		return upright{ocr: ocr}, nil
	}
	if !asked {
		up, ok, err := turn()
		if err != nil {
			return upright{}, err
		}
		if ok {
			turned = &up
		}
	}
	if turned != nil && turned.ocr.Confidence > ocr.Confidence {
		return *turned, nil
	}
	return upright{ocr: ocr}, nil
}

// Noise filter. Dust, specks and JPEG ringing in the margins come back from
// Tesseract as "words" like ":", "_..", "ˆ" — or, on heavier noise, as
// plausible syllables ("đi", "Xu", "chán") far out beyond the end of a line.
// On pages with dust and JPEG q40 they made most of an 8 % character error
// rate while the printed text itself was read almost perfectly. They are
// recognisable: a box too small to hold any glyph at the page's resolution;
// symbols only, at low confidence; a confidence of zero; or low confidence
// together with isolation — no neighbour on its line within twice its
// height, where words of a sentence sit a space apart. On the test pages no
// real word fell under these rules (clean words score 80–97); the price is
// that a faint, isolated word (a lone date at the far right of a line, say)
// scoring under 50 is dropped too.
const (
	minGlyphMM         = 0.6 // a 6-pt period is about 0.7 mm high
	symbolConfidence   = 50
	isolatedConfidence = 50
	isolation          = 2.0 // × word height
	minWordConfidence  = 1
)

// dropNoise removes noise words and rebuilds text and mean confidence.
func dropNoise(o OCR, dpi float64) (OCR, int) {
	minPx := int(minGlyphMM / 25.4 * dpi)
	isolated := func(i int) bool {
		w := o.Words[i]
		reach := int(isolation * float64(w.Box.Dy()))
		if i > 0 && o.Words[i-1].Line == w.Line && w.Box.Min.X-o.Words[i-1].Box.Max.X < reach {
			return false
		}
		if i+1 < len(o.Words) && o.Words[i+1].Line == w.Line && o.Words[i+1].Box.Min.X-w.Box.Max.X < reach {
			return false
		}
		return true
	}
	kept := o.Words[:0:0]
	for i, w := range o.Words {
		tiny := w.Box.Dx() < minPx && w.Box.Dy() < minPx
		symbols := !strings.ContainsFunc(w.Text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) })
		if tiny || w.Confidence < minWordConfidence ||
			(symbols && w.Confidence < symbolConfidence) ||
			(w.Confidence < isolatedConfidence && isolated(i)) {
			continue
		}
		kept = append(kept, w)
	}
	dropped := len(o.Words) - len(kept)
	if dropped == 0 {
		return o, 0
	}
	out := OCR{Words: kept}
	var text strings.Builder
	var conf float64
	for i, w := range kept {
		if i > 0 {
			if w.Line != kept[i-1].Line {
				text.WriteByte('\n')
			} else {
				text.WriteByte(' ')
			}
		}
		text.WriteString(w.Text)
		conf += w.Confidence
	}
	out.Text = text.String()
	if len(kept) > 0 {
		out.Confidence = conf / float64(len(kept))
	}
	return out, dropped
}

func countLetters(lines []TextLine) int {
	n := 0
	for _, l := range lines {
		for _, r := range l.Text {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				n++
			}
		}
	}
	return n
}

// textLayerWords turns a PDF's own lines into words of the page image: one
// word per line, placed on the line's box. Lines without a width get one
// from the usual half-em average advance.
func textLayerWords(lines []TextLine, dpi float64) ([]Word, string) {
	k := dpi / 72
	words := make([]Word, 0, len(lines))
	var text strings.Builder
	for i, l := range lines {
		s := strings.TrimSpace(l.Text)
		if s == "" {
			continue
		}
		w := l.Width
		if w <= 0 {
			w = float64(utf8.RuneCountInString(s)) * l.Height * 0.5
		}
		box := image.Rect(int(l.X*k), int(l.Y*k), int((l.X+w)*k+0.5), int((l.Y+l.Height)*k+0.5))
		words = append(words, Word{Text: s, Box: box, Confidence: 100, Line: i + 1})
		if text.Len() > 0 {
			text.WriteByte('\n')
		}
		text.WriteString(s)
	}
	return words, text.String()
}
