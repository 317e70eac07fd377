package digitize

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"motcua/app/audit"
	"motcua/app/blobs"
	"motcua/app/reception"
	"motcua/app/store"
	"motcua/app/vntext"
	"motcua/scanning"
)

// Audit entries of scans name jobs by ID and never by file name: a file is
// often named after the applicant, and the audit log goes to the hub.

// Errors the API maps to messages; the scanning package's intake errors
// (scanning.ErrEmptyFile …) pass through unchanged.
var (
	ErrNotFound      = errors.New("scan job not found")
	ErrNotReady      = errors.New("scan job not finished")
	ErrNotFailed     = errors.New("scan job has not failed")
	ErrBatchNotFound = errors.New("archive batch not found")
	ErrUploadTooBig  = errors.New("upload too large")
	ErrInvalid       = errors.New("invalid input")
)

// Dossiers is what digitisation needs from the reception desk: flags set in
// the same transaction as the binding.
type Dossiers interface {
	MarkDigitised(x *store.Txn, dossierID, component string) (reception.Dossier, error)
}

// Outbox queues a finished scan for the hub, in the transaction that
// finished or bound it (app/syncing implements it).
type Outbox interface {
	EnqueueScan(x *store.Txn, d reception.Dossier, sc ScanSent) error
}

// ScanSent is a scan's searchable PDF on its way to the hub with a dossier.
type ScanSent struct {
	JobID     string
	Component string // "" for the whole dossier
	FileName  string
	SHA256    string
	Size      int64
	At        time.Time
	Actor     string
	ActorName string
}

// Engine processes one document page by page (a *scanning.Pipeline).
type Engine interface {
	Process(ctx context.Context, in scanning.Input, out io.Writer, onPage func(*scanning.Page) error) (*scanning.Result, error)
}

// Options configure a Service.
type Options struct {
	// TempDir holds uploads being received and originals decrypted for the
	// engine; it must be on the data disk (never a shared /tmp: the files
	// hold personal data until the job ends). Emptied at start.
	TempDir string
	// MaxUpload bounds one imported file; 512 MiB by default.
	MaxUpload int64
	// Limits are the engine's intake limits, checked before a file is
	// accepted into the queue.
	Limits scanning.Limits
	// LowConfidence: pages whose OCR confidence is below it go to review;
	// 80 by default.
	LowConfidence float64
	// Outbox, if set, sends finished scans of dossiers to the hub.
	Outbox Outbox
	// Scanner, if set, scans from a device (SANE); nil when none.
	Scanner Scanner
	// OnPage, if set, is called after each page is stored (progress
	// notifications; the crash tests wait on it).
	OnPage func(jobID string, page, pages int)
	Now    func() time.Time
	Logger *slog.Logger
}

// Service runs the digitisation use cases.
type Service struct {
	st       *store.Store
	blobs    *blobs.Store
	engine   Engine
	dossiers Dossiers
	opts     Options
	log      *slog.Logger
	now      func() time.Time

	wake  chan struct{}
	watch watchState
}

