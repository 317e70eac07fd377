package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"motcua/app/store"
)

const (
	storeFile     = "store.mcbak"
	manifestFile  = "manifest.json"
	blobsDir      = "blobs"
	partialPrefix = ".partial-"
	namePrefix    = "motcua-"
	nameLayout    = "20060102-150405"
	// targetMargin is left free on the backup drive beyond the estimate.
	targetMargin = 64 << 20
)

// nameRE matches the directories this package writes.
var nameRE = regexp.MustCompile(`^motcua-\d{8}-\d{6}(-\d{1,3})?$`)

// Manifest describes one backup; it is written last.
type Manifest struct {
	Format       int          `json:"format"`
	App          string       `json:"app"`
	Version      string       `json:"version"`
	Created      time.Time    `json:"created"`
	Schema       uint32       `json:"schema"`
	VaultID      string       `json:"vaultId,omitempty"`
	StoreFile    string       `json:"storeFile"`
	StoreSize    int64        `json:"storeSize"`
	StoreSHA256  string       `json:"storeSha256"`
	Blobs        int          `json:"blobs"`
	BlobBytes    int64        `json:"blobBytes"`
	Verification Verification `json:"verification"`
}

// run makes one backup and returns its result; it never panics on a
// missing folder or a full drive, and reads the data dir only.
func (s *Service) run(ctx context.Context, trigger, by string) Result {
	res := Result{StartedAt: s.cfg.Now().UTC(), Trigger: trigger, By: by}
	err := s.backup(ctx, &res)
	res.FinishedAt = s.cfg.Now().UTC()
	if err != nil {
		res.Problem, res.Error, res.Verified = ProblemOf(err), err.Error(), false
	}
	return res
}

func (s *Service) backup(ctx context.Context, res *Result) error {
	doc, err := s.load()
	if err != nil {
		return err
	}
	if doc.Settings.Folder == "" {
		return ErrNotConfigured
	}
	return s.backupInto(ctx, res, doc.Settings.Folder, doc.Settings.Keep)
}

// BackupTo makes one backup into folder now and waits for it: the same
// backup as a scheduled one (store file, blob copies, manifest), verified
// by a test restore the same way; keep > 0 then rotates the folder like the
// schedule. It is the command line's "motcua backup"; the result is not
// recorded as the schedule's.
func (s *Service) BackupTo(ctx context.Context, folder string, keep int) (Result, error) {
	if err := s.claim("backup"); err != nil {
		return Result{}, err
	}
	defer s.release()
	res := Result{StartedAt: s.cfg.Now().UTC(), Trigger: "command"}
	err := s.backupInto(ctx, &res, folder, keep)
	res.FinishedAt = s.cfg.Now().UTC()
	if err != nil {
		res.Problem, res.Error, res.Verified = ProblemOf(err), err.Error(), false
		return res, err
	}
	s.log.Info("backup verified", "name", res.Name, "bytes", res.Size, "blobs", res.Blobs, "trigger", res.Trigger)
	return res, nil
}

