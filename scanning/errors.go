package scanning

import (
	"errors"
	"fmt"
)

// Sentinel errors. The API edge maps them to Vietnamese messages; callers test
// them with errors.Is. Errors that carry details (which page, which limit) are
// typed and also match the sentinel of their class.
var (
	// ErrEmptyFile: the file has no bytes (an interrupted copy, a scanner that
	// crashed before writing).
	ErrEmptyFile = errors.New("empty file")
	// ErrUnsupportedType: the bytes are not PDF, JPEG, PNG or TIFF.
	ErrUnsupportedType = errors.New("unsupported file type")
	// ErrExtensionMismatch: the name promises one type and the bytes are another.
	ErrExtensionMismatch = errors.New("file extension does not match content")
	// ErrInvalidName: nothing usable is left of a file name after sanitizing.
	ErrInvalidName = errors.New("invalid file name")
	// ErrTooLarge: an image or page would exceed the pixel or size limit.
	ErrTooLarge = errors.New("too large")
	// ErrTooManyPages: the document has more pages than the limit allows.
	ErrTooManyPages = errors.New("too many pages")
	// ErrEncrypted: the document needs a password.
	ErrEncrypted = errors.New("document is encrypted")
	// ErrCorrupt: the file claims a type but cannot be read as one.
	ErrCorrupt = errors.New("corrupt document")
	// ErrPageRange: the requested pages are not in the document.
	ErrPageRange = errors.New("page out of range")
	// ErrNoRasterizer: a PDF was given to a pipeline built without one.
	ErrNoRasterizer = errors.New("no rasterizer for pdf")
	// ErrNoRecognizer: a page needs OCR and the pipeline has no engine.
	ErrNoRecognizer = errors.New("no ocr engine")
)

// ExtensionMismatchError names the extension and the detected type.
type ExtensionMismatchError struct {
	Name     string // sanitized file name
	Ext      string // extension as given, lower case, with the dot
	Detected Kind
}

func (e *ExtensionMismatchError) Error() string {
	return fmt.Sprintf("file %q: extension %s but content is %s", e.Name, e.Ext, e.Detected)
}

func (e *ExtensionMismatchError) Unwrap() error { return ErrExtensionMismatch }

// TooLargeError tells which page broke the pixel limit, and by how much.
type TooLargeError struct {
	Page          int // 1-based; 0 for a single image
	Width, Height int64
	Pixels, Limit int64
}

func (e *TooLargeError) Error() string {
	where := "image"
	if e.Page > 0 {
		where = fmt.Sprintf("page %d", e.Page)
	}
	return fmt.Sprintf("%s of %d×%d px (%d px) exceeds the limit of %d px", where, e.Width, e.Height, e.Pixels, e.Limit)
}

func (e *TooLargeError) Unwrap() error { return ErrTooLarge }

// FileTooLargeError: the file is bigger than Limits.MaxFileBytes.
type FileTooLargeError struct {
	Size, Limit int64
}

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("file of %d bytes exceeds the limit of %d bytes", e.Size, e.Limit)
}

func (e *FileTooLargeError) Unwrap() error { return ErrTooLarge }

// TooManyPagesError tells the page count and the limit.
type TooManyPagesError struct {
	Pages, Limit int
}

func (e *TooManyPagesError) Error() string {
	return fmt.Sprintf("document has %d pages, limit is %d", e.Pages, e.Limit)
}

func (e *TooManyPagesError) Unwrap() error { return ErrTooManyPages }

// Stage names a step of the pipeline, in progress reports and errors.
type Stage string

const (
	StageOpen     Stage = "open"
	StageRender   Stage = "render"
	StageClean    Stage = "clean"
	StageOCR      Stage = "ocr"
	StageBarcode  Stage = "barcode"
	StageEncode   Stage = "encode"
	StageAssemble Stage = "assemble"
	StageDone     Stage = "done"
)

// PageError names the page (1-based) and the stage where processing failed.
type PageError struct {
	Page  int
	Stage Stage
	Err   error
}

func (e *PageError) Error() string {
	return fmt.Sprintf("page %d: %s: %v", e.Page, e.Stage, e.Err)
}

func (e *PageError) Unwrap() error { return e.Err }
