package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	lifecycle "motcua/app/dossier"
	"motcua/sync/wire"
)

// What the staff web UI reads: the inbox of incoming dossiers, one
// dossier with its timeline and files, and the per-commune indicators.

// States of the inbox filter besides the dossier states themselves.
const (
	InboxOpen = ""    // every dossier still to be decided (OpenStates)
	InboxAll  = "all" // every dossier
)

// OpenStates are the states of a dossier still to be decided: the inbox
// shows them unless told otherwise.
var OpenStates = []string{
	string(lifecycle.StateSubmitted), string(lifecycle.StateReceived), string(lifecycle.StateAwaitingSupplement),
	string(lifecycle.StateProcessing), string(lifecycle.StateTransferred), string(lifecycle.StateAwaitingPayment),
}

// runningStates are those whose clock runs (the desk's Dossier.Active): a
// dossier in one of them past its appointment is overdue.
var runningStates = []string{
	string(lifecycle.StateReceived), string(lifecycle.StateProcessing),
	string(lifecycle.StateTransferred), string(lifecycle.StateAwaitingPayment),
}

// Running reports whether a dossier in state is being processed against
// its deadline (overdue and due-soon apply).
func Running(state string) bool {
	for _, s := range runningStates {
		if s == state {
			return true
		}
	}
	return false
}

// InboxFilter selects and pages the inbox.
type InboxFilter struct {
	Commune string // agency code; empty: every commune
	State   string // InboxOpen, InboxAll or a dossier state
	Query   string // free text: code, applicant name, procedure (search.go); empty: no search
	After   string // InboxPage.Next of the previous page
	Limit   int    // 1–200; default 50
}

// InboxRow is one dossier in the inbox.
type InboxRow struct {
	ID             string
	Code           string
	CommuneCode    string
	CommuneName    string
	ProcedureCode  string
	ProcedureName  string
	ApplicantName  string
	State          string
	NationalStatus int
	ReceivedAt     time.Time
	DueAt          *time.Time
	TakenBy        string // full name of the official who took it
	HasScan        bool
}

// InboxPage is one page of the inbox, earliest appointment first (no
// appointment last). Next is empty on the last page.
type InboxPage struct {
	Rows  []InboxRow
	Total int
	Next  string
}

// ErrBadCursor wraps ErrInvalid for a cursor this hub did not make.
var ErrBadCursor = fmt.Errorf("%w: bad cursor", ErrInvalid)

// inboxCursor is "MICROS.ID" of the last row, or "-.ID" when it had no
// appointment.
func inboxCursor(r InboxRow) string {
	if r.DueAt == nil {
		return "-." + r.ID
	}
	return strconv.FormatInt(r.DueAt.UnixMicro(), 10) + "." + r.ID
}

