package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"motcua/app/store"
	"motcua/app/vault"
)

// A backup brought on a USB drive is outside input: its manifest and the
// header of its store file are parsed by ParseManifest and Locate only,
// which refuse anything this program did not write (store.ErrBadBackup) or
// a newer program wrote (store.ErrNewerSchema), and never name a file
// outside the backup's directory.

// maxManifest bounds manifest.json (a real one is under 1 KB).
const maxManifest = 64 << 10

var (
	sha256RE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	vaultIDRE = regexp.MustCompile(`^[0-9a-f]{0,64}$`)
)

// ParseManifest decodes and checks a backup's manifest.json.
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	if len(b) > maxManifest {
		return Manifest{}, fmt.Errorf("manifest of %d bytes: %w", len(b), store.ErrBadBackup)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("manifest: %w: %v", store.ErrBadBackup, err)
	}
	switch {
	case m.App != "motcua":
		return Manifest{}, fmt.Errorf("manifest of app %q: %w", m.App, store.ErrBadBackup)
	case m.Format > 1:
		return Manifest{}, fmt.Errorf("backup format %d: %w", m.Format, store.ErrNewerSchema)
	case m.Format < 1:
		return Manifest{}, fmt.Errorf("backup format %d: %w", m.Format, store.ErrBadBackup)
	case m.Schema > store.SchemaVersion():
		return Manifest{}, fmt.Errorf("backup schema %d: %w", m.Schema, store.ErrNewerSchema)
	case m.Schema == 0:
		return Manifest{}, fmt.Errorf("manifest without a schema: %w", store.ErrBadBackup)
	case !localName(m.StoreFile):
		return Manifest{}, fmt.Errorf("manifest store file %q: %w", m.StoreFile, store.ErrBadBackup)
	case m.StoreSize < 0 || m.BlobBytes < 0 || m.Blobs < 0:
		return Manifest{}, fmt.Errorf("manifest with a negative size: %w", store.ErrBadBackup)
	case !sha256RE.MatchString(m.StoreSHA256):
		return Manifest{}, fmt.Errorf("manifest store digest %q: %w", m.StoreSHA256, store.ErrBadBackup)
	case !vaultIDRE.MatchString(m.VaultID):
		return Manifest{}, fmt.Errorf("manifest vault %q: %w", m.VaultID, store.ErrBadBackup)
	}
	return m, nil
}

// localName reports whether name is a plain file name, the same on every
// OS: no separator of any OS, no "." or "..", no drive or NUL.
func localName(name string) bool {
	return name != "" && len(name) <= 255 && name != "." && name != ".." &&
		!strings.ContainsAny(name, "/\\:\x00") && filepath.IsLocal(name)
}

// Source is a backup found at a path given from outside.
type Source struct {
	// Name is the backup directory's name, or the store file's name.
	Name string
	// Dir is the backup directory; "" for a store file on its own.
	Dir string
	// StoreFile is the path of the store backup file.
	StoreFile string
	// BlobDir holds the blob copies; "" when there are none.
	BlobDir string
	// Manifest is nil for a store file on its own (the old "motcua backup
	// --to FILE"): nothing then says which blobs it should come with.
	Manifest *Manifest
	Header   store.BackupHeader
	// Vault is the vault file in the header; nil for a store made before
	// encryption at rest.
	Vault *vault.File
}

// VaultID is the vault the backup belongs to ("" for an unencrypted one).
func (s Source) VaultID() string {
	if s.Vault == nil {
		return ""
	}
	return s.Vault.ID
}

// Locate finds the backup at path: a backup directory (motcua-…, with its
// manifest), a folder of backups (the newest is taken), or a store file
// (store.mcbak inside a backup directory stands for the directory). It reads
// the manifest and the store file's header; the body is checked by the
// restore.
func Locate(path string) (Source, error) {
	if strings.TrimSpace(path) == "" {
		return Source{}, fmt.Errorf("%w: no path given", ErrNotFound)
	}
	path = filepath.Clean(path)
	info, err := os.Stat(path)
	if err != nil {
		return Source{}, fmt.Errorf("%w: %s: %v", ErrNotFound, path, err)
	}
	switch {
	case !info.IsDir():
		parent := filepath.Dir(path)
		if filepath.Base(path) != storeFile || !exists(filepath.Join(parent, manifestFile)) {
			src := Source{Name: filepath.Base(path), StoreFile: path}
			if dir := filepath.Join(parent, blobsDir); isDir(dir) {
				src.BlobDir = dir
			}
			return readStoreHeader(src)
		}
		path = parent
	case !exists(filepath.Join(path, manifestFile)):
		newest := newestBackup(path)
		if newest == "" {
			return Source{}, fmt.Errorf("%w: no backup in %s", ErrNotFound, path)
		}
		path = filepath.Join(path, newest)
	}
	return openBackupDir(path)
}

// openBackupDir reads the backup directory dir.
func openBackupDir(dir string) (Source, error) {
	f, err := os.Open(filepath.Join(dir, manifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Source{}, fmt.Errorf("%w: %s", ErrNotFound, dir)
	}
	if err != nil {
		return Source{}, fmt.Errorf("read manifest: %w: %v", store.ErrBadBackup, err)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxManifest+1))
	f.Close()
	if err != nil {
		return Source{}, fmt.Errorf("read manifest: %w: %v", store.ErrBadBackup, err)
	}
	m, err := ParseManifest(b)
	if err != nil {
		return Source{}, err
	}
	src := Source{Name: filepath.Base(dir), Dir: dir, StoreFile: filepath.Join(dir, m.StoreFile), Manifest: &m}
	if d := filepath.Join(dir, blobsDir); isDir(d) {
		src.BlobDir = d
	}
	src, err = readStoreHeader(src)
	if err != nil {
		return Source{}, err
	}
	if src.VaultID() != m.VaultID {
		return Source{}, fmt.Errorf("manifest vault %q, store file's %q: %w", m.VaultID, src.VaultID(), store.ErrBadBackup)
	}
	return src, nil
}

// readStoreHeader reads the header of src's store file.
func readStoreHeader(src Source) (Source, error) {
	f, err := os.Open(src.StoreFile)
	if errors.Is(err, fs.ErrNotExist) {
		return Source{}, fmt.Errorf("store file %s missing: %w", src.StoreFile, store.ErrBadBackup)
	}
	if err != nil {
		return Source{}, fmt.Errorf("open store backup: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return Source{}, fmt.Errorf("store file %s is not a file: %w", src.StoreFile, store.ErrBadBackup)
	}
	h, _, err := store.ReadBackupHeader(f)
	if err != nil {
		return Source{}, err
	}
	src.Header = h
	if len(h.Vault) > 0 {
		vf, err := vault.ParseFile(h.Vault)
		if err != nil || !vaultIDRE.MatchString(vf.ID) {
			return Source{}, fmt.Errorf("backup vault: %w", store.ErrBadBackup)
		}
		src.Vault = &vf
	}
	return src, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
