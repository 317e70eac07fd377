package digitize

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"motcua/app/audit"
	"motcua/app/store"
	"motcua/app/vntext"
)

// FieldError lists invalid input fields with the rule each broke; the API
// turns the rules into Vietnamese messages.
type FieldError map[string]string

func (e FieldError) Error() string {
	var b strings.Builder
	b.WriteString("invalid:")
	for f, r := range e {
		fmt.Fprintf(&b, " %s=%s", f, r)
	}
	return b.String()
}

func (e FieldError) Unwrap() error { return ErrInvalid }

// Problems a FieldError names.
const (
	ProblemRequired = "required"
	ProblemTooLong  = "too_long"
	ProblemFormat   = "format"
)

// BatchInput creates an archive batch.
type BatchInput struct {
	Name       string `json:"name"`
	RecordType string `json:"recordType"`
	OrganName  string `json:"organName"`
	Year       int    `json:"year"`
	Note       string `json:"note"`
}

// CreateBatch starts an archive batch.
func (s *Service) CreateBatch(ctx context.Context, in BatchInput, by Actor) (Batch, error) {
	b := Batch{ID: uuid.Must(uuid.NewV7()).String(), Name: vntext.Clean(in.Name), RecordType: vntext.Clean(in.RecordType),
		OrganName: vntext.Clean(in.OrganName), Year: in.Year, Note: vntext.Clean(in.Note), CreatedAt: s.now(), CreatedBy: by.ID}
	fe := FieldError{}
	for f, v := range map[string]string{"name": b.Name, "recordType": b.RecordType, "organName": b.OrganName} {
		if v == "" {
			fe[f] = ProblemRequired
		} else if len(v) > 300 {
			fe[f] = ProblemTooLong
		}
	}
	if len(b.Note) > 2000 {
		fe["note"] = ProblemTooLong
	}
	if b.Year != 0 && (b.Year < 1800 || b.Year > s.now().Year()) {
		fe["year"] = ProblemFormat
	}
	if len(fe) > 0 {
		return Batch{}, fe
	}
	err := s.st.Update(func(x *store.Txn) error {
		if err := x.SetJSON(store.KeyArchiveBatch(b.ID), &b); err != nil {
			return err
		}
		_, err := audit.Append(x, audit.Entry{At: b.CreatedAt, Actor: by.ID, Role: by.Role, Action: "archive_batch_create",
			Object: "batch/" + b.ID, Summary: b.Name})
		return err
	})
	return b, err
}

// BatchDocument is a job of a batch with its metadata.
type BatchDocument struct {
	Job  Job      `json:"job"`
	Meta Metadata `json:"meta"`
}

// Batches lists archive batches, newest first, with their progress.
func (s *Service) Batches(ctx context.Context) ([]Batch, error) {
	out := []Batch{}
	err := s.st.View(func(x *store.Txn) error {
		return x.Scan(store.PrefixArchiveBatches(), nil, true, false, func(_, v []byte) (bool, error) {
			var b Batch
			if err := json.Unmarshal(v, &b); err != nil {
				return false, err
			}
			if _, err := s.batchStats(x, &b); err != nil {
				return false, err
			}
			out = append(out, b)
			return true, nil
		})
	})
	return out, err
}

