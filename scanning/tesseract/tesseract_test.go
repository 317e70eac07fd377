package tesseract

import (
	"context"
	"errors"
	"image"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"motcua/internal/scantest"
	"motcua/scanning"
)

func newRecognizer(t *testing.T) *Recognizer {
	t.Helper()
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestRecognizeVietnamese(t *testing.T) {
	r := newRecognizer(t)
	lines := scantest.Page(0, 12)
	const dpi = 200
	g, err := scantest.RenderGray(lines, dpi)
	if err != nil {
		t.Fatal(err)
	}
	ocr, err := r.Recognize(context.Background(), g, dpi)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join(lines, "\n")
	cer := scantest.CER(want, ocr.Text)
	t.Logf("CER %.4f, %d words, confidence %.1f", cer, len(ocr.Words), ocr.Confidence)
	if cer > 0.01 {
		t.Errorf("CER %.4f > 1%% on a clean page:\n%s", cer, ocr.Text)
	}
	if !norm.NFC.IsNormalString(ocr.Text) {
		t.Error("text is not NFC")
	}
	if ocr.Confidence < 85 {
		t.Errorf("mean confidence %.1f on a clean page", ocr.Confidence)
	}
	if got := len(strings.Split(ocr.Text, "\n")); got != len(lines) {
		t.Errorf("%d text lines, want %d", got, len(lines))
	}
	// Words carry boxes on the page, line numbers in reading order, and
	// the first word of line k sits on printed line k.
	prevLine := 0
	for _, w := range ocr.Words {
		if !w.Box.In(g.Rect) || w.Box.Empty() || w.Line < prevLine || w.Confidence <= 0 {
			t.Fatalf("bad word %+v", w)
		}
		if w.Line != prevLine {
			baseline := int((scantest.MarginMM + scantest.LinePitchMM*float64(w.Line)) / 25.4 * dpi)
			if w.Box.Max.Y < baseline-5 || w.Box.Max.Y > baseline+12 {
				t.Errorf("line %d starts with %q whose box ends at y=%d; baseline is at %d", w.Line, w.Text, w.Box.Max.Y, baseline)
			}
		}
		prevLine = w.Line
	}
}

func TestOrientation(t *testing.T) {
	r := newRecognizer(t)
	const dpi = 150
	g, err := scantest.RenderGray(scantest.Page(1, 16), dpi)
	if err != nil {
		t.Fatal(err)
	}
	// A page turned q quarter turns counter-clockwise must be turned back
	// by the rest of the full turn.
	for q := range 4 {
		turned := scanning.RotateQuarter(g, q).(*image.Gray)
		rot, conf, err := r.DetectOrientation(context.Background(), turned, dpi)
		if err != nil {
			t.Fatal(err)
		}
		if want := (4 - q) % 4 * 90; rot != want || conf < 5 {
			t.Errorf("page turned %d° ccw: rotate %d (confidence %.1f), want %d", 90*q, rot, conf, want)
		}
	}
}

func TestNewChecks(t *testing.T) {
	if _, err := New(Options{Languages: []string{"khong-co"}}); err == nil {
		t.Error("New with a missing model succeeded")
	}
	v, _ := os.LookupEnv(scanning.OMPThreadLimitEnv)
	os.Unsetenv(scanning.OMPThreadLimitEnv)
	defer os.Setenv(scanning.OMPThreadLimitEnv, v)
	if _, err := New(Options{}); !errors.Is(err, ErrOpenMPThreads) {
		t.Errorf("New without OMP_THREAD_LIMIT: %v", err)
	}
	r, err := New(Options{AllowOpenMP: true})
	if err != nil {
		t.Fatalf("New with AllowOpenMP: %v", err)
	}
	r.Close()
}

func TestCancelled(t *testing.T) {
	r := newRecognizer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Recognize(ctx, image.NewGray(image.Rect(0, 0, 10, 10)), 300); !errors.Is(err, context.Canceled) {
		t.Errorf("Recognize after cancel: %v", err)
	}
}
