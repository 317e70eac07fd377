package hub

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	lifecycle "motcua/app/dossier"
	"motcua/app/vntext"
	"motcua/sync/wire"
)

// Staff actions from the web UI. Each records exactly one change in the
// owning commune's pull log, in the commune's vocabulary (app/dossier), so
// the desk applies it through its own state machine on its next pull
// (app/reception.ApplyHubChange):
//
//	take        received → start_processing → processing (a status change);
//	            from processing, transferred or awaiting_payment the commune
//	            state stays, and the take travels as a note
//	note        a processing note (kind note)
//	supplement  request_supplement → awaiting_supplement, with the missing
//	            items and the reason (Mẫu 02 at the commune)
//	result      record_result → result_ready with the result papers
//
// Every action carries the change ID the form was shown with, so a double
// submit records once, and the state the official saw, so an action on a
// dossier that moved meanwhile is refused (ErrConflict).

// Errors of staff actions, besides ErrNotFound, ErrInvalid and ErrConflict.
var (
	// ErrNotAllowed: the action does not fit the dossier's state.
	ErrNotAllowed = fmt.Errorf("%w: action not allowed in this state", ErrConflict)
	// ErrTaken: another official took the dossier.
	ErrTaken = fmt.Errorf("%w: dossier taken by another official", ErrConflict)
)

// StaffAction identifies one submitted action.
type StaffAction struct {
	ChangeID    string // minted when the form was shown
	DossierID   string
	ExpectState string // the state the official saw
	Staff       Staff
}

// Allowed says which actions an official may take on a dossier now; the
// UI shows exactly these.
type Allowed struct {
	Take       bool
	Supplement bool
	Result     bool
	Note       bool
}

// AllowedFor returns the actions st may take on v.
func AllowedFor(v DossierView, st Staff) Allowed {
	mine := v.TakenByID == 0 || v.TakenByID == st.ID
	can := func(a lifecycle.Action) bool {
		_, err := lifecycle.Transition(lifecycle.State(v.State), a)
		return err == nil && mine
	}
	return Allowed{
		Take:       v.TakenByID == 0 && takeKind(v.State) != "",
		Supplement: can(lifecycle.ActionRequestSupplement),
		Result:     can(lifecycle.ActionRecordResult),
		Note:       true,
	}
}

// takeKind is the change a take records from state: a status change, a
// note, or "" when a dossier in state cannot be taken.
func takeKind(state string) string {
	switch lifecycle.State(state) {
	case lifecycle.StateReceived:
		return wire.ChangeStatus
	case lifecycle.StateProcessing, lifecycle.StateTransferred, lifecycle.StateAwaitingPayment:
		return wire.ChangeNote
	}
	return ""
}

// TakeNote is the note a take travels as when the commune state stays.
const TakeNote = "Nhận xử lý hồ sơ."

func (a StaffAction) input() (ChangeInput, error) {
	if !wire.ValidID(a.ChangeID) {
		return ChangeInput{}, fmt.Errorf("staff action: %w: change id is not a UUID", ErrInvalid)
	}
	if a.ExpectState == "" {
		return ChangeInput{}, fmt.Errorf("staff action: %w: the state seen is required", ErrInvalid)
	}
	in := ChangeInput{
		ID: a.ChangeID, DossierID: a.DossierID, ExpectState: a.ExpectState,
		Actor: a.Staff.Username, ActorName: a.Staff.FullName,
	}
	if a.Staff.AgencyCode != "" {
		in.Agency = &wire.Agency{Code: a.Staff.AgencyCode, Name: a.Staff.AgencyName}
	}
	return in, nil
}

// moveTo fills in a status change by action from the state the official saw.
func moveTo(in *ChangeInput, kind string, action lifecycle.Action) error {
	to, err := lifecycle.Transition(lifecycle.State(in.ExpectState), action)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", action, in.ExpectState, ErrNotAllowed)
	}
	in.Kind, in.Action, in.To, in.NationalStatus = kind, string(action), string(to), to.NationalStatus()
	return nil
}

// takeOver is the hook of actions that need the dossier to be the
// official's: one nobody took becomes theirs, one another took is refused.
func takeOver(st Staff, now time.Time, mustBeFree bool) changeHook {
	return func(ctx context.Context, tx pgx.Tx, d lockedDossier) error {
		switch {
		case d.takenBy != nil && (mustBeFree || *d.takenBy != st.ID):
			return ErrTaken
		case d.takenBy != nil:
			return nil
		}
		_, err := tx.Exec(ctx, "UPDATE dossiers SET taken_by = $2, taken_at = $3 WHERE id = $1", d.id, st.ID, now)
		return err
	}
}

// Take records that an official takes the dossier ("Nhận xử lý").
func (s *Server) Take(ctx context.Context, a StaffAction) (wire.Change, error) {
	in, err := a.input()
	if err != nil {
		return wire.Change{}, err
	}
	switch takeKind(a.ExpectState) {
	case wire.ChangeStatus:
		if err := moveTo(&in, wire.ChangeStatus, lifecycle.ActionStartProcessing); err != nil {
			return wire.Change{}, err
		}
	case wire.ChangeNote:
		in.Kind, in.Note = wire.ChangeNote, TakeNote
	default:
		return wire.Change{}, fmt.Errorf("take on %s: %w", a.ExpectState, ErrNotAllowed)
	}
	return s.staffChange(ctx, a.Staff, in, takeOver(a.Staff, s.cfg.Now(), true))
}

// staffChange records a staff action's change once the dossier is in the
// official's scope: one outside it is ErrNotFound, checked before the
// change ID is looked up, so not even a replayed ID reaches another
// subtree's dossier.
func (s *Server) staffChange(ctx context.Context, st Staff, in ChangeInput, hook changeHook) (wire.Change, error) {
	if err := s.CheckDossierScope(ctx, st, in.DossierID); err != nil {
		return wire.Change{}, err
	}
	return s.recordChange(ctx, in, hook)
}

