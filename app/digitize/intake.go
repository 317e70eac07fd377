package digitize

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"motcua/app/audit"
	"motcua/app/store"
	"motcua/scanning/sane"
	"motcua/scanning/searchpdf"
)

// Scanner is a document scanner (scanning/sane's Scanner).
type Scanner interface {
	Available() bool
	List(ctx context.Context) ([]sane.Device, error)
	Scan(ctx context.Context, dir string, o sane.Options) ([]string, error)
}

// IntakeSettings say where files come from besides uploads.
type IntakeSettings struct {
	// WatchFolder is a folder the scanner's own software saves into; every
	// file that appears there is imported and then removed (its original
	// is kept, encrypted, in the blob store), or moved to the "loi"
	// subfolder with the reason beside it when refused.
	WatchFolder string `json:"watchFolder"`
}

// IntakeStatus is what the intake screen shows.
type IntakeStatus struct {
	WatchFolder string `json:"watchFolder"`
	Watching    bool   `json:"watching"`
	// WatchProblem says why the watch folder cannot be read (Watch…
	// codes; app/api words them, the log has the error).
	WatchProblem string        `json:"watchProblem,omitempty"`
	Imported     int           `json:"imported"` // by the watcher since start
	SANE         bool          `json:"sane"`
	Scanners     []sane.Device `json:"scanners"`
}

// Why the watch folder cannot be read.
const (
	WatchMissing    = "missing"    // gone, or its network share or USB disk is not connected
	WatchDenied     = "denied"     // this program may not read it
	WatchNotFolder  = "not_folder" // a file, not a folder
	WatchUnreadable = "unreadable" // anything else: see the log
)

func watchProblem(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return WatchMissing
	case errors.Is(err, fs.ErrPermission):
		return WatchDenied
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, errNotDir):
		return WatchNotFolder
	}
	return WatchUnreadable
}

// WatchFailedDir is the subfolder of the watch folder for refused files.
const WatchFailedDir = "loi"

var errNotDir = errors.New("not a folder")

type watchState struct {
	mu       sync.Mutex
	watching bool
	problem  string
	imported int
	devices  []sane.Device // scanners found at listed
	listed   time.Time
}

// IntakeSettings returns the intake settings.
func (s *Service) IntakeSettings(ctx context.Context) (IntakeSettings, error) {
	var in IntakeSettings
	err := s.st.View(func(x *store.Txn) error { return x.GetJSON(store.KeyScanIntake(), &in) })
	if errors.Is(err, store.ErrNotFound) {
		err = nil
	}
	return in, err
}

// SetIntakeSettings stores the intake settings; the watch folder must be a
// folder this program can write to (it moves imported files).
func (s *Service) SetIntakeSettings(ctx context.Context, in IntakeSettings, by Actor) (IntakeSettings, error) {
	in.WatchFolder = strings.TrimSpace(in.WatchFolder)
	if in.WatchFolder != "" {
		if !filepath.IsAbs(in.WatchFolder) {
			return IntakeSettings{}, FieldError{"watchFolder": ProblemFormat}
		}
		in.WatchFolder = filepath.Clean(in.WatchFolder)
		if err := checkWatchFolder(in.WatchFolder); err != nil {
			s.log.Info("watch folder refused", "dir", in.WatchFolder, "err", err)
			return IntakeSettings{}, FieldError{"watchFolder": ProblemUnusable}
		}
	}
	err := s.st.Update(func(x *store.Txn) error {
		if err := x.SetJSON(store.KeyScanIntake(), &in); err != nil {
			return err
		}
		_, err := audit.Append(x, audit.Entry{At: s.now(), Actor: by.ID, Role: by.Role, Action: "scan_intake_settings",
			Object: "settings/scan_intake", Summary: in.WatchFolder})
		return err
	})
	if err == nil {
		s.Wake()
	}
	return in, err
}

// ProblemUnusable: a folder that does not exist or cannot be written.
const ProblemUnusable = "unusable"