// backupInto writes one backup into folder and rotates it to keep.
func (s *Service) backupInto(ctx context.Context, res *Result, folder string, keep int) error {
	if !filepath.IsAbs(folder) {
		abs, err := filepath.Abs(folder)
		if err != nil {
			return err
		}
		folder = abs
	}
	if inside(filepath.Clean(folder), s.cfg.DataDir) {
		return fmt.Errorf("%w: %s", ErrInsideData, folder)
	}
	set := Settings{Folder: folder, Keep: keep}
	if err := checkFolder(set.Folder); err != nil {
		return err
	}
	removeLeftovers(set.Folder, s.log)
	if err := s.checkDataDisk(0); err != nil {
		return err
	}
	src, err := listBlobs(filepath.Join(s.cfg.DataDir, blobsDir))
	if err != nil {
		return err
	}
	prev := newestBackup(set.Folder)
	var need int64
	for _, b := range src {
		if prev == "" || !sameFile(filepath.Join(set.Folder, prev, blobsDir, b.rel), b.size) {
			need += b.size
		}
	}
	if free, err := s.cfg.FreeBytes(set.Folder); err == nil && free < uint64(need)+targetMargin {
		return fmt.Errorf("%w: %d bytes free, about %d needed", ErrTargetFull, free, need+targetMargin)
	}

	name := s.freeName(set.Folder)
	tmp := filepath.Join(set.Folder, partialPrefix+name)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return targetError("create backup dir", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()

	s.setPhase("store")
	m := Manifest{Format: 1, App: "motcua", Version: s.cfg.Version, Created: res.StartedAt, VaultID: s.cfg.VaultID, StoreFile: storeFile}
	if m.Schema, err = s.st.Version(); err != nil {
		return err
	}
	if m.StoreSize, m.StoreSHA256, err = s.writeStore(ctx, filepath.Join(tmp, storeFile)); err != nil {
		return err
	}

	s.setPhase("blobs")
	for _, b := range src {
		if err := ctx.Err(); err != nil {
			return err
		}
		dst := filepath.Join(tmp, blobsDir, b.rel)
		linked := prev != "" && linkSame(filepath.Join(set.Folder, prev, blobsDir, b.rel), dst, b.size)
		if !linked {
			if err := copyFile(ctx, b.path, dst); err != nil {
				if errors.Is(err, fs.ErrNotExist) && !exists(b.path) {
					continue // collected since the listing: the store no longer needs it
				}
				return err
			}
		}
		m.Blobs++
		m.BlobBytes += b.size
	}

	// The test restore needs room on the data disk too: about the
	// backup's size (it is compressed) twice over.
	if err := s.checkDataDisk(uint64(2 * m.StoreSize)); err != nil {
		return err
	}
	s.setPhase("verify")
	v, err := s.verifyBackup(ctx, tmp)
	res.Verification = &v
	if err != nil {
		return err
	}
	m.Verification = v

	if err := writeJSONFile(filepath.Join(tmp, manifestFile), m); err != nil {
		return targetError("write manifest", err)
	}
	final := filepath.Join(set.Folder, name)
	if err := os.Rename(tmp, final); err != nil {
		return targetError("name backup", err)
	}
	done = true
	syncDir(set.Folder)
	res.Name, res.Path, res.Size, res.Blobs, res.Verified = name, final, m.StoreSize+m.BlobBytes, m.Blobs, true

	s.setPhase("rotate")
	res.Removed = s.rotate(set.Folder, set.Keep)
	return nil
}

// checkFolder tells a missing folder (a drive not plugged in) from one that
// cannot be written.
func checkFolder(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrFolderMissing, dir)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", ErrFolderNotWritable, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrFolderMissing, dir)
	}
	f, err := os.CreateTemp(dir, ".motcua-probe-*")
	if err != nil {
		return targetError("probe backup folder", err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// targetError classifies a write error on the backup drive.
func targetError(op string, err error) error {
	switch {
	case isDiskFull(err):
		return fmt.Errorf("%s: %w: %v", op, ErrTargetFull, err)
	case errors.Is(err, fs.ErrPermission) || isReadOnly(err):
		return fmt.Errorf("%s: %w: %v", op, ErrFolderNotWritable, err)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w: %v", op, ErrFolderMissing, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// checkDataDisk refuses when the data disk would keep less than MinFree
// after extra more bytes.
func (s *Service) checkDataDisk(extra uint64) error {
	return checkFree(s.cfg.DataDir, s.cfg.MinFree+extra, s.cfg.FreeBytes, s.log)
}

// checkFree refuses when dir's filesystem has less than want bytes free.
func checkFree(dir string, want uint64, freeBytes func(string) (uint64, error), log *slog.Logger) error {
	free, err := freeBytes(dir)
	if err != nil {
		log.Warn("free space of the data disk unknown", "err", err)
		return nil
	}
	if free < want {
		return fmt.Errorf("%w: %d bytes free, %d needed", ErrDiskLow, free, want)
	}
	return nil
}

// removeLeftovers removes partial backups an interrupted run left.
func removeLeftovers(folder string, log interface{ Warn(string, ...any) }) {
	parts, _ := filepath.Glob(filepath.Join(folder, partialPrefix+namePrefix+"*"))
	for _, p := range parts {
		if err := os.RemoveAll(p); err != nil {
			log.Warn("remove partial backup", "path", p, "err", err)
		}
	}
}

func (s *Service) freeName(folder string) string {
	base := namePrefix + s.cfg.Now().Format(nameLayout)
	name := base
	for i := 2; exists(filepath.Join(folder, name)) || exists(filepath.Join(folder, partialPrefix+name)); i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name
}

// writeStore writes the store backup to path and returns its size and
// SHA-256. The writer checks ctx, so closing the app stops a long backup.
func (s *Service) writeStore(ctx context.Context, path string) (int64, string, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, "", targetError("create store backup", err)
	}
	defer f.Close()
	w := &hashWriter{ctx: ctx, w: f, h: sha256.New()}
	if err := s.st.BackupWith(w, s.cfg.Encrypt); err != nil {
		if ctx.Err() != nil {
			return 0, "", ctx.Err()
		}
		return 0, "", targetError("write store backup", err)
	}
	if err := f.Sync(); err != nil {
		return 0, "", targetError("sync store backup", err)
	}
	if err := f.Close(); err != nil {
		return 0, "", targetError("close store backup", err)
	}
	return w.n, hex.EncodeToString(w.h.Sum(nil)), nil
}

// hashWriter counts (and hashes, when h is set) what it writes, and stops
// when ctx ends.
type hashWriter struct {
	ctx context.Context
	w   io.Writer
	h   hash.Hash
	n   int64
}

func (h *hashWriter) Write(p []byte) (int, error) {
	if err := h.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := h.w.Write(p)
	if h.h != nil {
		h.h.Write(p[:n])
	}
	h.n += int64(n)
	return n, err
}

type blobFile struct {
	rel  string // "ab/abcd…" under the blobs dir
	path string
	size int64
}

// listBlobs lists the blob files of dir (the two-level layout of
// app/blobs; temporary files are left out).
func listBlobs(dir string) ([]blobFile, error) {
	subs, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	var out []blobFile
	for _, sub := range subs {
		if !sub.IsDir() || len(sub.Name()) != 2 {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, sub.Name()))
		if err != nil {
			return nil, fmt.Errorf("list blobs: %w", err)
		}
		for _, f := range files {
			if len(f.Name()) != 64 || !f.Type().IsRegular() {
				continue
			}
			info, err := f.Info()
			if err != nil {
				continue // collected since the listing
			}
			rel := filepath.Join(sub.Name(), f.Name())
			out = append(out, blobFile{rel: rel, path: filepath.Join(dir, rel), size: info.Size()})
		}
	}
	return out, nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func sameFile(p string, size int64) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Size() == size
}

// linkSame hard-links the previous backup's copy of a blob when it has the
// same name and size (names are keyed digests: same name, same content).
func linkSame(prev, dst string, size int64) bool {
	if !sameFile(prev, size) {
		return false
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return false
	}
	return os.Link(prev, dst) == nil
}

// copyFile copies src to dst (a new file), synced to the drive.
func copyFile(ctx context.Context, src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return targetError("copy blob", err)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return targetError("copy blob", err)
	}
	defer out.Close()
	if _, err := io.Copy(&hashWriter{ctx: ctx, w: out}, in); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return targetError("copy blob", err)
	}
	if err := out.Sync(); err != nil {
		return targetError("copy blob", err)
	}
	if err := out.Close(); err != nil {
		return targetError("copy blob", err)
	}
	return nil
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

// backupNames lists the finished backups of folder, newest first.
func backupNames(folder string) []string {
	entries, err := os.ReadDir(folder)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && nameRE.MatchString(e.Name()) && exists(filepath.Join(folder, e.Name(), manifestFile)) {
			names = append(names, e.Name())
		}
	}
	// The time in the name sorts; "-2" suffixes sort after their base.
	slices.SortFunc(names, func(a, b string) int { return compareNames(b, a) })
	return names
}

