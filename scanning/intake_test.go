package scanning

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"motcua/internal/scantest"
)

func TestSanitizeName(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"hoso.pdf", "hoso.pdf", nil},
		{"../../etc/passwd", "passwd", nil},
		{`C:\Users\clerk\Desktop\Tờ khai.pdf`, "Tờ khai.pdf", nil},
		{"a/b\\c.pdf", "c.pdf", nil},
		{"giấy\x00tờ\x1f.pdf", "giấytờ.pdf", nil},
		{"anh\u202efdp.exe", "anhfdp.exe", nil}, // right-to-left override trick
		{"  .hidden.pdf.  ", "hidden.pdf", nil},
		{`đơn: "gấp"?.pdf`, "đơn_ _gấp__.pdf", nil},
		{"CON.pdf", "_CON.pdf", nil},
		{"lpt1", "_lpt1", nil},
		{"tab\tand\nnewline.pdf", "tab and newline.pdf", nil},
		{"Tâ\u0323p trung.pdf", "Tập trung.pdf", nil}, // NFD → NFC
		{"../", "", ErrInvalidName},
		{"\x01\x02", "", ErrInvalidName},
		{"", "", ErrInvalidName},
		{strings.Repeat("dài", 100) + ".pdf", strings.Repeat("dài", 44) + ".pdf", nil},
	}
	for _, tt := range tests {
		got, err := SanitizeName(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("SanitizeName(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
		if err == nil && len(got) > maxNameBytes {
			t.Errorf("SanitizeName(%q) is %d bytes", tt.in, len(got))
		}
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func tiffBytes(t *testing.T, pages []*image.Gray, dpi int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := scantest.WriteTIFF(&b, pages, dpi); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func grayPage(w, h int, v uint8) *image.Gray { return scantest.Gray(w, h, v) }

func TestInspect(t *testing.T) {
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, grayPage(64, 48, 200), nil); err != nil {
		t.Fatal(err)
	}
	threePages := tiffBytes(t, []*image.Gray{grayPage(40, 50, 255), grayPage(40, 50, 0), grayPage(60, 30, 128)}, 200)

	tests := []struct {
		name  string
		file  string
		data  []byte
		lim   Limits
		kind  Kind
		pages int
		err   error
	}{
		{name: "jpeg", file: "anh.jpg", data: jpg.Bytes(), kind: KindJPEG, pages: 1},
		{name: "multi-page tiff", file: "scan.tif", data: threePages, kind: KindTIFF, pages: 3},
		{name: "pdf", file: "hoso.pdf", data: []byte("%PDF-1.4\n1 0 obj\n"), kind: KindPDF},
		{name: "zero bytes", file: "trong.pdf", data: nil, err: ErrEmptyFile},
		{name: "30000 × 30000 png", file: "lon.png", data: scantest.PNGHeader(30000, 30000), err: ErrTooLarge},
		{name: "png at the limit", file: "vua.png", data: scantest.PNGHeader(10000, 10000), kind: KindPNG, pages: 1},
		{name: "misleading extension", file: "hoso.pdf", data: jpg.Bytes(), err: ErrExtensionMismatch},
		{name: "unknown content", file: "hoso.pdf", data: []byte("<html>"), err: ErrUnsupportedType},
		{name: "truncated jpeg", file: "anh.jpg", data: jpg.Bytes()[:30], err: ErrCorrupt},
		{name: "tiff over the page limit", file: "scan.tif", data: threePages, lim: Limits{MaxPages: 2}, err: ErrTooManyPages},
		{name: "tiff page over the pixel limit", file: "scan.tif", data: threePages, lim: Limits{MaxPixels: 1900}, err: ErrTooLarge},
		{name: "file over the size limit", file: "anh.jpg", data: jpg.Bytes(), lim: Limits{MaxFileBytes: 100}, err: ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "upload.bin", tt.data)
			info, err := Inspect(path, tt.file, tt.lim)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Inspect: %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			sum := sha256.Sum256(tt.data)
			if info.Kind != tt.kind || info.Pages != tt.pages || info.Name != tt.file ||
				info.Size != int64(len(tt.data)) || info.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("Inspect = %+v", info)
			}
		})
	}
}

func TestInspectTooLargeNamesThePage(t *testing.T) {
	data := tiffBytes(t, []*image.Gray{grayPage(40, 50, 255), grayPage(400, 500, 0)}, 300)
	_, err := Inspect(writeFile(t, "a.tif", data), "", Limits{MaxPixels: 10_000})
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Page != 2 || tl.Width != 400 || tl.Height != 500 || tl.Limit != 10_000 {
		t.Fatalf("got %v (%+v), want page 2 of 400×500 over 10000", err, tl)
	}
}

func TestInspectTIFFLoop(t *testing.T) {
	data := tiffBytes(t, []*image.Gray{grayPage(10, 10, 255), grayPage(10, 10, 0)}, 300)
	// Point the second directory's "next" back at the first one.
	first := binary.LittleEndian.Uint32(data[4:])
	pages, err := tiffPages(bytes.NewReader(data), int64(len(data)), 100)
	if err != nil || len(pages) != 2 {
		t.Fatalf("tiffPages: %v, %d pages", err, len(pages))
	}
	second := pages[1].offset
	n := int64(binary.LittleEndian.Uint16(data[second:]))
	binary.LittleEndian.PutUint32(data[second+2+12*n:], first)
	_, err = Inspect(writeFile(t, "loop.tif", data), "", Limits{})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("looping tiff: %v, want ErrCorrupt", err)
	}
}

func TestHashFile(t *testing.T) {
	data := []byte("Một Cửa Xã")
	got, err := HashFile(writeFile(t, "a.txt", data))
	sum := sha256.Sum256(data)
	if err != nil || got != hex.EncodeToString(sum[:]) {
		t.Fatalf("HashFile = %s, %v", got, err)
	}
}
