package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"motcua/app/audit"
	"motcua/app/store"
)

// Schedules.
const (
	Daily    = "daily"    // every day at Settings.At
	Interval = "interval" // every Settings.EveryHours hours
)

// Settings are the admin's choices.
type Settings struct {
	// Enabled turns the schedule on; "back up now" works either way.
	Enabled bool `json:"enabled"`
	// Folder is an absolute path, e.g. a USB drive's folder. It is never
	// created by the app: a missing folder usually means the drive is not
	// plugged in, and creating it would fill the desk's own disk.
	Folder     string    `json:"folder"`
	Schedule   string    `json:"schedule"`   // Daily or Interval
	At         string    `json:"at"`         // "HH:MM", local time (Daily)
	EveryHours int       `json:"everyHours"` // 1–168 (Interval)
	Keep       int       `json:"keep"`       // backups kept in the folder, 1–100
	UpdatedAt  time.Time `json:"updatedAt,omitzero"`
}

// Defaults are the settings before an admin chose: off, daily at noon (desk
// PCs are switched off at night; a missed time runs at the next start), 7
// kept.
func Defaults() Settings {
	return Settings{Schedule: Daily, At: "12:00", EveryHours: 24, Keep: 7}
}

// Problems of a field, for the API to phrase.
const (
	ProblemRequired    = "required"
	ProblemNotAbsolute = "not_absolute"
	ProblemMissing     = "missing"
	ProblemNotDir      = "not_dir"
	ProblemInsideData  = "inside_data"
	ProblemFormat      = "format"
	ProblemRange       = "range"
	ProblemUnknown     = "unknown"
)

// ValidationError names the fields that are wrong and why.
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string { return fmt.Sprintf("invalid backup settings: %v", e.Fields) }

// Result is the outcome of one backup run.
type Result struct {
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	Trigger    string    `json:"trigger"` // "schedule" or "manual"
	By         string    `json:"by,omitempty"`
	Name       string    `json:"name,omitempty"`
	Path       string    `json:"path,omitempty"`
	Size       int64     `json:"size"`
	Blobs      int       `json:"blobs"`
	Verified   bool      `json:"verified"`
	// Verification is the test restore's report (verified or not).
	Verification *Verification `json:"verification,omitempty"`
	// Problem is a machine code of what went wrong (Problem* below); Error
	// is the detail for the log and the admin.
	Problem string   `json:"problem,omitempty"`
	Error   string   `json:"error,omitempty"`
	Removed []string `json:"removed,omitempty"` // rotated away
}

// Problems of a run.
const (
	ProblemNotConfigured = "not_configured"
	ProblemFolderMissing = "folder_missing"
	ProblemNotWritable   = "folder_not_writable"
	ProblemTargetFull    = "target_full"
	ProblemDiskLow       = "disk_low"
	ProblemVerify        = "verify_failed"
	ProblemCanceled      = "canceled"
	ProblemFailed        = "failed"
)

// ProblemOf classifies an error of a run.
func ProblemOf(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNotConfigured):
		return ProblemNotConfigured
	case errors.Is(err, ErrFolderMissing):
		return ProblemFolderMissing
	case errors.Is(err, ErrFolderNotWritable):
		return ProblemNotWritable
	case errors.Is(err, ErrTargetFull):
		return ProblemTargetFull
	case errors.Is(err, ErrDiskLow):
		return ProblemDiskLow
	case errors.Is(err, ErrVerify):
		return ProblemVerify
	case errors.Is(err, context.Canceled):
		return ProblemCanceled
	}
	return ProblemFailed
}

// document is what KeyBackup holds.
type document struct {
	Settings    Settings `json:"settings"`
	Last        *Result  `json:"last,omitempty"`
	LastSuccess *Result  `json:"lastSuccess,omitempty"`
}

func (s *Service) load() (document, error) {
	doc := document{Settings: Defaults()}
	err := s.st.View(func(x *store.Txn) error { return x.GetJSON(store.KeyBackup(), &doc) })
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return document{}, fmt.Errorf("load backup settings: %w", err)
	}
	return doc, nil
}

// Settings returns the saved settings (Defaults before any).
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	doc, err := s.load()
	return doc.Settings, err
}

// SaveSettings validates and stores in; the change is audited and the
// scheduler looks at the new schedule at once.
func (s *Service) SaveSettings(ctx context.Context, in Settings) (Settings, error) {
	in.Folder = strings.TrimSpace(in.Folder)
	in.At = strings.TrimSpace(in.At)
	if err := s.validate(in); err != nil {
		return Settings{}, err
	}
	if in.Folder != "" {
		in.Folder = filepath.Clean(in.Folder)
	}
	in.UpdatedAt = s.cfg.Now().UTC().Truncate(time.Millisecond)
	err := s.st.Update(func(x *store.Txn) error {
		doc := document{Settings: Defaults()}
		before, err := x.Get(store.KeyBackup())
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			if err := json.Unmarshal(before, &doc); err != nil {
				return fmt.Errorf("decode backup settings: %w", err)
			}
		}
		doc.Settings = in
		after, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		if err := x.Set(store.KeyBackup(), after); err != nil {
			return err
		}
		who := audit.ActorFrom(ctx)
		_, err = audit.Append(x, audit.Entry{At: in.UpdatedAt, Actor: who.ID, Role: who.Role, Action: "save_backup_settings",
			Object: "settings/backup", Before: audit.Digest(before), After: audit.Digest(after)})
		return err
	})
	if err != nil {
		return Settings{}, fmt.Errorf("save backup settings: %w", err)
	}
	s.poke()
	return in, nil
}