// New returns a Service. engine may be nil: jobs are then queued but not
// processed (a PC without the OCR engine still imports).
func New(st *store.Store, bs *blobs.Store, engine Engine, dossiers Dossiers, o Options) (*Service, error) {
	if o.TempDir == "" {
		return nil, fmt.Errorf("digitize: no temp dir")
	}
	if o.MaxUpload <= 0 {
		o.MaxUpload = 512 << 20
	}
	if o.LowConfidence <= 0 {
		o.LowConfidence = 80
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	// Leftovers of a crash are plaintext copies of personal data.
	if err := os.RemoveAll(o.TempDir); err != nil {
		return nil, fmt.Errorf("digitize: clear temp: %w", err)
	}
	if err := os.MkdirAll(o.TempDir, 0o700); err != nil {
		return nil, fmt.Errorf("digitize: temp dir: %w", err)
	}
	return &Service{st: st, blobs: bs, engine: engine, dossiers: dossiers, opts: o,
		log: o.Logger.With("component", "digitize"), now: o.Now,
		wake: make(chan struct{}, 1)}, nil
}

// ImportOptions bind an imported file.
type ImportOptions struct {
	DossierID string
	Component string
	BatchID   string
	// Source names where the file came from in the audit log: "upload",
	// "watch", "scanner".
	Source string
}

// Import receives a file, checks it (type from the bytes, limits from the
// headers), stores it encrypted as the job's untouched original and queues
// the job. The same file imported again returns the first job and
// duplicate=true. Nothing is queued when the file is refused.
func (s *Service) Import(ctx context.Context, r io.Reader, name string, o ImportOptions, by Actor) (job Job, duplicate bool, err error) {
	if strings.ContainsAny(name, `/\`) {
		return Job{}, false, fmt.Errorf("%q: %w", name, scanning.ErrInvalidName)
	}
	clean, err := scanning.SanitizeName(vntext.NFC(name))
	if err != nil {
		return Job{}, false, err
	}
	tmp, err := os.CreateTemp(s.opts.TempDir, "upload-*")
	if err != nil {
		return Job{}, false, fmt.Errorf("temp file: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(r, s.opts.MaxUpload+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Job{}, false, fmt.Errorf("receive %q: %w", clean, err)
	}
	if n > s.opts.MaxUpload {
		return Job{}, false, &scanning.FileTooLargeError{Size: n, Limit: s.opts.MaxUpload}
	}
	return s.ImportFile(ctx, tmp.Name(), clean, o, by)
}

// ImportFile is Import for a file already on disk (the watch folder, the
// scanner); the file is only read.
func (s *Service) ImportFile(ctx context.Context, path, name string, o ImportOptions, by Actor) (job Job, duplicate bool, err error) {
	info, err := scanning.Inspect(path, name, s.opts.Limits)
	if err != nil {
		return Job{}, false, err
	}
	o.Component = vntext.Clean(o.Component)
	// A known file needs no second copy, and must not get a second job.
	if j, ok, err := s.jobByFile(info.SHA256); err != nil || ok {
		return j, ok, err
	}
	ref, err := s.blobs.PutFile(ctx, path)
	if err != nil {
		return Job{}, false, fmt.Errorf("store %q: %w", info.Name, err)
	}
	if ref.SHA256 != info.SHA256 {
		return Job{}, false, fmt.Errorf("store %q: file changed while it was imported", info.Name)
	}
	now := s.now()
	j := Job{
		ID: uuid.Must(uuid.NewV7()).String(), Name: info.Name, Kind: info.Kind, Size: info.Size,
		SHA256: info.SHA256, State: StateQueued, Pages: info.Pages, BatchID: o.BatchID,
		Original: ref, CreatedAt: now, CreatedBy: by.ID, Enqueued: now.UnixNano(),
	}
	err = s.st.Update(func(x *store.Txn) error {
		duplicate = false
		if id, err := x.Get(store.KeyScanFile(info.SHA256)); err == nil {
			duplicate = true
			return x.GetJSON(store.KeyScanJob(string(id)), &job)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		job = j
		if o.BatchID != "" {
			if ok, err := x.Exists(store.KeyArchiveBatch(o.BatchID)); err != nil {
				return err
			} else if !ok {
				return ErrBatchNotFound
			}
			if err := x.SetJSON(store.KeyBatchDoc(o.BatchID, job.ID), Metadata{}); err != nil {
				return err
			}
		}
		if o.DossierID != "" {
			if err := s.bindTx(x, &job, o.DossierID, o.Component); err != nil {
				return err
			}
		}
		for _, k := range [][]byte{store.KeyScanFile(info.SHA256), queueKey(&job),
			store.KeyScanTime(now.UnixNano(), job.ID), store.KeyBlobRef(ref.SHA256, "scan/"+job.ID+"/original")} {
			if err := x.Set(k, []byte(job.ID)); err != nil {
				return err
			}
		}
		if err := s.saveJob(x, &job); err != nil {
			return err
		}
		src := o.Source
		if src == "" {
			src = "upload"
		}
		_, err := audit.Append(x, audit.Entry{At: now, Actor: by.ID, Role: by.Role, Action: "scan_import",
			Object: "scan/" + job.ID, After: info.SHA256, Summary: fmt.Sprintf("%s: %s, %d byte", src, info.Kind, info.Size)})
		return err
	})
	if err != nil {
		return Job{}, false, err
	}
	if !duplicate {
		s.log.Info("scan imported", "job", job.ID, "file", job.Name, "kind", job.Kind, "bytes", job.Size, "dossier", job.DossierCode)
		s.Wake()
	}
	return job, duplicate, nil
}

func (s *Service) jobByFile(sha string) (Job, bool, error) {
	var j Job
	err := s.st.View(func(x *store.Txn) error {
		id, err := x.Get(store.KeyScanFile(sha))
		if err != nil {
			return err
		}
		return x.GetJSON(store.KeyScanJob(string(id)), &j)
	})
	if errors.Is(err, store.ErrNotFound) {
		return Job{}, false, nil
	}
	return j, err == nil, err
}

// bindTx binds job to a dossier in x and marks the component digitised.
// A job waiting in the queue moves up to the dossier scans.
func (s *Service) bindTx(x *store.Txn, job *Job, dossierID, component string) error {
	d, err := s.dossiers.MarkDigitised(x, dossierID, component)
	if err != nil {
		return err
	}
	if job.DossierID != "" && job.DossierID != d.ID {
		if err := x.Delete(store.KeyScanDossier(job.DossierID, job.ID)); err != nil {
			return err
		}
	}
	before := queueKey(job)
	job.DossierID, job.DossierCode, job.Component = d.ID, d.Code, component
	if job.State == StateQueued || job.State == StateRunning {
		if after := queueKey(job); !bytes.Equal(after, before) {
			if err := x.Delete(before); err != nil {
				return err
			}
			if err := x.Set(after, nil); err != nil {
				return err
			}
		}
	}
	return x.Set(store.KeyScanDossier(d.ID, job.ID), nil)
}

// Bind binds a job to a dossier by hand.
func (s *Service) Bind(ctx context.Context, jobID, dossierID, component string, by Actor) (Job, error) {
	var job Job
	component = vntext.Clean(component)
	err := s.st.Update(func(x *store.Txn) error {
		if err := s.getJob(x, jobID, &job); err != nil {
			return err
		}
		before := job.DossierID
		if err := s.bindTx(x, &job, dossierID, component); err != nil {
			return err
		}
		if err := s.queueScans(x, &job, by); err != nil {
			return err
		}
		if err := s.saveJob(x, &job); err != nil {
			return err
		}
		_, err := audit.Append(x, audit.Entry{At: s.now(), Actor: by.ID, Role: by.Role, Action: "scan_bind",
			Object: "scan/" + job.ID, Before: before, After: job.DossierID, Summary: job.DossierCode + " " + component})
		return err
	})
	return job, err
}

func (s *Service) getJob(x *store.Txn, id string, j *Job) error {
	if err := x.GetJSON(store.KeyScanJob(id), j); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		}
		return err
	}
	j.savedState = j.State
	return nil
}

// Get returns a job and its pages (without word boxes).
func (s *Service) Get(ctx context.Context, id string) (Job, []Page, error) {
	var j Job
	pages := []Page{}
	err := s.st.View(func(x *store.Txn) error {
		if err := s.getJob(x, id, &j); err != nil {
			return err
		}
		return x.Iterate(store.PrefixScanPages(id), func(_, v []byte) error {
			p, err := decodePage(v)
			if err != nil {
				return err
			}
			pages = append(pages, p)
			return nil
		})
	})
	return j, pages, err
}

// Retry queues a failed job again, from its first page not stored.
func (s *Service) Retry(ctx context.Context, id string, by Actor) (Job, error) {
	var j Job
	err := s.st.Update(func(x *store.Txn) error {
		if err := s.getJob(x, id, &j); err != nil {
			return err
		}
		if j.State != StateFailed {
			return ErrNotFailed
		}
		j.State, j.Error, j.Enqueued = StateQueued, nil, s.now().UnixNano()
		if err := x.Set(queueKey(&j), nil); err != nil {
			return err
		}
		if err := s.saveJob(x, &j); err != nil {
			return err
		}
		_, err := audit.Append(x, audit.Entry{At: s.now(), Actor: by.ID, Role: by.Role, Action: "scan_retry",
			Object: "scan/" + j.ID})
		return err
	})
	if err == nil {
		s.Wake()
	}
	return j, err
}

// ListQuery filters List.
type ListQuery struct {
	State     State
	DossierID string
	BatchID   string
	Limit     int
}

// Counts are the jobs per state.
type Counts struct {
	Queued  int `json:"queued"`
	Running int `json:"running"`
	Done    int `json:"done"`
	Failed  int `json:"failed"`
}

// List returns jobs newest first, and the counts per state of all jobs
// that match the dossier and batch filters. The counts of all jobs and of a
// batch are kept counters; the walk stops as soon as the page is full, or
// once every job in the asked state is found.
func (s *Service) List(ctx context.Context, q ListQuery) ([]Job, Counts, error) {
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 100
	}
	var out []Job
	var c Counts
	err := s.st.View(func(x *store.Txn) error {
		out = nil
		if q.DossierID != "" {
			// A dossier has a few scans: read them all and count them.
			var ids []string
			err := x.Iterate(store.PrefixScanDossier(q.DossierID), func(k, _ []byte) error {
				ids = append(ids, store.AfterLastNUL(k))
				return nil
			})
			if err != nil {
				return err
			}
			c = Counts{}
			for _, id := range slices.Backward(ids) { // UUIDv7: newest last
				var j Job
				if err := s.getJob(x, id, &j); err != nil {
					return err
				}
				c.add(j.State)
				if (q.State == "" || j.State == q.State) && len(out) < q.Limit {
					out = append(out, j)
				}
			}
			return nil
		}
		var err error
		if c, err = readCounts(x, q.BatchID); err != nil {
			return err
		}
		want := q.Limit
		if q.State != "" {
			want = min(want, c.of(q.State))
		}
		if want == 0 {
			return nil
		}
		prefix, jobID := store.PrefixScanTime(), store.ScanTimeJob
		if q.BatchID != "" {
			prefix, jobID = store.PrefixBatchDocs(q.BatchID), store.AfterLastNUL
		}
		return x.Scan(prefix, nil, true, true, func(k, _ []byte) (bool, error) {
			var j Job
			if err := s.getJob(x, jobID(k), &j); err != nil {
				return false, err
			}
			if q.State == "" || j.State == q.State {
				out = append(out, j)
			}
			return len(out) < want, nil
		})
	})
	if out == nil {
		out = []Job{}
	}
	return out, c, err
}

// OpenPDF opens a finished job's searchable PDF.
func (s *Service) OpenPDF(ctx context.Context, id string) (*blobs.Reader, Job, error) {
	j, _, err := s.Get(ctx, id)
	if err != nil {
		return nil, Job{}, err
	}
	if j.State != StateDone || j.PDF == nil {
		return nil, j, ErrNotReady
	}
	r, err := s.blobs.Open(j.PDF.SHA256)
	return r, j, err
}

// OpenOriginal opens the file exactly as imported.
func (s *Service) OpenOriginal(ctx context.Context, id string) (*blobs.Reader, Job, error) {
	var j Job
	if err := s.st.View(func(x *store.Txn) error { return s.getJob(x, id, &j) }); err != nil {
		return nil, Job{}, err
	}
	r, err := s.blobs.Open(j.Original.SHA256)
	return r, j, err
}

// OpenPageImage opens the cleaned image of page n.
func (s *Service) OpenPageImage(ctx context.Context, id string, n int) (*blobs.Reader, scanning.Format, error) {
	var p Page
	err := s.st.View(func(x *store.Txn) error {
		v, err := x.Get(store.KeyScanPage(id, n))
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		p, err = decodePage(v)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if p.Image == nil {
		return nil, "", ErrNotFound
	}
	r, err := s.blobs.Open(p.Image.SHA256)
	return r, p.Format, err
}

// tempPath is a file in the temp dir for job id.
func (s *Service) tempPath(id string, kind scanning.Kind) string {
	return filepath.Join(s.opts.TempDir, "job-"+id+"."+string(kind))
}

// OpenResult opens a result paper the hub sent for a dossier; only a file
// the dossier lists is served.
func (s *Service) OpenResult(ctx context.Context, dossierID, sha string) (*blobs.Reader, reception.ResultFile, error) {
	var file reception.ResultFile
	err := s.st.View(func(x *store.Txn) error {
		d, err := reception.DossierByID(x, dossierID)
		if err != nil {
			return err
		}
		for _, f := range d.ResultFiles {
			if f.SHA256 == sha {
				file = f
				return nil
			}
		}
		return ErrNotFound
	})
	if err != nil {
		return nil, file, err
	}
	r, err := s.blobs.Open(sha)
	return r, file, err
}
