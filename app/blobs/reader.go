package blobs

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"filippo.io/age"
)

// Reader reads one blob's plaintext. Every chunk is authenticated as it is
// read: a damaged file gives ErrCorrupt, never wrong bytes. It implements
// io.ReadSeekCloser (for http.ServeContent) and io.ReaderAt.
type Reader struct {
	f    *os.File
	ra   io.ReaderAt
	size int64
	off  int64
	// buf holds the plaintext chunk at bufOff, so that small reads (8 KiB
	// from io.Discard, 32 KiB from io.Copy) decrypt each chunk once.
	buf    []byte
	bufOff int64
}

// Size is the blob's plaintext size.
func (r *Reader) Size() int64 { return r.size }

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	if r.off < r.bufOff || r.off >= r.bufOff+int64(len(r.buf)) {
		start := r.off - r.off%chunkSize
		if r.buf == nil {
			r.buf = make([]byte, chunkSize)
		}
		n, err := r.ra.ReadAt(r.buf[:min(chunkSize, r.size-start)], start)
		r.buf, r.bufOff = r.buf[:n], start
		if n == 0 {
			return 0, err
		}
	}
	n := copy(p, r.buf[r.off-r.bufOff:])
	r.off += int64(n)
	return n, nil
}

// Seek implements io.Seeker.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	case io.SeekStart:
	default:
		return 0, errors.New("blobs: seek: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("blobs: seek: negative position")
	}
	r.off = offset
	return offset, nil
}

// ReadAt implements io.ReaderAt; it may be called concurrently with itself.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("blobs: read at a negative offset")
	}
	if off >= r.size {
		return 0, io.EOF
	}
	short := int64(len(p)) > r.size-off
	if short {
		p = p[:r.size-off]
	}
	n, err := r.ra.ReadAt(p, off)
	if err == nil && short {
		err = io.EOF
	}
	return n, err
}

// Close closes the blob file.
func (r *Reader) Close() error { return r.f.Close() }

// Open opens the blob with digest sha for reading.
func (s *Store) Open(sha string) (*Reader, error) {
	if err := checkSHA(sha); err != nil {
		return nil, err
	}
	f, err := os.Open(s.path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blobs: open %s: %w", sha, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blobs: open: %w", err)
	}
	b, err := s.decrypt(f)
	if err == nil && b.sha != sha {
		err = fmt.Errorf("%w: file holds blob %s", ErrCorrupt, b.sha)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blobs: open %s: %w", sha, err)
	}
	return &Reader{f: f, ra: b.content, size: b.size}, nil
}

// Verify decrypts the whole blob and checks that it hashes to sha.
func (s *Store) Verify(sha string) error {
	r, err := s.Open(sha)
	if err != nil {
		return err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return fmt.Errorf("blobs: verify %s: %w", sha, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha || n != r.Size() {
		return fmt.Errorf("blobs: verify %s: %w: content hashes to %s", sha, ErrCorrupt, got)
	}
	return nil
}

// opened is a decrypted view of a blob file.
type opened struct {
	sha     string
	size    int64
	content io.ReaderAt
}

// decrypt authenticates f's header and final chunk (which holds the
// trailer) and returns the blob it claims to hold.
func (s *Store) decrypt(f *os.File) (opened, error) {
	st, err := f.Stat()
	if err != nil {
		return opened{}, err
	}
	ra, ptSize, err := age.DecryptReaderAt(f, st.Size(), s.id)
	if err != nil {
		return opened{}, corrupt(err)
	}
	if ptSize < int64(trailerLen) {
		return opened{}, fmt.Errorf("%w: no trailer", ErrCorrupt)
	}
	t := make([]byte, trailerLen)
	if n, err := ra.ReadAt(t, ptSize-int64(trailerLen)); n != trailerLen {
		return opened{}, corrupt(err)
	}
	size := ptSize - int64(trailerLen)
	if !bytes.HasPrefix(t, []byte(trailerMagic)) || binary.BigEndian.Uint64(t[trailerLen-8:]) != uint64(size) {
		return opened{}, fmt.Errorf("%w: bad trailer", ErrCorrupt)
	}
	sum := t[len(trailerMagic) : len(trailerMagic)+sha256.Size]
	return opened{sha: hex.EncodeToString(sum), size: size, content: authReaderAt{ra}}, nil
}

// authReaderAt reports failed authentication of a chunk as ErrCorrupt.
type authReaderAt struct{ ra io.ReaderAt }

func (a authReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := a.ra.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = corrupt(err)
	}
	return n, err
}

// corrupt maps an age error to ErrCorrupt unless the disk failed to read:
// a short file is damage, an I/O error is not.
func corrupt(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}
