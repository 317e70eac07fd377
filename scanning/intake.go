package scanning

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits bound what one document may cost. The zero value means the
// defaults of DefaultLimits.
type Limits struct {
	// MaxPixels per page image, checked from headers and page sizes before
	// anything is decoded or rendered: a 30,000 × 30,000 px PNG is 900 MP
	// and would need 3.6 GB as RGBA.
	MaxPixels int64
	// MaxPages per document. Pages are processed one by one, so the limit is
	// about the length of a job, not memory.
	MaxPages int
	// MaxFileBytes per input file.
	MaxFileBytes int64
}

// DefaultLimits: 100 MP is an A3 page at 600 dpi with room to spare; 10,000
// pages lets a bound civil-status register through; 4 GiB is more than any
// scanner writes for one document.
var DefaultLimits = Limits{MaxPixels: 100_000_000, MaxPages: 10_000, MaxFileBytes: 4 << 30}

func (l Limits) withDefaults() Limits {
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultLimits.MaxPixels
	}
	if l.MaxPages <= 0 {
		l.MaxPages = DefaultLimits.MaxPages
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultLimits.MaxFileBytes
	}
	return l
}

func (l Limits) checkPixels(page int, w, h int64) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: image without size", ErrCorrupt)
	}
	// Dimensions come from untrusted headers: compare before multiplying
	// could overflow (w, h < 2^32 each, so the product fits in int64).
	if px := w * h; px > l.MaxPixels {
		return &TooLargeError{Page: page, Width: w, Height: h, Pixels: px, Limit: l.MaxPixels}
	}
	return nil
}

// FileInfo is what intake learns about a file without decoding it.
type FileInfo struct {
	Name   string // sanitized, safe to show and to use as a base name
	Kind   Kind
	Size   int64
	SHA256 string // lower-case hex of the file bytes
	// Pages is known for images (1, or the directories of a TIFF); for a PDF
	// it is 0 until the Rasterizer opens it.
	Pages int
	// Width and Height of the first page of an image, in pixels.
	Width, Height int64

	tiff []tiffPage
}

// Inspect checks a file before it enters the pipeline: real type from the
// bytes, extension consistent with it, size and pixel limits from the
// headers, and the SHA-256 of its content (duplicates are recognised by it).
// name is the name the user or the scanner gave; when empty the base name of
// path is used. The file is only read.
func Inspect(path, name string, lim Limits) (FileInfo, error) {
	lim = lim.withDefaults()
	if name == "" {
		name = filepath.Base(path)
	}
	clean, err := SanitizeName(name)
	if err != nil {
		return FileInfo{}, err
	}
	info := FileInfo{Name: clean}

	f, err := os.Open(path)
	if err != nil {
		return info, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return info, err
	}
	info.Size = st.Size()
	if info.Size == 0 {
		return info, fmt.Errorf("%q: %w", clean, ErrEmptyFile)
	}
	if info.Size > lim.MaxFileBytes {
		return info, &FileTooLargeError{Size: info.Size, Limit: lim.MaxFileBytes}
	}
	head := make([]byte, SniffLen)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return info, err
	}
	if info.Kind, err = DetectKind(head[:n]); err != nil {
		return info, fmt.Errorf("%q: %w", clean, err)
	}
	if err := CheckExtension(clean, info.Kind); err != nil {
		return info, err
	}
	if err := inspectImage(f, &info, lim); err != nil {
		return info, fmt.Errorf("%q: %w", clean, err)
	}
	if info.SHA256, err = hashReader(io.NewSectionReader(f, 0, info.Size)); err != nil {
		return info, err
	}
	return info, nil
}

// inspectImage reads image headers only: the size is checked before a single
// pixel is allocated.
func inspectImage(f *os.File, info *FileInfo, lim Limits) error {
	var cfg image.Config
	var err error
	switch info.Kind {
	case KindJPEG:
		cfg, err = jpeg.DecodeConfig(io.NewSectionReader(f, 0, info.Size))
	case KindPNG:
		cfg, err = png.DecodeConfig(io.NewSectionReader(f, 0, info.Size))
	case KindTIFF:
		pages, err := tiffPages(f, info.Size, lim.MaxPages)
		if err != nil {
			return err
		}
		if len(pages) > lim.MaxPages {
			return &TooManyPagesError{Pages: len(pages), Limit: lim.MaxPages}
		}
		for i, p := range pages {
			if err := lim.checkPixels(i+1, p.width, p.height); err != nil {
				return err
			}
			if !tiffCompressions[p.compression] {
				return fmt.Errorf("%w: tiff page %d uses compression %d", ErrUnsupportedType, i+1, p.compression)
			}
		}
		info.tiff = pages
		info.Pages = len(pages)
		info.Width, info.Height = pages[0].width, pages[0].height
		return nil
	default:
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %s header: %v", ErrCorrupt, info.Kind, err)
	}
	info.Pages = 1
	info.Width, info.Height = int64(cfg.Width), int64(cfg.Height)
	return lim.checkPixels(0, info.Width, info.Height)
}

// HashFile returns the lower-case hex SHA-256 of a file's content.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return hashReader(f)
}

func hashReader(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// maxNameBytes keeps names well under the 255-byte limit of common file
// systems, leaving room for the prefixes a blob store or an export adds.
const maxNameBytes = 180

// SanitizeName turns a name from a dialog, a drag and drop, an e-mail or a
// scanner into a plain base name: only the part after the last / or \ is
// kept ("../../etc/passwd" and "C:\hoso\a.pdf" lose their directories),
// control and bidirectional-override characters are dropped (U+202E can make
// "anh‮fdp.exe" display as "anhexe.pdf"), characters Windows refuses become
// "_", reserved device names get a "_" prefix, the result is NFC and at most
// maxNameBytes long with its extension kept. A name with nothing left gives
// ErrInvalidName.
func SanitizeName(name string) (string, error) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = norm.NFC.String(strings.ToValidUTF8(name, ""))
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), r == '\uFEFF':
			continue
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	// Windows drops trailing dots and spaces, which would change the
	// extension the user sees; leading dots hide files on Unix.
	name = strings.Trim(strings.Join(strings.Fields(b.String()), " "), ". ")
	if name == "" {
		return "", fmt.Errorf("%w: nothing left of the name", ErrInvalidName)
	}
	base, ext := name, filepath.Ext(name)
	if len(ext) > 16 { // not an extension, just a dot in a long name
		ext = ""
	}
	base = strings.TrimSuffix(base, ext)
	if isReservedWindowsName(base) {
		base = "_" + base
	}
	if len(base)+len(ext) > maxNameBytes {
		base = truncateUTF8(base, maxNameBytes-len(ext))
	}
	return base + ext, nil
}

func isReservedWindowsName(base string) bool {
	stem, _, _ := strings.Cut(strings.ToUpper(base), ".")
	switch stem {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	if len(stem) == 4 && (strings.HasPrefix(stem, "COM") || strings.HasPrefix(stem, "LPT")) && stem[3] >= '1' && stem[3] <= '9' {
		return true
	}
	return false
}

func truncateUTF8(s string, n int) string {
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
