package scanning

import (
	"errors"
	"testing"
)

func TestDetectKind(t *testing.T) {
	tests := []struct {
		name string
		head string
		want Kind
		err  error
	}{
		{"pdf", "%PDF-1.7\n%\xe2\xe3", KindPDF, nil},
		{"pdf after junk", "\xef\xbb\xbf\r\n%PDF-1.4\n", KindPDF, nil},
		{"jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF", KindJPEG, nil},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", KindPNG, nil},
		{"tiff little endian", "II*\x00\x08\x00\x00\x00", KindTIFF, nil},
		{"tiff big endian", "MM\x00*\x00\x00\x00\x08", KindTIFF, nil},
		{"empty", "", "", ErrEmptyFile},
		{"zip", "PK\x03\x04", "", ErrUnsupportedType},
		{"html", "<!doctype html><title>%PDF</title>", "", ErrUnsupportedType},
		{"bigtiff", "II+\x00\x08\x00\x00\x00", "", ErrUnsupportedType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DetectKind([]byte(tt.head))
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("DetectKind = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestCheckExtension(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		ok   bool
	}{
		{"hoso.pdf", KindPDF, true},
		{"HOSO.PDF", KindPDF, true},
		{"scan0001", KindTIFF, true},
		{"anh.jpeg", KindJPEG, true},
		{"anh.JPG", KindJPEG, true},
		{"trang.tif", KindTIFF, true},
		{"hoso.pdf", KindJPEG, false},
		{"anh.png", KindJPEG, false},
		{"tailieu.exe", KindPDF, false},
		{"tailieu.pdf.exe", KindPDF, false},
	}
	for _, tt := range tests {
		err := CheckExtension(tt.name, tt.kind)
		if tt.ok && err != nil {
			t.Errorf("%s as %s: %v", tt.name, tt.kind, err)
		}
		if !tt.ok {
			var me *ExtensionMismatchError
			if !errors.As(err, &me) || !errors.Is(err, ErrExtensionMismatch) || me.Detected != tt.kind {
				t.Errorf("%s as %s: got %v, want *ExtensionMismatchError", tt.name, tt.kind, err)
			}
		}
	}
}