func checkWatchFolder(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return errNotDir
	}
	if err := os.MkdirAll(filepath.Join(dir, WatchFailedDir), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".motcua-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// Intake reports the watch folder and the scanners; refresh looks for
// scanners again instead of using the list of the last minute.
func (s *Service) Intake(ctx context.Context, refresh bool) (IntakeStatus, error) {
	in, err := s.IntakeSettings(ctx)
	if err != nil {
		return IntakeStatus{}, err
	}
	s.watch.mu.Lock()
	st := IntakeStatus{WatchFolder: in.WatchFolder, Watching: s.watch.watching && in.WatchFolder != "",
		WatchProblem: s.watch.problem, Imported: s.watch.imported, Scanners: []sane.Device{}}
	s.watch.mu.Unlock()
	if sc := s.opts.Scanner; sc != nil && sc.Available() {
		st.SANE = true
		devs, err := s.scanners(ctx, refresh)
		if err != nil {
			s.log.Warn("list scanners", "err", err)
		}
		st.Scanners = append(st.Scanners, devs...)
	}
	return st, nil
}

// scannerTTL: looking for scanners takes seconds (SANE probes USB and the
// network), so the list is kept a minute unless asked to look again.
const scannerTTL = time.Minute

func (s *Service) scanners(ctx context.Context, refresh bool) ([]sane.Device, error) {
	s.watch.mu.Lock()
	if !refresh && s.watch.devices != nil && time.Since(s.watch.listed) < scannerTTL {
		devs := s.watch.devices
		s.watch.mu.Unlock()
		return devs, nil
	}
	s.watch.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	devs, err := s.opts.Scanner.List(ctx)
	if err != nil {
		return nil, err
	}
	if devs == nil {
		devs = []sane.Device{}
	}
	s.watch.mu.Lock()
	s.watch.devices, s.watch.listed = devs, time.Now()
	s.watch.mu.Unlock()
	return devs, nil
}

// fileSeen is what the watcher saw of a file at the last poll.
type fileSeen struct {
	size int64
	mod  time.Time
}

// Watch polls the watch folder until ctx ends. Polling, not file system
// notifications: scanners often save to a network share or a USB disk,
// where notifications do not arrive, and a poll every two seconds costs
// nothing. A file is imported once its size and time have not changed
// between two polls and it is at least settle old, so a file the scanner
// is still writing is left alone.
func (s *Service) Watch(ctx context.Context, every, settle time.Duration) {
	if every <= 0 {
		every = 2 * time.Second
	}
	if settle <= 0 {
		settle = 2 * time.Second
	}
	seen := map[string]fileSeen{}
	t := time.NewTicker(every)
	defer t.Stop()
	lastErr := ""
	for {
		in, err := s.IntakeSettings(ctx)
		if err == nil && in.WatchFolder != "" {
			err = s.pollWatch(ctx, in.WatchFolder, seen, settle)
		}
		problem := ""
		if err != nil {
			problem = watchProblem(err)
			if err.Error() != lastErr {
				s.log.Warn("watch folder unreadable", "dir", in.WatchFolder, "problem", problem, "err", err)
			}
			lastErr = err.Error()
		} else if lastErr != "" {
			s.log.Info("watch folder readable again", "dir", in.WatchFolder)
			lastErr = ""
		}
		s.watch.mu.Lock()
		s.watch.watching = err == nil && in.WatchFolder != ""
		s.watch.problem = problem
		s.watch.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ignoredName: hidden files, and the temporary names scanner software and
// copy tools write under before renaming.
func ignoredName(name string) bool {
	low := strings.ToLower(name)
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") ||
		strings.HasSuffix(low, ".tmp") || strings.HasSuffix(low, ".part") ||
		strings.HasSuffix(low, ".crdownload") || strings.HasSuffix(low, ".partial") || strings.HasSuffix(low, ".loi.txt")
}

func (s *Service) pollWatch(ctx context.Context, dir string, seen map[string]fileSeen, settle time.Duration) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("watch folder %s: %w", dir, err)
	}
	present := map[string]bool{}
	for _, e := range entries {
		if ctx.Err() != nil {
			return nil
		}
		if !e.Type().IsRegular() || ignoredName(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // gone since ReadDir
		}
		name := e.Name()
		present[name] = true
		now := fileSeen{size: info.Size(), mod: info.ModTime()}
		prev, ok := seen[name]
		seen[name] = now
		if !ok || prev != now || time.Since(now.mod) < settle {
			continue
		}
		s.importWatched(ctx, dir, name)
		delete(seen, name)
	}
	for name := range seen {
		if !present[name] {
			delete(seen, name)
		}
	}
	return nil
}

var watchActor = Actor{ID: "watch", Name: "Thư mục quét", Role: "system"}

// importWatched imports one settled file and removes it: a scan left in a
// shared folder is personal data in the clear, and the import keeps the
// original byte for byte (SHA-256 checked), encrypted.
// Errors that are not the file's fault (a full disk) leave it in place for
// the next poll.
func (s *Service) importWatched(ctx context.Context, dir, name string) {
	path := filepath.Join(dir, name)
	job, dup, err := s.ImportFile(ctx, path, name, ImportOptions{Source: "watch"}, watchActor)
	if err != nil {
		code, msg := Classify(err)
		if code == "" {
			s.log.Error("watch folder import", "file", name, "err", err)
			return
		}
		s.log.Warn("watch folder file refused", "file", name, "code", code, "err", err)
		dst := freeName(filepath.Join(dir, WatchFailedDir), name)
		if err := os.Rename(path, dst); err != nil {
			s.log.Error("watch folder move", "file", name, "err", err)
			return
		}
		if err := os.WriteFile(dst+".loi.txt", reasonFile(filepath.Base(dst), msg, s.now()), 0o600); err != nil {
			s.log.Error("watch folder reason file", "file", name, "err", err)
		}
		return
	}
	if err := os.Remove(path); err != nil {
		// Imported but still here: the next poll finds it a duplicate and
		// tries again.
		s.log.Error("watch folder remove", "file", name, "err", err)
		return
	}
	s.watch.mu.Lock()
	if !dup {
		s.watch.imported++
	}
	s.watch.mu.Unlock()
	s.log.Info("watch folder file imported", "file", name, "job", job.ID, "duplicate", dup)
}

// reasonFile is the note left beside a refused file, for whoever opens the
// loi folder: in Vietnamese, with a byte order mark and CRLF line ends so
// that the Notepad of an old Windows PC shows the diacritics and the lines.
func reasonFile(name, reason string, at time.Time) []byte {
	lines := []string{
		"Không nhập được tệp: " + name,
		"Lý do: " + reason,
		"Thời điểm: " + at.Local().Format("15:04 ngày 02/01/2006"),
		"",
		"Cách xử lý: sửa hoặc quét lại tệp, rồi lưu lại vào thư mục theo dõi (không lưu vào thư mục " + WatchFailedDir + ").",
		"Sau đó có thể xóa tệp này và tệp hỏng đi kèm.",
	}
	return []byte("\ufeff" + strings.Join(lines, "\r\n") + "\r\n")
}

// freeName returns dir/name, or dir/name (2) … when taken; dir is created.
func freeName(dir, name string) string {
	os.MkdirAll(dir, 0o700)
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	p := filepath.Join(dir, name)
	for i := 2; ; i++ {
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p
		}
		p = filepath.Join(dir, fmt.Sprintf("%s (%d)%s", base, i, ext))
	}
}