// Inbox returns a page of the dossiers st may see (scope.go) of every
// commune (or one), sorted by appointment. Paging is by keyset on (due_at,
// id), so page 100 costs what page 1 does.
func (s *Server) Inbox(ctx context.Context, st Staff, f InboxFilter) (InboxPage, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	sc, err := s.scopeOf(ctx, st)
	if err != nil {
		return InboxPage{}, fmt.Errorf("inbox: %w", err)
	}
	var (
		where []string
		args  []any
	)
	arg := binder(&args)
	where = append(where, sc.cond("d.agency_id", arg))
	if f.Commune != "" {
		where = append(where, "a.code = "+arg(f.Commune))
	}
	if cond, ok := searchCond(f.Query, arg); ok {
		where = append(where, cond)
	}
	switch f.State {
	case InboxOpen:
		where = append(where, "d.state = ANY("+arg(OpenStates)+")")
	case InboxAll:
	default:
		where = append(where, "d.state = "+arg(f.State))
	}
	var total int
	if err := s.db.QueryRow(ctx, "SELECT count(*) FROM dossiers d JOIN agencies a ON a.id = d.agency_id"+
		whereClause(where), args...).Scan(&total); err != nil {
		return InboxPage{}, fmt.Errorf("inbox: %w", err)
	}
	if f.After != "" {
		due, id, ok := strings.Cut(f.After, ".")
		if !ok || !wire.ValidID(id) {
			return InboxPage{}, ErrBadCursor
		}
		if due == "-" {
			where = append(where, "(d.due_at IS NULL AND d.id > "+arg(id)+")")
		} else {
			us, err := strconv.ParseInt(due, 10, 64)
			if err != nil {
				return InboxPage{}, ErrBadCursor
			}
			t, i := arg(time.UnixMicro(us)), arg(id)
			where = append(where, "(d.due_at > "+t+" OR (d.due_at = "+t+" AND d.id > "+i+") OR d.due_at IS NULL)")
		}
	}
	rows, err := s.db.Query(ctx, `
		SELECT d.id, d.code, a.code, a.name, d.procedure_code, coalesce(d.record -> 'procedure' ->> 'name', ''),
			coalesce(d.record -> 'applicant' ->> 'name', ''), d.state, d.national_status, d.received_at, d.due_at,
			coalesce(u.full_name, ''), d.has_scan
		FROM dossiers d JOIN agencies a ON a.id = d.agency_id LEFT JOIN staff_users u ON u.id = d.taken_by`+
		whereClause(where)+" ORDER BY d.due_at ASC NULLS LAST, d.id LIMIT "+arg(f.Limit+1), args...)
	if err != nil {
		return InboxPage{}, fmt.Errorf("inbox: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (InboxRow, error) {
		var r InboxRow
		err := row.Scan(&r.ID, &r.Code, &r.CommuneCode, &r.CommuneName, &r.ProcedureCode, &r.ProcedureName,
			&r.ApplicantName, &r.State, &r.NationalStatus, &r.ReceivedAt, &r.DueAt, &r.TakenBy, &r.HasScan)
		return r, err
	})
	if err != nil {
		return InboxPage{}, fmt.Errorf("inbox: %w", err)
	}
	page := InboxPage{Rows: out, Total: total}
	if len(out) > f.Limit {
		page.Rows = out[:f.Limit]
		page.Next = inboxCursor(page.Rows[f.Limit-1])
	}
	return page, nil
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// CommuneRef names a commune for filters.
type CommuneRef struct {
	Code string
	Name string
}

// communeSelection is the agencies the staff UI lists as communes: those
// of kind commune and any other that has devices or dossiers.
const communeSelection = `(a.kind = 'commune' OR EXISTS (SELECT 1 FROM devices dv WHERE dv.agency_id = a.id)
	OR EXISTS (SELECT 1 FROM dossiers dd WHERE dd.agency_id = a.id))`

// Communes lists the communes st may see, by name.
func (s *Server) Communes(ctx context.Context, st Staff) ([]CommuneRef, error) {
	sc, err := s.scopeOf(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("communes: %w", err)
	}
	var args []any
	rows, err := s.db.Query(ctx, "SELECT a.code, a.name FROM agencies a WHERE "+communeSelection+
		" AND "+sc.cond("a.id", binder(&args))+" ORDER BY a.name, a.code", args...)
	if err != nil {
		return nil, fmt.Errorf("communes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (CommuneRef, error) {
		var c CommuneRef
		return c, row.Scan(&c.Code, &c.Name)
	})
	if err != nil {
		return nil, fmt.Errorf("communes: %w", err)
	}
	return out, nil
}

// DossierView is one dossier as staff see it.
type DossierView struct {
	ID             string
	Code           string
	CommuneCode    string
	CommuneName    string
	State          string
	NationalStatus int
	DueAt          *time.Time
	LegalDueAt     *time.Time
	ResultAt       *time.Time
	HubReceivedAt  time.Time
	TakenBy        string // full name
	TakenByID      int64
	TakenAt        *time.Time
	Record         wire.Dossier // the reception snapshot
	Timeline       []TimelineEntry
	Files          []DossierFile
}

// TimelineEntry is one commune event or hub change, oldest first.
type TimelineEntry struct {
	ID              string
	Origin          string // "commune" or "hub"
	Action          string
	From, To        string
	At              time.Time // when the person acted
	HubReceivedAt   time.Time
	Actor           string
	ActorName       string
	AgencyName      string
	Reason          string
	Note            string
	DueAt           *time.Time
	SupplementItems []string
	Results         []wire.ResultPaper
}

// DossierFile is a file of the dossier: a scan of a component, or a result
// paper the hub attached.
type DossierFile struct {
	wire.BlobRef
	Component string // the paper it belongs to
	Result    bool
}

// Dossier returns one dossier st may see, with its timeline and files. One
// outside st's scope is ErrNotFound, as if it did not exist.
func (s *Server) Dossier(ctx context.Context, st Staff, id string) (DossierView, error) {
	var (
		v      DossierView
		record []byte
		taken  *int64
	)
	sc, err := s.scopeOf(ctx, st)
	if err != nil {
		return DossierView{}, fmt.Errorf("dossier %s: %w", id, err)
	}
	args := []any{id}
	err = s.db.QueryRow(ctx, `
		SELECT d.id, d.code, a.code, a.name, d.state, d.national_status, d.due_at, d.legal_due_at, d.result_at,
			d.hub_received_at, coalesce(u.full_name, ''), d.taken_by, d.taken_at, d.record
		FROM dossiers d JOIN agencies a ON a.id = d.agency_id LEFT JOIN staff_users u ON u.id = d.taken_by
		WHERE d.id = $1 AND `+sc.cond("d.agency_id", binder(&args)), args...).
		Scan(&v.ID, &v.Code, &v.CommuneCode, &v.CommuneName, &v.State, &v.NationalStatus, &v.DueAt, &v.LegalDueAt,
			&v.ResultAt, &v.HubReceivedAt, &v.TakenBy, &taken, &v.TakenAt, &record)
	if noRows(err) {
		return DossierView{}, fmt.Errorf("dossier %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return DossierView{}, fmt.Errorf("dossier %s: %w", id, err)
	}
	if taken != nil {
		v.TakenByID = *taken
	}
	if err := json.Unmarshal(record, &v.Record); err != nil {
		return DossierView{}, fmt.Errorf("dossier %s: %w", id, err)
	}
	seen := map[string]bool{}
	addFile := func(f DossierFile) {
		if !seen[f.SHA256] {
			seen[f.SHA256] = true
			v.Files = append(v.Files, f)
		}
	}
	addComponents := func(cs []wire.Component) {
		for _, c := range cs {
			for _, b := range c.Blobs {
				addFile(DossierFile{BlobRef: b, Component: c.Name})
			}
		}
	}
	addComponents(v.Record.Components)

	rows, err := s.db.Query(ctx, "SELECT origin, record, hub_received_at FROM events WHERE dossier_id = $1 ORDER BY ord", id)
	if err != nil {
		return DossierView{}, fmt.Errorf("dossier %s: timeline: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			origin string
			raw    []byte
			hubAt  time.Time
		)
		if err := rows.Scan(&origin, &raw, &hubAt); err != nil {
			return DossierView{}, fmt.Errorf("dossier %s: timeline: %w", id, err)
		}
		t := TimelineEntry{Origin: origin, HubReceivedAt: hubAt}
		if origin == "hub" {
			var c wire.Change
			if err := json.Unmarshal(raw, &c); err != nil {
				return DossierView{}, fmt.Errorf("dossier %s: change: %w", id, err)
			}
			t.ID, t.Action, t.From, t.To, t.At, t.Actor, t.ActorName = c.ID, c.Action, c.From, c.To, c.At, c.Actor, c.ActorName
			t.Reason, t.Note, t.DueAt, t.SupplementItems, t.Results = c.Reason, c.Note, c.DueAt, c.SupplementItems, c.Results
			if c.Agency != nil {
				t.AgencyName = c.Agency.Name
			}
			for _, r := range c.Results {
				b := r.Blob
				if b.Name == "" {
					b.Name = r.Name
				}
				addFile(DossierFile{BlobRef: b, Component: r.Name, Result: true})
			}
		} else {
			var e wire.Event
			if err := json.Unmarshal(raw, &e); err != nil {
				return DossierView{}, fmt.Errorf("dossier %s: event: %w", id, err)
			}
			t.ID, t.Action, t.From, t.To, t.At, t.Actor, t.ActorName = e.ID, e.Action, e.From, e.To, e.At, e.Actor, e.ActorName
			t.Reason, t.Note, t.DueAt, t.SupplementItems = e.Reason, e.Note, e.DueAt, e.SupplementItems
			if e.Agency != nil {
				t.AgencyName = e.Agency.Name
			}
			addComponents(e.Components)
		}
		v.Timeline = append(v.Timeline, t)
	}
	if err := rows.Err(); err != nil {
		return DossierView{}, fmt.Errorf("dossier %s: timeline: %w", id, err)
	}
	return v, nil
}

// OpenDossierBlob opens a blob for staff: any blob a dossier st may see
// references (a scan or a result paper). Anything else is ErrNotFound,
// like a device's download of another commune's file: the same content
// referenced by a dossier in st's scope and one outside it is served, as it
// is the same file.
func (s *Server) OpenDossierBlob(ctx context.Context, st Staff, sum string) (io.ReadSeekCloser, int64, error) {
	if !wire.ValidSHA256(sum) {
		return nil, 0, fmt.Errorf("blob %q: %w", sum, ErrNotFound)
	}
	sc, err := s.scopeOf(ctx, st)
	if err != nil {
		return nil, 0, fmt.Errorf("blob %s: %w", sum, err)
	}
	args := []any{sum}
	var size int64
	err = s.db.QueryRow(ctx, `SELECT b.size FROM blobs b WHERE b.sha256 = $1
		AND EXISTS (SELECT 1 FROM blob_refs r JOIN dossiers d ON d.id = r.dossier_id
			WHERE r.sha256 = b.sha256 AND `+sc.cond("d.agency_id", binder(&args))+`)`, args...).Scan(&size)
	if noRows(err) {
		return nil, 0, fmt.Errorf("blob %s: %w", sum, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("blob %s: %w", sum, err)
	}
	f, err := s.blobs.Open(ctx, sum)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("blob %s referenced but not in the store: %w", sum, err)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("blob %s: %w", sum, err)
	}
	return f, size, nil
}
