package e2e

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"motcua/internal/scantest"
	"motcua/scanning"
	"motcua/scanning/fitz"
	"motcua/scanning/tesseract"
)

// TestMain restarts the binary with the engine environment
// (OMP_THREAD_LIMIT=1 …), as the application does, so that tests and
// benchmarks see the real speed and memory.
func TestMain(m *testing.M) {
	if err := scanning.EnsureEngineEnv(); err != nil {
		fmt.Fprintln(os.Stderr, "cannot set the engine environment:", err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

func newPipeline(t testing.TB, opts scanning.Options) *scanning.Pipeline {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	p := scanning.New(fitz.New(), func() (scanning.Recognizer, error) {
		return tesseract.New(tesseract.Options{})
	}, opts)
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

type testWriter struct{ t testing.TB }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func pdfFile(t testing.TB, name string, pages []scantest.PDFPage) string {
	t.Helper()
	var b bytes.Buffer
	if err := scantest.WritePDF(&b, pages); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, name, b.Bytes())
}

// renderPDF rasterizes every page of a generated PDF with MuPDF, as a
// scanner would produce the images.
func renderPDF(t testing.TB, pages []scantest.PDFPage, dpi float64) []image.Image {
	t.Helper()
	doc, err := fitz.New().Open(pdfFile(t, "src.pdf", pages))
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	out := make([]image.Image, doc.NumPages())
	for i := range out {
		if out[i], err = doc.Render(i, dpi); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func tiffFile(t testing.TB, name string, pages []*image.Gray, dpi int) string {
	t.Helper()
	var b bytes.Buffer
	if err := scantest.WriteTIFF(&b, pages, dpi); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, name, b.Bytes())
}

// pdftotext extracts the text of page n (0 = all) with poppler.
func pdftotext(t testing.TB, path string, n int) string {
	t.Helper()
	args := []string{path, "-"}
	if n > 0 {
		args = append([]string{"-f", fmt.Sprint(n), "-l", fmt.Sprint(n)}, args...)
	}
	out, err := exec.Command("pdftotext", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return string(out)
}

func pdfPages(t testing.TB, path string) int {
	t.Helper()
	out, err := exec.Command("pdfinfo", path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	var n int
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "Pages:"); ok {
			fmt.Sscan(v, &n)
		}
	}
	return n
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