// ScanOptions say how to scan from a device.
type ScanOptions = sane.Options

// ScanFromDevice scans pages from a scanner into one image-only PDF (one
// lossless image per page, in order) and imports it as a job; duplicate
// says the same pages were scanned and imported before.
func (s *Service) ScanFromDevice(ctx context.Context, o ScanOptions, imp ImportOptions, by Actor) (job Job, duplicate bool, err error) {
	sc := s.opts.Scanner
	if sc == nil || !sc.Available() {
		return Job{}, false, sane.ErrUnavailable
	}
	if o.DPI <= 0 {
		o.DPI = 300
	}
	dir, err := os.MkdirTemp(s.opts.TempDir, "scanner-*")
	if err != nil {
		return Job{}, false, err
	}
	defer os.RemoveAll(dir)
	pages, err := sc.Scan(ctx, dir, o)
	if err != nil {
		return Job{}, false, err
	}
	name := "may-quet-" + s.now().Format("20060102-150405") + ".pdf"
	pdf := filepath.Join(dir, name)
	f, err := os.Create(pdf)
	if err != nil {
		return Job{}, false, err
	}
	w, err := searchpdf.NewWriter(f, searchpdf.Options{Title: name, Creator: "Một Cửa Xã", Lang: "vi", Created: s.now()})
	for _, p := range pages {
		if err != nil {
			break
		}
		var img []byte
		if img, err = os.ReadFile(p); err == nil {
			err = w.AddPage(searchpdf.Page{Image: img, DPI: float64(o.DPI)})
		}
	}
	if err == nil {
		err = w.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Job{}, false, fmt.Errorf("assemble scanned pages: %w", err)
	}
	imp.Source = "scanner"
	return s.ImportFile(ctx, pdf, name, imp, by)
}