func compareNames(a, b string) int {
	ab, an := splitName(a)
	bb, bn := splitName(b)
	if ab != bb {
		if ab < bb {
			return -1
		}
		return 1
	}
	return an - bn
}

func splitName(n string) (string, int) {
	base := n[:len(namePrefix)+len(nameLayout)]
	k := 1
	if len(n) > len(base) {
		fmt.Sscanf(n[len(base)+1:], "%d", &k)
	}
	return base, k
}

func newestBackup(folder string) string {
	if names := backupNames(folder); len(names) > 0 {
		return names[0]
	}
	return ""
}

// rotate removes the oldest backups beyond keep; it runs only after a new
// backup verified.
func (s *Service) rotate(folder string, keep int) []string {
	names := backupNames(folder)
	if keep < 1 || len(names) <= keep {
		return nil
	}
	var removed []string
	for _, n := range names[keep:] {
		if err := os.RemoveAll(filepath.Join(folder, n)); err != nil {
			s.log.Warn("rotate backup", "name", n, "err", err)
			continue
		}
		removed = append(removed, n)
	}
	return removed
}

// readManifest reads a backup's manifest.
func readManifest(dir string) (Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return Manifest{}, err
	}
	return ParseManifest(b)
}

// Info is one backup in the folder.
type Info struct {
	Name         string        `json:"name"`
	Created      time.Time     `json:"created"`
	Size         int64         `json:"size"`
	Blobs        int           `json:"blobs"`
	Schema       uint32        `json:"schema"`
	Version      string        `json:"version"`
	Verified     bool          `json:"verified"`
	Verification *Verification `json:"verification,omitempty"`
	// Restorable is false for a backup of another data dir's vault (it
	// needs its recovery key: PrepareFrom) or a newer schema.
	Restorable bool   `json:"restorable"`
	Problem    string `json:"problem,omitempty"` // unreadable manifest
}

// List returns the backups in the folder, newest first.
func (s *Service) List(ctx context.Context) ([]Info, error) {
	doc, err := s.load()
	if err != nil {
		return nil, err
	}
	folder := doc.Settings.Folder
	if folder == "" {
		return nil, ErrNotConfigured
	}
	if st, err := os.Stat(folder); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%w: %s", ErrFolderMissing, folder)
	}
	out := []Info{}
	for _, n := range backupNames(folder) {
		m, err := readManifest(filepath.Join(folder, n))
		if err != nil {
			out = append(out, Info{Name: n, Problem: err.Error()})
			continue
		}
		v := m.Verification
		out = append(out, Info{Name: n, Created: m.Created, Size: m.StoreSize + m.BlobBytes, Blobs: m.Blobs,
			Schema: m.Schema, Version: m.Version, Verified: v.OK, Verification: &v,
			Restorable: v.OK && m.VaultID == s.cfg.VaultID && m.Schema <= store.SchemaVersion()})
	}
	return out, nil
}
