// Package blobs keeps the desk's large files (scanned page images, imported
// originals, searchable PDFs) beside the Badger store, addressed by the
// SHA-256 of their plaintext and encrypted at rest:
//
//	DATA/blobs/ab/abcd…        one blob; the name is HMAC-SHA256(name key, digest)
//	DATA/blobs/put-*.tmp       a Put in progress (removed at Open after a crash)
//
// Each file is an age file (age-encryption.org/v1) to an X25519 identity
// derived from the store key. age was chosen over a hand-made layout because
// it is well reviewed, already used for backups, and since v1.3 decrypts at
// random offsets (DecryptReaderAt), so a Reader seeks for http.ServeContent
// without decrypting from the start. Its STREAM payload (64 KiB
// ChaCha20-Poly1305 chunks, counter nonces, last-chunk flag) and header MAC
// make a flipped bit, a truncation or reordered chunks fail authentication.
//
// The age plaintext is the content followed by a 48-byte trailer (magic,
// digest, size). The trailer lets Walk recover a blob's digest although
// names are keyed, and lets Open refuse a valid file that sits under
// another blob's name (two files swapped).
//
// The store does not count references: Badger holds them, and GC asks the
// caller which blobs are live.
package blobs

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
)

// Ref names a blob: the hex SHA-256 of its plaintext and its plaintext size.
type Ref struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

var (
	// ErrNotFound means no blob has that digest.
	ErrNotFound = errors.New("blob not found")
	// ErrCorrupt means a blob file failed authentication or does not hold
	// the blob its name promises.
	ErrCorrupt = errors.New("blob is corrupt")
	// ErrDiskFull means a write ran out of space; nothing was stored.
	ErrDiskFull = errors.New("disk full")
	// ErrInvalid means an argument is not a lowercase hex SHA-256 digest.
	ErrInvalid = errors.New("not a sha-256 hex digest")
)

// DefaultGCGrace is how long GC leaves a blob alone after a Put wrote or
// deduplicated it: the caller records its reference in Badger only after
// Put returns, and GC must not remove the blob in between.
const DefaultGCGrace = time.Hour

const (
	tempPrefix = "put-"
	tempSuffix = ".tmp"

	chunkSize = 64 << 10 // age's STREAM chunk; Reader reads whole chunks

	trailerMagic = "MCBLOB01"
	trailerLen   = len(trailerMagic) + sha256.Size + 8
)

// wrapTemp wraps the writer of a Put's temporary file; tests replace it to
// simulate a full disk, which cannot be made for real here.
var wrapTemp = func(w io.Writer) io.Writer { return w }

// Store is a directory of encrypted blobs.
type Store struct {
	dir     string
	id      *age.X25519Identity
	rcpt    *age.X25519Recipient
	nameKey []byte
	log     *slog.Logger
	gcGrace time.Duration

	// place serialises the last step of Put (exists? rename or refresh)
	// with GC's removals, so a deduplicating Put never returns a Ref to a
	// file GC is removing.
	place sync.Mutex
}

// Open opens (creating, mode 0700) the store in dir with a 32-byte key and
// removes temporary files left by a Put that crashed. log may be nil.
func Open(dir string, key []byte, log *slog.Logger) (*Store, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("blobs: key is %d bytes, want 32", len(key))
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	seed, err := hkdf.Key(sha256.New, key, nil, "motcua blobs age x25519 v1", 32)
	if err != nil {
		return nil, fmt.Errorf("blobs: %w", err)
	}
	nameKey, err := hkdf.Key(sha256.New, key, nil, "motcua blobs names v1", 32)
	if err != nil {
		return nil, fmt.Errorf("blobs: %w", err)
	}
	id, err := age.ParseX25519Identity(strings.ToUpper(bech32("age-secret-key-", seed)))
	if err != nil {
		return nil, fmt.Errorf("blobs: identity: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blobs: %w", err)
	}
	s := &Store{dir: dir, id: id, rcpt: id.Recipient(), nameKey: nameKey, log: log, gcGrace: DefaultGCGrace}
	temps, err := filepath.Glob(filepath.Join(dir, tempPrefix+"*"+tempSuffix))
	if err != nil {
		return nil, fmt.Errorf("blobs: %w", err)
	}
	for _, t := range temps {
		if err := os.Remove(t); err != nil {
			return nil, fmt.Errorf("blobs: remove leftover: %w", err)
		}
	}
	if len(temps) > 0 {
		log.Info("blobs: removed leftovers of interrupted writes", "count", len(temps))
	}
	return s, nil
}

// Put stores what r yields and returns its Ref. Memory stays bounded
// whatever the size: the bytes are hashed while they are encrypted into a
// temporary file, which is fsynced and renamed to its final name. Content
// already stored is not written twice.
func (s *Store) Put(ctx context.Context, r io.Reader) (Ref, error) {
	f, err := os.CreateTemp(s.dir, tempPrefix+"*"+tempSuffix)
	if err != nil {
		return Ref{}, wrap("put", err)
	}
	ref, err := s.encrypt(ctx, f, r)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = wrap("put", cerr)
	}
	if err != nil {
		os.Remove(f.Name())
		return Ref{}, err
	}
	if err := s.install(f.Name(), ref.SHA256); err != nil {
		os.Remove(f.Name())
		return Ref{}, err
	}
	return ref, nil
}