// batchStats fills the counters of b and returns its documents.
func (s *Service) batchStats(x *store.Txn, b *Batch) ([]BatchDocument, error) {
	var docs []BatchDocument
	b.Documents, b.Pages, b.Done, b.LowConfidence = 0, 0, 0, 0
	err := x.Iterate(store.PrefixBatchDocs(b.ID), func(k, v []byte) error {
		var d BatchDocument
		if err := json.Unmarshal(v, &d.Meta); err != nil {
			return err
		}
		if err := s.getJob(x, store.AfterLastNUL(k), &d.Job); err != nil {
			return err
		}
		docs = append(docs, d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		b.Documents++
		b.Pages += d.Job.Pages
		b.Done += d.Job.Done
		if d.Job.ReviewCounted {
			b.LowConfidence += d.Job.ToReview
			continue
		}
		n, err := s.lowPages(x, d.Job.ID, func(Page) {})
		if err != nil {
			return nil, err
		}
		b.LowConfidence += n
	}
	return docs, nil
}

// lowPages calls fn for each OCR'd page of job under the confidence bar
// and not yet reviewed.
func (s *Service) lowPages(x *store.Txn, job string, fn func(Page)) (int, error) {
	n := 0
	err := x.Iterate(store.PrefixScanPages(job), func(_, v []byte) error {
		p, err := decodePage(v)
		if err != nil {
			return err
		}
		if p.Source == "ocr" && !p.Reviewed && p.Confidence < s.opts.LowConfidence {
			n++
			fn(p)
		}
		return nil
	})
	return n, err
}

// GetBatch returns a batch and its documents.
func (s *Service) GetBatch(ctx context.Context, id string) (Batch, []BatchDocument, error) {
	var b Batch
	var docs []BatchDocument
	err := s.st.View(func(x *store.Txn) error {
		if err := x.GetJSON(store.KeyArchiveBatch(id), &b); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrBatchNotFound
			}
			return err
		}
		var err error
		docs, err = s.batchStats(x, &b)
		return err
	})
	if docs == nil {
		docs = []BatchDocument{}
	}
	return b, docs, err
}

var (
	docCodeRE = regexp.MustCompile(`^[\p{L}\p{N}._-]{1,30}$`)
	dateRE    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// SetMetadata stores a document's metadata. Fields are checked for form
// here; completeness is checked when the batch is exported.
func (s *Service) SetMetadata(ctx context.Context, batchID, jobID string, m Metadata, by Actor) (Metadata, error) {
	for _, f := range []*string{&m.DocCode, &m.TypeName, &m.CodeNumber, &m.CodeNotation, &m.IssuedDate,
		&m.OrganName, &m.Subject, &m.Language, &m.Description, &m.Keyword} {
		*f = vntext.Clean(*f)
	}
	fe := FieldError{}
	if m.DocCode != "" && !docCodeRE.MatchString(m.DocCode) {
		fe["docCode"] = ProblemFormat
	}
	if m.IssuedDate != "" {
		if _, err := time.Parse(time.DateOnly, m.IssuedDate); err != nil || !dateRE.MatchString(m.IssuedDate) {
			fe["issuedDate"] = ProblemFormat
		}
	}
	if utf8.RuneCountInString(m.Subject) > 500 {
		fe["subject"] = ProblemTooLong
	}
	for f, v := range map[string]string{"typeName": m.TypeName, "codeNumber": m.CodeNumber, "codeNotation": m.CodeNotation,
		"organName": m.OrganName, "description": m.Description, "keyword": m.Keyword} {
		if utf8.RuneCountInString(v) > 500 {
			fe[f] = ProblemTooLong
		}
	}
	if m.PageAmount < 0 || m.PageAmount > 100000 {
		fe["pageAmount"] = ProblemFormat
	}
	if len(fe) > 0 {
		return Metadata{}, fe
	}
	err := s.st.Update(func(x *store.Txn) error {
		var before Metadata
		if err := x.GetJSON(store.KeyBatchDoc(batchID, jobID), &before); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrNotFound
			}
			return err
		}
		if err := x.SetJSON(store.KeyBatchDoc(batchID, jobID), &m); err != nil {
			return err
		}
		b1, _ := json.Marshal(before)
		b2, _ := json.Marshal(m)
		_, err := audit.Append(x, audit.Entry{At: s.now(), Actor: by.ID, Role: by.Role, Action: "archive_metadata",
			Object: "batch/" + batchID + "/" + jobID, Before: audit.Digest(b1), After: audit.Digest(b2), Summary: m.DocCode})
		return err
	})
	return m, err
}

// ReviewPage is a page waiting for review.
type ReviewPage struct {
	JobID string `json:"jobId"`
	Name  string `json:"name"`
	Page  Page   `json:"page"`
}