func (s *Service) validate(in Settings) error {
	f := map[string]string{}
	switch {
	case in.Folder == "":
		if in.Enabled {
			f["folder"] = ProblemRequired
		}
	case !filepath.IsAbs(in.Folder):
		f["folder"] = ProblemNotAbsolute
	default:
		if inside(filepath.Clean(in.Folder), s.cfg.DataDir) {
			f["folder"] = ProblemInsideData
		} else if st, err := os.Stat(in.Folder); err != nil {
			f["folder"] = ProblemMissing
		} else if !st.IsDir() {
			f["folder"] = ProblemNotDir
		}
	}
	switch in.Schedule {
	case Daily:
		if _, err := time.Parse("15:04", in.At); err != nil || len(in.At) != 5 {
			f["at"] = ProblemFormat
		}
	case Interval:
		if in.EveryHours < 1 || in.EveryHours > 168 {
			f["everyHours"] = ProblemRange
		}
	default:
		f["schedule"] = ProblemUnknown
	}
	if in.Keep < 1 || in.Keep > 100 {
		f["keep"] = ProblemRange
	}
	if len(f) > 0 {
		return &ValidationError{Fields: f}
	}
	return nil
}

// inside reports whether p is dir or below it.
func inside(p, dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(abs, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// record stores the outcome of a run.
func (s *Service) record(res Result) error {
	if res.Problem != "" {
		s.log.Warn("backup failed", "problem", res.Problem, "err", res.Error, "trigger", res.Trigger)
	} else {
		s.log.Info("backup verified", "name", res.Name, "bytes", res.Size, "blobs", res.Blobs, "removed", len(res.Removed))
	}
	return s.st.Update(func(x *store.Txn) error {
		doc := document{Settings: Defaults()}
		if err := x.GetJSON(store.KeyBackup(), &doc); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		r := res
		doc.Last = &r
		if res.Verified {
			doc.LastSuccess = &r
		}
		return x.SetJSON(store.KeyBackup(), doc)
	})
}

// Status is what the backup screen shows.
type Status struct {
	Running        string    `json:"running,omitempty"` // "backup" or "restore"
	Phase          string    `json:"phase,omitempty"`   // store, blobs, verify, rotate
	StartedAt      time.Time `json:"startedAt,omitzero"`
	Last           *Result   `json:"last,omitempty"`
	LastSuccess    *Result   `json:"lastSuccess,omitempty"`
	Next           time.Time `json:"next,omitzero"`
	PendingRestore *Pending  `json:"pendingRestore,omitempty"`
}

// Status returns the running job, the last results and the next run.
func (s *Service) Status(ctx context.Context) (Status, error) {
	doc, err := s.load()
	if err != nil {
		return Status{}, err
	}
	st := Status{Last: doc.Last, LastSuccess: doc.LastSuccess}
	if due, ok := nextRun(doc, s.cfg.Now()); ok {
		st.Next = due
	}
	s.mu.Lock()
	if s.job != "" {
		st.Running, st.Phase, st.StartedAt = s.job, s.phase, s.started
	}
	s.mu.Unlock()
	p, err := s.Pending()
	if err != nil {
		return Status{}, err
	}
	st.PendingRestore = p
	return st, nil
}

// retryAfter is how soon a failed scheduled backup is tried again (the USB
// drive may be plugged back in).
const retryAfter = 30 * time.Minute

func (s *Service) due() (time.Time, bool, error) {
	doc, err := s.load()
	if err != nil {
		return time.Time{}, false, err
	}
	t, ok := nextRun(doc, s.cfg.Now())
	return t, ok, nil
}

// nextRun is when the next scheduled backup is due: the first scheduled
// time after the last success (after the settings were saved, before any),
// pushed back by retryAfter after a failed attempt. A time missed while the
// PC was off is due at once.
func nextRun(doc document, now time.Time) (time.Time, bool) {
	set := doc.Settings
	if !set.Enabled || set.Folder == "" {
		return time.Time{}, false
	}
	base := set.UpdatedAt
	if doc.LastSuccess != nil && doc.LastSuccess.StartedAt.After(base) {
		base = doc.LastSuccess.StartedAt
	}
	base = base.In(now.Location())
	var due time.Time
	switch set.Schedule {
	case Interval:
		if doc.LastSuccess == nil {
			due = base // first backup soon after enabling
		} else {
			due = base.Add(time.Duration(set.EveryHours) * time.Hour)
		}
	default:
		at, err := time.Parse("15:04", set.At)
		if err != nil {
			return time.Time{}, false
		}
		due = time.Date(base.Year(), base.Month(), base.Day(), at.Hour(), at.Minute(), 0, 0, now.Location())
		if !due.After(base) {
			due = due.AddDate(0, 0, 1)
		}
	}
	if l := doc.Last; l != nil && l.Problem != "" && l.StartedAt.After(base) {
		if retry := l.StartedAt.Add(retryAfter).In(now.Location()); retry.After(due) {
			due = retry
		}
	}
	return due, true
}