// PutFile stores the file at path.
func (s *Store) PutFile(ctx context.Context, path string) (Ref, error) {
	f, err := os.Open(path)
	if err != nil {
		return Ref{}, fmt.Errorf("blobs: put file: %w", err)
	}
	defer f.Close()
	return s.Put(ctx, f)
}

// encrypt writes r's bytes and the trailer, encrypted, to f and syncs it.
func (s *Store) encrypt(ctx context.Context, f *os.File, r io.Reader) (Ref, error) {
	w, err := age.Encrypt(wrapTemp(f), s.rcpt)
	if err != nil {
		return Ref{}, wrap("put", err)
	}
	h := sha256.New()
	buf := make([]byte, 64<<10)
	var size int64
	for {
		// Checked per buffer so a cancelled import of a large file stops soon.
		if err := ctx.Err(); err != nil {
			return Ref{}, fmt.Errorf("blobs: put: %w", err)
		}
		n, rerr := r.Read(buf)
		if n > 0 {
			h.Write(buf[:n])
			if _, err := w.Write(buf[:n]); err != nil {
				return Ref{}, wrap("put", err)
			}
			size += int64(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return Ref{}, fmt.Errorf("blobs: put: read: %w", rerr)
		}
	}
	sum := h.Sum(nil)
	if _, err := w.Write(makeTrailer(sum, size)); err != nil {
		return Ref{}, wrap("put", err)
	}
	if err := w.Close(); err != nil {
		return Ref{}, wrap("put", err)
	}
	if err := f.Sync(); err != nil {
		return Ref{}, wrap("put", err)
	}
	return Ref{SHA256: hex.EncodeToString(sum), Size: size}, nil
}

// install renames the synced temporary file to the blob's name, or drops
// it when the blob is already there.
func (s *Store) install(tmp, sha string) error {
	final := s.path(sha)
	sub := filepath.Dir(final)
	s.place.Lock()
	defer s.place.Unlock()
	if s.refresh(final) {
		return wrap("put", os.Remove(tmp))
	}
	newSub := false
	if err := os.Mkdir(sub, 0o700); err == nil {
		newSub = true
	} else if !errors.Is(err, fs.ErrExist) {
		return wrap("put", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		// Windows refuses to replace a file someone has open: an equal
		// blob is there, which is all Put promises.
		if s.refresh(final) {
			return wrap("put", os.Remove(tmp))
		}
		return wrap("put", err)
	}
	if err := syncDir(sub); err != nil {
		return wrap("put", err)
	}
	if newSub {
		return wrap("put", syncDir(s.dir))
	}
	return nil
}

// refresh reports whether final exists, and if so restarts its GC grace.
func (s *Store) refresh(final string) bool {
	now := time.Now()
	if err := os.Chtimes(final, now, now); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("blobs: cannot refresh blob time", "err", err)
			_, serr := os.Stat(final)
			return serr == nil
		}
		return false
	}
	return true
}

// Has reports whether a blob with that digest is stored (without reading it).
func (s *Store) Has(sha string) (bool, error) {
	if err := checkSHA(sha); err != nil {
		return false, err
	}
	_, err := os.Stat(s.path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("blobs: has: %w", err)
	}
	return true, nil
}

// Delete removes a blob. Deciding that no dossier needs it is the caller's job.
func (s *Store) Delete(sha string) error {
	if err := checkSHA(sha); err != nil {
		return err
	}
	p := s.path(sha)
	if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blobs: delete %s: %w", sha, ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("blobs: delete: %w", err)
	}
	// Personal data must not come back after a crash.
	return wrap("delete", syncDir(filepath.Dir(p)))
}

// path is where the blob with digest sha lives. The name is keyed so that
// a directory listing does not tell which known document is stored.
func (s *Store) path(sha string) string {
	raw, _ := hex.DecodeString(sha)
	name := s.name(raw)
	return filepath.Join(s.dir, name[:2], name)
}

func (s *Store) name(sum []byte) string {
	m := hmac.New(sha256.New, s.nameKey)
	m.Write(sum)
	return hex.EncodeToString(m.Sum(nil))
}

func makeTrailer(sum []byte, size int64) []byte {
	t := make([]byte, 0, trailerLen)
	t = append(t, trailerMagic...)
	t = append(t, sum...)
	return binary.BigEndian.AppendUint64(t, uint64(size))
}

// checkSHA accepts only 64 lowercase hex digits, so no argument can name a
// path outside the store.
func checkSHA(sha string) error {
	if !isHex64(sha) {
		return fmt.Errorf("blobs: %q: %w", sha, ErrInvalid)
	}
	return nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// wrap prefixes err and marks a full disk with ErrDiskFull (keeping the
// original error for errors.Is(err, syscall.ENOSPC)). A nil err stays nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if isDiskFull(err) {
		return fmt.Errorf("blobs: %s: %w: %w", op, ErrDiskFull, err)
	}
	return fmt.Errorf("blobs: %s: %w", op, err)
}