// Review lists the pages of a batch under the confidence bar and not yet
// reviewed.
func (s *Service) Review(ctx context.Context, batchID string) ([]ReviewPage, error) {
	out := []ReviewPage{}
	err := s.st.View(func(x *store.Txn) error {
		if ok, err := x.Exists(store.KeyArchiveBatch(batchID)); err != nil {
			return err
		} else if !ok {
			return ErrBatchNotFound
		}
		return x.Iterate(store.PrefixBatchDocs(batchID), func(k, _ []byte) error {
			var j Job
			if err := s.getJob(x, store.AfterLastNUL(k), &j); err != nil {
				return err
			}
			_, err := s.lowPages(x, j.ID, func(p Page) { out = append(out, ReviewPage{JobID: j.ID, Name: j.Name, Page: p}) })
			return err
		})
	})
	return out, err
}

// ExportError says why a batch cannot be exported yet.
type ExportError struct {
	Unfinished []string            // job names not done
	Missing    map[string][]string // job name -> required metadata fields missing
}

func (e *ExportError) Error() string {
	return fmt.Sprintf("batch not ready: %d unfinished, %d without metadata", len(e.Unfinished), len(e.Missing))
}

func (e *ExportError) Unwrap() error { return ErrNotReady }

// Export writes a zip of the batch: one searchable PDF per document, named
// after its document code as the guidance asks (CODE_YYYYMMDD_name.pdf),
// and metadata.json describing them all.
func (s *Service) Export(ctx context.Context, batchID string, w io.Writer) error {
	b, docs, err := s.GetBatch(ctx, batchID)
	if err != nil {
		return err
	}
	ee := &ExportError{Missing: map[string][]string{}}
	for _, d := range docs {
		if d.Job.State != StateDone {
			ee.Unfinished = append(ee.Unfinished, d.Job.Name)
		}
		if miss := missingMeta(d.Meta); len(miss) > 0 {
			ee.Missing[d.Job.Name] = miss
		}
	}
	if len(ee.Unfinished) > 0 || len(ee.Missing) > 0 || len(docs) == 0 {
		return ee
	}
	type exported struct {
		File string `json:"file"`
		Metadata
		SHA256 string `json:"sha256"`
		Pages  int    `json:"pages"`
	}
	manifest := struct {
		Batch     Batch      `json:"batch"`
		Exported  time.Time  `json:"exported"`
		Documents []exported `json:"documents"`
	}{Batch: b, Exported: s.now()}
	zw := zip.NewWriter(w)
	used := map[string]bool{}
	for _, d := range docs {
		name := exportName(d.Meta, d.Job)
		for i := 2; used[name]; i++ {
			name = strings.TrimSuffix(exportName(d.Meta, d.Job), ".pdf") + fmt.Sprintf("_%d.pdf", i)
		}
		used[name] = true
		r, err := s.blobs.Open(d.Job.PDF.SHA256)
		if err != nil {
			return err
		}
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: *d.Job.FinishedAt})
		if err == nil {
			_, err = io.Copy(f, r)
		}
		r.Close()
		if err != nil {
			return err
		}
		m := d.Meta
		if m.PageAmount == 0 {
			m.PageAmount = d.Job.PDFPages
		}
		if m.Language == "" {
			m.Language = "vi"
		}
		manifest.Documents = append(manifest.Documents, exported{File: name, Metadata: m, SHA256: d.Job.PDF.SHA256, Pages: d.Job.PDFPages})
	}
	f, err := zw.Create("metadata.json")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(manifest); err != nil {
		return err
	}
	return zw.Close()
}

func missingMeta(m Metadata) []string {
	var out []string
	for _, f := range []struct {
		name, v string
	}{{"docCode", m.DocCode}, {"typeName", m.TypeName}, {"codeNumber", m.CodeNumber}, {"codeNotation", m.CodeNotation},
		{"issuedDate", m.IssuedDate}, {"organName", m.OrganName}, {"subject", m.Subject}} {
		if f.v == "" {
			out = append(out, f.name)
		}
	}
	return out
}

// exportName follows CODE_YYYYMMDD_DESC.pdf with an ASCII description.
func exportName(m Metadata, j Job) string {
	desc := strings.Join(vntext.Tokens(strings.TrimSuffix(j.Name, "."+string(j.Kind))), "")
	if len(desc) > 40 {
		desc = desc[:40]
	}
	date := strings.ReplaceAll(m.IssuedDate, "-", "")
	name := m.DocCode + "_" + date
	if desc != "" {
		name += "_" + desc
	}
	return name + ".pdf"
}
