// Package reception is the desk's core use case: receive a paper dossier
// for a procedure of the catalog, number it, compute its legal due date,
// and carry it through every action of its lifecycle, with the applicant
// registry, the work lists, the register and the forms. Every write is one
// Badger transaction holding the dossier, its event, its indexes and its
// audit entry, so a crash leaves either all of it or none.
package reception

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"motcua/app/catalog"
	"motcua/app/dossier"
)

// Person is a representative (người được ủy quyền) or result receiver.
type Person struct {
	Name          string `json:"name"`
	IDNumber      string `json:"idNumber"`
	Address       string `json:"address"`
	Phone         string `json:"phone"`
	Email         string `json:"email"`
	Authorization string `json:"authorization,omitempty"`
}

// Applicant is an entry of the shared applicant registry, so a returning
// citizen is not typed twice.
type Applicant struct {
	ID        string                `json:"id"`
	Kind      dossier.ApplicantKind `json:"kind"`
	Name      string                `json:"name"`
	IDNumber  string                `json:"idNumber"`
	BirthDate string                `json:"birthDate,omitempty"` // YYYY-MM-DD
	Address   string                `json:"address"`
	Phone     string                `json:"phone"`
	Email     string                `json:"email"`
	CreatedAt time.Time             `json:"createdAt"`
	UpdatedAt time.Time             `json:"updatedAt"`
}

// Component is one paper handed in.
type Component struct {
	Name      string `json:"name"`
	Originals int    `json:"originals"`
	Certified int    `json:"certified"`
	Copies    int    `json:"copies"`
	Digitised bool   `json:"digitised"`
}

// Dossier is the stored record of one dossier.
type Dossier struct {
	ID               string                   `json:"id"`
	Code             string                   `json:"code"`
	ProcedureCode    string                   `json:"procedureCode"`
	ProcedureName    string                   `json:"procedureName"`
	Field            string                   `json:"field"`
	ProcessingTime   catalog.Duration         `json:"processingTime"`
	SupplementPolicy catalog.SupplementPolicy `json:"supplementPolicy"`
	Applicant        Applicant                `json:"applicant"`
	Representative   *Person                  `json:"representative,omitempty"`
	Channel          dossier.Channel          `json:"channel"`
	Components       []Component              `json:"components"`
	Sets             int                      `json:"sets"`
	State            dossier.State            `json:"state"`
	CreatedAt        time.Time                `json:"createdAt"`
	// ReceivedAt is when the complete dossier was accepted: the legal
	// start of the clock (the postmark arrival for postal dossiers).
	ReceivedAt *time.Time `json:"receivedAt,omitempty"`
	PostmarkAt *time.Time `json:"postmarkAt,omitempty"`
	// DueAt is the current appointment; LegalDueAt the appointment before
	// any apology-and-extension (on-time counts use it); FirstDueAt the
	// appointment printed on the receipt.
	DueAt      *time.Time `json:"dueAt,omitempty"`
	LegalDueAt *time.Time `json:"legalDueAt,omitempty"`
	FirstDueAt *time.Time `json:"firstDueAt,omitempty"`
	PausedAt   *time.Time `json:"pausedAt,omitempty"`

	ResultDelivery  dossier.ReturnMethod `json:"resultDelivery"`
	LeadAgency      string               `json:"leadAgency,omitempty"`
	LeadAgencyName  string               `json:"leadAgencyName,omitempty"`
	Assignee        string               `json:"assignee,omitempty"`
	SupplementItems []string             `json:"supplementItems,omitempty"`
	Reason          string               `json:"reason,omitempty"`
	ResultDocs      []string             `json:"resultDocs,omitempty"`
	// ResultFiles are result papers the processing agency sent as files
	// through the hub, kept in the blob store.
	ResultFiles  []ResultFile         `json:"resultFiles,omitempty"`
	ResultAt     *time.Time           `json:"resultAt,omitempty"`
	ReturnedAt   *time.Time           `json:"returnedAt,omitempty"`
	ReturnMethod dossier.ReturnMethod `json:"returnMethod,omitempty"`
	ReceiverName string               `json:"receiverName,omitempty"`
	Fee          int64                `json:"fee"`
	Note         string               `json:"note,omitempty"`
	CreatedBy    string               `json:"createdBy"`
	EventSeq     uint64               `json:"eventSeq"`
	UpdatedAt    time.Time            `json:"updatedAt"`
}

// Active reports whether the dossier's legal clock is running.
func (d *Dossier) Active() bool {
	switch d.State {
	case dossier.StateReceived, dossier.StateProcessing, dossier.StateTransferred, dossier.StateAwaitingPayment:
		return true
	}
	return false
}

// Problem codes of a ValidationError. The API turns them into Vietnamese.
const (
	ProblemRequired    = "required"
	ProblemFormat      = "format"
	ProblemTooLong     = "too_long"
	ProblemUnknown     = "unknown"
	ProblemRange       = "range"
	ProblemFuture      = "future"
	ProblemTooOld      = "too_old"
	ProblemIDLength    = "id_length"
	ProblemIDDigits    = "id_digits"
	ProblemIDProvince  = "id_province"
	ProblemIDCentury   = "id_century"
	ProblemIDBirthYear = "id_birth_year"
	ProblemNotAfter    = "not_after_due"
	ProblemInactive    = "inactive"
)

// ValidationError lists what is wrong, by request field path.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for f, p := range e.Fields {
		parts = append(parts, f+"="+p)
	}
	return "invalid input: " + strings.Join(parts, " ")
}

type problems map[string]string

func (p problems) add(field, problem string) {
	if _, ok := p[field]; !ok {
		p[field] = problem
	}
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Fields: p}
}

// Errors of the use cases.
var (
	ErrNotFound         = errors.New("dossier not found")
	ErrNotConfigured    = errors.New("office settings not configured")
	ErrUnknownProcedure = errors.New("unknown procedure")
	ErrRequestReused    = errors.New("request id reused for a different request")
)

func ptr(t time.Time) *time.Time { return &t }

func errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }

// ResultFile is a result paper received as a file.
type ResultFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}
