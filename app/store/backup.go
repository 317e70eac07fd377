package store

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// A backup file is a one-line JSON header followed by Badger's stream backup
// compressed with gzip. gzip's CRC and length trailer make a truncated or
// corrupted file fail loudly on restore instead of loading half a database.
const backupMagic = "motcua-backup"

var (
	// ErrBadBackup is returned when a file is not a readable backup.
	ErrBadBackup = errors.New("not a valid backup file")
	// ErrNotEmpty is returned when restoring into a directory that holds data.
	ErrNotEmpty = errors.New("target data directory is not empty")
)

// BackupHeader is the first line of a backup file.
type BackupHeader struct {
	Magic   string    `json:"magic"`
	Format  int       `json:"format"`
	Schema  uint32    `json:"schema"`
	Created time.Time `json:"created"`
	// Vault, when set, is the vault file of an encrypted store: the body is
	// then encrypted with a key only that vault's slots can unlock.
	Vault json.RawMessage `json:"vault,omitempty"`
}

// BackupOptions encrypt a backup.
type BackupOptions struct {
	// Vault is recorded in the header (wrapped keys only).
	Vault json.RawMessage
	// Encrypt wraps the body writer; nil writes the body in the clear.
	Encrypt func(io.Writer) (io.WriteCloser, error)
}

// Backup writes a full backup of the store to w.
func (s *Store) Backup(w io.Writer) error { return s.BackupWith(w, BackupOptions{}) }

// BackupWith writes a full backup, encrypted when o says so.
func (s *Store) BackupWith(w io.Writer, o BackupOptions) error {
	v, err := s.Version()
	if err != nil {
		return err
	}
	h, err := json.Marshal(BackupHeader{Magic: backupMagic, Format: 1, Schema: v, Created: time.Now().UTC(), Vault: o.Vault})
	if err != nil {
		return err
	}
	if _, err := w.Write(append(h, '\n')); err != nil {
		return fmt.Errorf("write backup header: %w", err)
	}
	body := io.WriteCloser(nopCloser{w})
	if o.Encrypt != nil {
		if body, err = o.Encrypt(w); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	zw := gzip.NewWriter(body)
	if _, err := s.db.Backup(zw, 0); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := body.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// BackupToFile writes a backup to path atomically: a crash or a full disk
// never leaves a truncated file under the final name.
func (s *Store) BackupToFile(path string) error { return s.BackupToFileWith(path, BackupOptions{}) }

// BackupToFileWith is BackupToFile with options.
func (s *Store) BackupToFileWith(path string, o BackupOptions) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".backup-*")
	if err != nil {
		return fmt.Errorf("create backup file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := s.BackupWith(tmp, o); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync backup file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close backup file: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

// ReadBackupHeader reads the header line of a backup; the returned reader
// continues with the body.
func ReadBackupHeader(r io.Reader) (BackupHeader, io.Reader, error) {
	// The header line is small (the vault file is ~1 KB); a file without a
	// newline in its first 64 KiB is not a backup.
	br := bufio.NewReaderSize(r, 64<<10)
	line, err := br.ReadSlice('\n')
	if err != nil {
		return BackupHeader{}, nil, fmt.Errorf("read backup header: %w", ErrBadBackup)
	}
	var h BackupHeader
	if err := json.Unmarshal(line, &h); err != nil || h.Magic != backupMagic {
		return BackupHeader{}, nil, fmt.Errorf("backup header: %w", ErrBadBackup)
	}
	if h.Format != 1 {
		return BackupHeader{}, nil, fmt.Errorf("backup format %d: %w", h.Format, ErrBadBackup)
	}
	if h.Schema > SchemaVersion() {
		return BackupHeader{}, nil, fmt.Errorf("backup schema %d: %w", h.Schema, ErrNewerSchema)
	}
	return h, br, nil
}

// Restore loads a clear-text backup from r into dir, which must not exist
// or be empty.
func Restore(dir string, r io.Reader, opts Options) error {
	if err := checkEmptyDir(dir); err != nil {
		return err
	}
	h, body, err := ReadBackupHeader(r)
	if err != nil {
		return err
	}
	if len(h.Vault) > 0 {
		return fmt.Errorf("backup is encrypted: %w", ErrBadBackup)
	}
	return RestoreBody(dir, body, opts)
}

// RestoreBody loads a backup body (after the header, decrypted) into dir.
// The data is loaded into a sibling temporary directory first and renamed
// into place only when it loaded completely and opens cleanly; opts'
// encryption key encrypts the restored store.
func RestoreBody(dir string, body io.Reader, opts Options) error {
	if err := checkEmptyDir(dir); err != nil {
		return err
	}
	zr, err := gzip.NewReader(body)
	if err != nil {
		return fmt.Errorf("backup body: %w: %v", ErrBadBackup, err)
	}

	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".restore-*")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(tmp)

	bo := badger.DefaultOptions(tmp).WithSyncWrites(true).WithLogger(badgerLogger{quietLogger(opts)})
	if len(opts.EncryptionKey) > 0 {
		bo = bo.WithEncryptionKey(opts.EncryptionKey).WithIndexCacheSize(16 << 20)
	}
	db, err := badger.Open(bo)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := db.Load(&frameGuard{r: zr, max: maxBackupFrame}, 256); err != nil {
		db.Close()
		return fmt.Errorf("restore: %w: %v", ErrBadBackup, err)
	}
	// Drain to the gzip trailer so a corrupted tail is detected.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		db.Close()
		return fmt.Errorf("restore: %w: %v", ErrBadBackup, err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	// Opening runs migrations: a restored older backup is upgraded now.
	o := opts
	o.Dir = tmp
	st, err := Open(o)
	if err != nil {
		return fmt.Errorf("restore: open restored data: %w", err)
	}
	if err := st.Close(); err != nil {
		return err
	}
	if err := os.Remove(dir); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("restore into %s: %w", dir, ErrNotEmpty)
	}
	return nil
}

func quietLogger(o Options) *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// maxBackupFrame bounds one record batch of a backup stream. Badger writes
// batches of a few MB; a larger length is corruption or an attack, and
// Badger's Load would try to allocate it.
const maxBackupFrame = 256 << 20

var errFrameTooLarge = errors.New("backup batch larger than allowed")

// frameGuard passes Badger's backup stream (8-byte little-endian length,
// then that many bytes, repeated) through, refusing lengths over max
// before Load allocates them.
type frameGuard struct {
	r    io.Reader
	max  uint64
	left uint64 // payload bytes left in the current batch
	hdr  []byte // header bytes still to hand on
}

func (g *frameGuard) Read(p []byte) (int, error) {
	if len(g.hdr) > 0 {
		n := copy(p, g.hdr)
		g.hdr = g.hdr[n:]
		return n, nil
	}
	if g.left == 0 {
		h := make([]byte, 8)
		n, err := io.ReadFull(g.r, h)
		if n == 0 && err == io.EOF {
			return 0, io.EOF
		}
		if err != nil {
			return 0, io.ErrUnexpectedEOF
		}
		sz := binary.LittleEndian.Uint64(h)
		if sz > g.max {
			return 0, fmt.Errorf("%w: %d bytes", errFrameTooLarge, sz)
		}
		g.left, g.hdr = sz, h
		n = copy(p, g.hdr)
		g.hdr = g.hdr[n:]
		return n, nil
	}
	if uint64(len(p)) > g.left {
		p = p[:g.left]
	}
	n, err := g.r.Read(p)
	g.left -= uint64(n)
	if err == io.EOF && g.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