// MaxNoteRunes bounds notes, reasons and paper names typed by staff.
const MaxNoteRunes = 2000

func cleanText(field, s string, required bool) (string, error) {
	s = strings.TrimSpace(vntext.NFC(s))
	switch {
	case s == "" && required:
		return "", fmt.Errorf("%w: %s is required", ErrInvalid, field)
	case utf8.RuneCountInString(s) > MaxNoteRunes:
		return "", fmt.Errorf("%w: %s is longer than %d characters", ErrInvalid, field, MaxNoteRunes)
	}
	return s, nil
}

// AddNote records a processing step or note; the commune keeps it with the
// dossier. Anyone may note, in any state.
func (s *Server) AddNote(ctx context.Context, a StaffAction, note string) (wire.Change, error) {
	in, err := a.input()
	if err != nil {
		return wire.Change{}, err
	}
	if in.Note, err = cleanText("note", note, true); err != nil {
		return wire.Change{}, err
	}
	in.Kind = wire.ChangeNote
	return s.staffChange(ctx, a.Staff, in, nil)
}

// RequestSupplement asks the applicant, through the commune, for the
// missing items, with the reason.
func (s *Server) RequestSupplement(ctx context.Context, a StaffAction, items []string, reason string) (wire.Change, error) {
	in, err := a.input()
	if err != nil {
		return wire.Change{}, err
	}
	for _, it := range items {
		it, err := cleanText("supplement item", it, false)
		if err != nil {
			return wire.Change{}, err
		}
		if it != "" {
			in.SupplementItems = append(in.SupplementItems, it)
		}
	}
	if len(in.SupplementItems) == 0 {
		return wire.Change{}, fmt.Errorf("supplement: %w: at least one missing item is required", ErrInvalid)
	}
	if in.Reason, err = cleanText("reason", reason, true); err != nil {
		return wire.Change{}, err
	}
	if err := moveTo(&in, wire.ChangeStatus, lifecycle.ActionRequestSupplement); err != nil {
		return wire.Change{}, err
	}
	return s.staffChange(ctx, a.Staff, in, takeOver(a.Staff, s.cfg.Now(), false))
}

// RecordResult attaches the result papers (already in the blob store, see
// PutBlob) and marks the dossier done: the commune returns the result.
func (s *Server) RecordResult(ctx context.Context, a StaffAction, papers []wire.ResultPaper, note string) (wire.Change, error) {
	in, err := a.input()
	if err != nil {
		return wire.Change{}, err
	}
	if len(papers) == 0 {
		return wire.Change{}, fmt.Errorf("result: %w: a result paper is required", ErrInvalid)
	}
	for _, p := range papers {
		if p.Name, err = cleanText("result paper name", p.Name, true); err != nil {
			return wire.Change{}, err
		}
		in.Results = append(in.Results, p)
	}
	if in.Note, err = cleanText("note", note, false); err != nil {
		return wire.Change{}, err
	}
	if err := moveTo(&in, wire.ChangeResult, lifecycle.ActionRecordResult); err != nil {
		return wire.Change{}, err
	}
	return s.staffChange(ctx, a.Staff, in, takeOver(a.Staff, s.cfg.Now(), false))
}

// Errors of PutResultPaper.
var (
	ErrNotPDF       = fmt.Errorf("%w: not a PDF", ErrInvalid)
	ErrHashMismatch = fmt.Errorf("%w: content does not match its SHA-256", ErrInvalid)
)

// PutResultPaper stores a result paper uploaded by staff: it must be a PDF,
// and when the browser sent the SHA-256 it computed (wantSHA256, may be
// empty), the bytes that arrived must hash to it. The store hashes what it
// writes, so the returned address is always the content's.
func (s *Server) PutResultPaper(ctx context.Context, r io.Reader, name, wantSHA256 string) (wire.BlobRef, error) {
	if wantSHA256 != "" && !wire.ValidSHA256(wantSHA256) {
		return wire.BlobRef{}, fmt.Errorf("result paper: %w: sha256 %q", ErrInvalid, wantSHA256)
	}
	head := make([]byte, len(pdfMagic))
	if _, err := io.ReadFull(r, head); err != nil || !bytes.Equal(head, pdfMagic) {
		return wire.BlobRef{}, fmt.Errorf("result paper: %w", ErrNotPDF)
	}
	sum, size, err := s.blobs.Put(ctx, io.LimitReader(io.MultiReader(bytes.NewReader(head), r), s.cfg.MaxBlobBytes+1))
	if err != nil {
		return wire.BlobRef{}, fmt.Errorf("result paper: %w", err)
	}
	switch {
	case size > s.cfg.MaxBlobBytes:
		return wire.BlobRef{}, fmt.Errorf("result paper: %w: larger than %d bytes", ErrInvalid, s.cfg.MaxBlobBytes)
	case wantSHA256 != "" && sum != wantSHA256:
		// The stored bytes stay under their own address, referenced by
		// nothing: they are not this paper.
		return wire.BlobRef{}, fmt.Errorf("result paper: got %s, want %s: %w", sum, wantSHA256, ErrHashMismatch)
	}
	if _, err := s.db.Exec(ctx, "INSERT INTO blobs (sha256, size) VALUES ($1, $2) ON CONFLICT DO NOTHING", sum, size); err != nil {
		return wire.BlobRef{}, fmt.Errorf("result paper: %w", err)
	}
	return wire.BlobRef{SHA256: sum, Size: size, MediaType: "application/pdf", Name: name}, nil
}

var pdfMagic = []byte("%PDF-")
