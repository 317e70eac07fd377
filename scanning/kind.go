package scanning

import (
	"bytes"
	"path/filepath"
	"strings"
)

// Kind is a file type the intake accepts, detected from the bytes.
type Kind string

const (
	KindPDF  Kind = "pdf"
	KindJPEG Kind = "jpeg"
	KindPNG  Kind = "png"
	KindTIFF Kind = "tiff"
)

// IsImage reports whether the kind is a raster image (decoded in Go) rather
// than a document (opened through the Rasterizer).
func (k Kind) IsImage() bool { return k == KindJPEG || k == KindPNG || k == KindTIFF }

// SniffLen is how many leading bytes DetectKind looks at.
const SniffLen = 1024

// DetectKind tells the file type from its first bytes (SniffLen are enough).
// The name is never trusted: a scanner profile or a user may have named a
// JPEG "scan.pdf".
func DetectKind(head []byte) (Kind, error) {
	switch {
	case len(head) == 0:
		return "", ErrEmptyFile
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return KindJPEG, nil
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return KindPNG, nil
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return KindTIFF, nil
	}
	// PDF readers accept junk before the header within the first kilobyte
	// (some scanner drivers prepend a byte-order mark or a mail header).
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	if bytes.Contains(head, []byte("%PDF-")) {
		return KindPDF, nil
	}
	return "", ErrUnsupportedType
}

var extKinds = map[string]Kind{
	".pdf":  KindPDF,
	".jpg":  KindJPEG,
	".jpeg": KindJPEG,
	".jpe":  KindJPEG,
	".jfif": KindJPEG,
	".png":  KindPNG,
	".tif":  KindTIFF,
	".tiff": KindTIFF,
}

// CheckExtension accepts a name without extension (scanner software often
// writes "scan0001") or one whose extension names the detected kind. Any
// other extension is misleading — "hoso.pdf" holding a JPEG, or "anh.exe"
// holding a PDF — and is refused so that what the clerk sees is what is kept.
func CheckExtension(name string, detected Kind) error {
	ext := strings.ToLower(filepath.Ext(name))
	if ext == "" || ext == "." {
		return nil
	}
	if extKinds[ext] == detected {
		return nil
	}
	return &ExtensionMismatchError{Name: name, Ext: ext, Detected: detected}
}
