package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"motcua/internal/scantest"
	"motcua/scanning"
	"motcua/scanning/fitz"
)

// cpuSeconds is the user and system time of this process, all threads.
func cpuSeconds() float64 {
	user, sys := cpuTimes()
	return user + sys
}

// cpuTimes returns the user and system CPU seconds of this process.
func cpuTimes() (user, sys float64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds()
}

// resetPeakRSS clears the kernel's peak resident set size of this process
// (Linux ≥ 4.0), so that the peak read after the run is the pipeline's, not
// the corpus generation's.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB reads VmHWM (Linux); 0 elsewhere.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkPipeline measures pages per minute of the whole pipeline (render,
// clean, deskew, OCR, QR, encode, searchable PDF) on a scanned document of
// typed Vietnamese pages, fed slightly crooked, with sensor noise.
//
// SCANBENCH_PAGES (default 8) and SCANBENCH_DPI (300) set the corpus,
// SCANBENCH_FORMAT=tiff makes it a multi-page TIFF instead of a PDF; with
// SCANBENCH_DIR the same pages are also written there as PNG files, so that
// bench/scanning/compare.sh can run the bare tesseract command on exactly
// the same pixels.
func BenchmarkPipeline(b *testing.B) {
	n := envInt("SCANBENCH_PAGES", 8)
	dpi := envInt("SCANBENCH_DPI", 300)
	format := os.Getenv("SCANBENCH_FORMAT")
	src := make([]scantest.PDFPage, n)
	for i := range src {
		src[i] = scantest.PDFPage{Lines: scantest.Page(i, 28)}
	}
	doc, err := fitz.New().Open(pdfFile(b, "src.pdf", src))
	if err != nil {
		b.Fatal(err)
	}
	// One page at a time, so that the corpus does not inflate the memory
	// the benchmark reports. The pages go into a scanner-style PDF (each
	// page one lossless gray image, rendered back by MuPDF) or, with
	// SCANBENCH_FORMAT=tiff, a multi-page TIFF (decoded in Go).
	var tw scantest.TIFFWriter
	var ip scantest.ImagePDF
	dir := os.Getenv("SCANBENCH_DIR")
	for i := range n {
		img, err := doc.Render(i, float64(dpi))
		if err != nil {
			b.Fatal(err)
		}
		g := scanning.Rotate(scanning.Gray(img), 1.5-0.4*float64(i%8)).(*image.Gray)
		g = scantest.Noise(g, 8, 100, uint64(i))
		var png bytes.Buffer
		if err := scantest.EncodePNG(&png, g); err != nil {
			b.Fatal(err)
		}
		if format == "tiff" {
			tw.Add(g, dpi)
		} else {
			ip.Add(png.Bytes(), "PNG", g.Rect.Dx(), g.Rect.Dy(), float64(dpi))
		}
		if dir != "" {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("page-%03d.png", i+1)), png.Bytes(), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	doc.Close()
	var path string
	if format == "tiff" {
		path = writeFile(b, "bench.tif", tw.Bytes())
	} else {
		var out bytes.Buffer
		if err := ip.Write(&out); err != nil {
			b.Fatal(err)
		}
		path = writeFile(b, "bench.pdf", out.Bytes())
	}
	runtime.GC()
	debug.FreeOSMemory()
	// The application's settings (app/cli): plain pages stored as 1-bit
	// PNG; SCANBENCH_JPEG=1 stores them as gray JPEG instead.
	p := newPipeline(b, scanning.Options{Compact: os.Getenv("SCANBENCH_JPEG") == "", Logger: discardLogger()})
	// Warm up: the recognizers are created once per worker and kept by the
	// pipeline, as in the application.
	if _, err := p.Process(context.Background(), scanning.Input{Path: path, Last: 2}, io.Discard, nil); err != nil {
		b.Fatal(err)
	}
	stages := map[scanning.Stage]float64{}
	var heapPeak uint64
	resetPeakRSS()
	cpu0 := cpuSeconds()
	_, sys0 := cpuTimes()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		_, err := p.Process(context.Background(), scanning.Input{Path: path}, io.Discard, func(pg *scanning.Page) error {
			for st, s := range pg.Stages {
				stages[st] += s
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			heapPeak = max(heapPeak, ms.HeapSys-ms.HeapReleased)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	cpu := cpuSeconds() - cpu0
	total := float64(n * b.N)
	b.ReportMetric(total/elapsed.Minutes(), "pages/min")
	// CPU time per page, all threads (OCR, Go, GC): unlike pages/min it
	// hardly moves when other programs load the machine.
	b.ReportMetric(cpu/total, "cpu-s/page")
	// The kernel's share: page faults on fresh memory, mostly.
	_, sys := cpuTimes()
	b.ReportMetric((sys-sys0)/total, "sys-s/page")
	b.ReportMetric(float64(heapPeak>>20), "go-heap-MB")
	if mb := peakRSSMB(); mb > 0 {
		b.ReportMetric(mb, "peak-RSS-MB")
	}
	for _, st := range []scanning.Stage{scanning.StageRender, scanning.StageClean, scanning.StageOCR, scanning.StageBarcode, scanning.StageEncode} {
		b.ReportMetric(stages[st]/total, string(st)+"-s/page")
	}
}
