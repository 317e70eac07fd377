package digitize

import (
	"time"

	"motcua/app/blobs"
	"motcua/scanning"
)

// State is where a job is in the queue.
type State string

const (
	StateQueued  State = "queued"
	StateRunning State = "running"
	StateDone    State = "done"
	StateFailed  State = "failed"
)

var stateLabels = map[State]string{
	StateQueued: "Đang chờ", StateRunning: "Đang xử lý", StateDone: "Hoàn thành", StateFailed: "Lỗi",
}

// Label is the Vietnamese name of the state.
func (s State) Label() string { return stateLabels[s] }

// Job is one imported file on its way to a searchable PDF, as the store
// keeps it (app/api shows a view of it).
type Job struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Kind     scanning.Kind `json:"kind"`
	Size     int64         `json:"size"`
	SHA256   string        `json:"sha256"`
	State    State         `json:"state"`
	Pages    int           `json:"pages"`
	Done     int           `json:"done"`
	PDFPages int           `json:"pdfPages"`
	Error    *JobError     `json:"error,omitempty"`

	Blank          []int           `json:"blank"`
	Confidence     float64         `json:"confidence"`
	OCRPages       int             `json:"ocrPages"`
	TextPages      int             `json:"textPages"`
	DossierID      string          `json:"dossierId,omitempty"`
	DossierCode    string          `json:"dossierCode,omitempty"`
	Component      string          `json:"component,omitempty"`
	BatchID        string          `json:"batchId,omitempty"`
	Bindings       []Binding       `json:"bindings"`
	Separators     []int           `json:"separators"`
	DuplicatePages []DuplicatePage `json:"duplicatePages"`

	Original   blobs.Ref  `json:"original"`
	PDF        *blobs.Ref `json:"pdf,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	CreatedBy  string     `json:"createdBy"`
	Enqueued   int64      `json:"enqueued"` // unix nanoseconds of its queue key
	// SentTo lists the dossiers whose hub outbox has this scan's PDF.
	SentTo  []string `json:"sentTo,omitempty"`
	ConfSum float64  `json:"confSum"` // sum of OCR page confidences, for the mean
	// ToReview counts the pages flagged for review (Page.Flagged) and not
	// yet reviewed, kept in the transactions that store and review pages
	// so that listing archive batches reads no page. Valid when
	// ReviewCounted: set when the first page is stored; a job begun by an
	// older version is counted by reading its pages.
	ToReview      int  `json:"toReview,omitempty"`
	ReviewCounted bool `json:"reviewCounted,omitempty"`

	// savedState is the state the store has for the job (the counters
	// count it there); "" for a job not yet saved.
	savedState State
}

// JobError says why a job failed; Code is the API's error code and Page the
// page that failed (0 for the whole file).
type JobError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Page    int    `json:"page,omitempty"`
	Detail  string `json:"-"`
}

// Binding is a page carrying a dossier's QR code.
type Binding struct {
	Page        int    `json:"page"`
	DossierCode string `json:"dossierCode"`
	DossierID   string `json:"dossierId,omitempty"`
}

// DuplicatePage is a page whose image was already stored from another page.
type DuplicatePage struct {
	Page      int    `json:"page"`
	JobID     string `json:"jobId"`
	OtherPage int    `json:"otherPage"`
}

// Page is one stored page of a job.
type Page struct {
	N          int                 `json:"n"`
	PDFPage    int                 `json:"pdfPage"` // page in the searchable PDF; 0 when left out (blank)
	Blank      bool                `json:"blank"`
	Source     scanning.TextSource `json:"source"`
	Confidence float64             `json:"confidence"`
	Text       string              `json:"text"`
	DPI        float64             `json:"dpi"`
	Mode       scanning.Mode       `json:"mode"`
	Rotation   int                 `json:"rotation"`
	Skew       float64             `json:"skew"`
	Reviewed   bool                `json:"reviewed"`
	Corrected  bool                `json:"corrected"`
	// Flagged: OCR'd under Options.LowConfidence when stored, so it waits
	// for review (counted in Job.ToReview until Reviewed).
	Flagged   bool   `json:"flagged,omitempty"`
	Separator bool   `json:"separator,omitempty"`
	Binding   string `json:"binding,omitempty"` // dossier code of a QR cover page

	Image  *blobs.Ref      `json:"image,omitempty"`
	Format scanning.Format `json:"format,omitempty"`
}

// Word is an OCR word and its box in page pixels, stored compactly: the
// searchable PDF is assembled from them after the last page.
type Word struct {
	T string `json:"t"`
	B [4]int `json:"b"` // x0, y0, x1, y1
	L int    `json:"l"` // line number
}

// Batch is an archive batch: old records digitised together.
type Batch struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	RecordType    string    `json:"recordType"`
	OrganName     string    `json:"organName"`
	Year          int       `json:"year,omitempty"`
	Note          string    `json:"note"`
	Documents     int       `json:"documents"`
	Pages         int       `json:"pages"`
	Done          int       `json:"done"`
	LowConfidence int       `json:"lowConfidence"`
	CreatedAt     time.Time `json:"createdAt"`
	CreatedBy     string    `json:"createdBy"`
}

// Metadata is the minimum document metadata of the digitisation guidance
// (regulations.md §4); the first seven fields are required for export.
type Metadata struct {
	DocCode      string `json:"docCode"`
	TypeName     string `json:"typeName"`
	CodeNumber   string `json:"codeNumber"`
	CodeNotation string `json:"codeNotation"`
	IssuedDate   string `json:"issuedDate"`
	OrganName    string `json:"organName"`
	Subject      string `json:"subject"`
	Language     string `json:"language,omitempty"`
	PageAmount   int    `json:"pageAmount,omitempty"`
	Description  string `json:"description,omitempty"`
	Keyword      string `json:"keyword,omitempty"`
}

// Hit is a search result on a page of a scan.
type Hit struct {
	JobID       string    `json:"jobId"`
	Name        string    `json:"name"`
	Page        int       `json:"page"`
	PDFPage     int       `json:"pdfPage"`
	DossierID   string    `json:"dossierId,omitempty"`
	DossierCode string    `json:"dossierCode,omitempty"`
	BatchID     string    `json:"batchId,omitempty"`
	Snippet     []Snippet `json:"snippet"`
}

// Snippet is a run of a hit's context; Hit marks the matched words.
type Snippet struct {
	Text string `json:"text"`
	Hit  bool   `json:"hit"`
}

// Actor is who acts, for the audit log.
type Actor struct {
	ID   string
	Name string
	Role string
}

// FinishedAtOr is the finish time, or the creation time of a job not
// finished (for HTTP Last-Modified).
func (j Job) FinishedAtOr() *time.Time {
	if j.FinishedAt != nil {
		return j.FinishedAt
	}
	return &j.CreatedAt
}
