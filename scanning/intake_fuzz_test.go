package scanning

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"os"
	"path/filepath"
	"testing"

	"motcua/internal/scantest"
)

// FuzzInspect feeds intake every kind of file header and name: a file
// from a scanner or a USB stick is outside input. Intake must never panic
// nor allocate by what a header claims, and what it accepts must be
// consistent with the bytes.
func FuzzInspect(f *testing.F) {
	var png, jpg, tif, pdf bytes.Buffer
	scantest.EncodePNG(&png, scantest.Gray(40, 30, 200))
	scantest.WriteJPEG(&jpg, 40, 30)
	scantest.WriteTIFF(&tif, []*image.Gray{scantest.Gray(40, 30, 255), scantest.Gray(20, 10, 0)}, 100)
	scantest.WriteImagePDF(&pdf, []image.Image{scantest.Gray(40, 30, 255)}, 100)
	for _, s := range []struct {
		name string
		data []byte
	}{
		{"a.png", png.Bytes()}, {"a.jpg", jpg.Bytes()}, {"a.tif", tif.Bytes()}, {"a.pdf", pdf.Bytes()},
		{"a.png", scantest.PNGHeader(30000, 30000)}, {"a.pdf", []byte("%PDF-1.7\n")}, {"../x.png", png.Bytes()},
		{"a.pdf", png.Bytes()}, {"a.tif", scantest.CorruptTIFFStrip(tif.Bytes(), 1)}, {"CON.png", png.Bytes()},
	} {
		f.Add(s.name, s.data)
	}
	dir := f.TempDir()
	lim := Limits{MaxPixels: 4_000_000, MaxPages: 50, MaxFileBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		p := filepath.Join(dir, "input")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		info, err := Inspect(p, name, lim)
		if err != nil {
			return
		}
		if info.Size != int64(len(data)) {
			t.Fatalf("size %d, file has %d bytes", info.Size, len(data))
		}
		sum := sha256.Sum256(data)
		if info.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatal("wrong digest")
		}
		if _, err := SanitizeName(info.Name); err != nil || info.Name == "" {
			t.Fatalf("accepted name %q is not clean: %v", info.Name, err)
		}
		if info.Kind.IsImage() && (info.Pages < 1 || info.Pages > lim.MaxPages || info.Width*info.Height > lim.MaxPixels) {
			t.Fatalf("accepted image beyond the limits: %+v", info)
		}
		if k, err := DetectKind(data[:min(len(data), SniffLen)]); err != nil || k != info.Kind {
			t.Fatalf("kind %s, bytes say %s (%v)", info.Kind, k, errors.Unwrap(err))
		}
	})
}
