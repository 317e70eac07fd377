package reception

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"motcua/app/audit"
	"motcua/app/dossier"
	"motcua/app/office"
	"motcua/app/store"
)

// Outbox learns of every reception and action inside the transaction that
// writes it, so the dossier and what the hub must be told commit together
// (app/syncing implements it on sync/outbox). It must not fail for a
// reason the desk cannot fix: the desk keeps working when the hub is away.
type Outbox interface {
	EnqueueReception(x *store.Txn, d *Dossier, ev *dossier.Event, set office.Settings) error
	EnqueueAction(x *store.Txn, d *Dossier, ev *dossier.Event) error
}

// WithOutbox queues every reception and action for the hub.
func WithOutbox(o Outbox) Option { return func(s *Service) { s.outbox = o } }

func (s *Service) queueReception(x *store.Txn, d *Dossier, ev *dossier.Event, set office.Settings) error {
	if s.outbox == nil {
		return nil
	}
	return s.outbox.EnqueueReception(x, d, ev, set)
}

func (s *Service) queueAction(x *store.Txn, d *Dossier, ev *dossier.Event) error {
	if s.outbox == nil {
		return nil
	}
	return s.outbox.EnqueueAction(x, d, ev)
}

// HubChange is something the processing agency did to a dossier on the
// provincial hub, in the desk's vocabulary. Status and result changes carry
// an Action and the state To it leads to; a note carries neither.
type HubChange struct {
	ID              string // the hub's change ID: applying is idempotent by it
	DossierID       string
	Action          dossier.Action
	To              dossier.State
	At              time.Time // when the hub's staff acted (hub time)
	Actor           string
	ActorName       string
	AgencyCode      string
	AgencyName      string
	Reason          string
	Note            string
	DueAt           *time.Time
	SupplementItems []string
	Amount          int64
	ResultDocs      []string // names of the result papers
	// ResultFiles are the papers that came as files, already in the blob
	// store when the change is applied.
	ResultFiles []ResultFile
}

// addResultFiles records files on d and reports whether any was new.
func addResultFiles(d *Dossier, files []ResultFile) bool {
	added := false
	for _, f := range files {
		if !slices.ContainsFunc(d.ResultFiles, func(g ResultFile) bool { return g.SHA256 == f.SHA256 }) {
			d.ResultFiles = append(d.ResultFiles, f)
			added = true
		}
	}
	return added
}

// HubOutcome is what applying a hub change did.
type HubOutcome string

// Outcomes of ApplyHubChange.
const (
	// HubApplied: the dossier moved through the state machine; an event
	// and an audit entry were written.
	HubApplied HubOutcome = "applied"
	// HubAlready: the dossier already was where the hub says (the desk did
	// the same); audited, no event.
	HubAlready HubOutcome = "already"
	// HubNoted: a processing note; audited, the caller keeps the note.
	HubNoted HubOutcome = "noted"
	// HubConflict: the change does not fit the local dossier; nothing
	// moved, the caller records it for a person.
	HubConflict HubOutcome = "conflict"
	// HubDuplicate: this change ID was applied before; nothing happened.
	HubDuplicate HubOutcome = "duplicate"
)

// Problems of a HubConflict.
const (
	HubProblemUnknownDossier = "unknown_dossier"
	HubProblemTransition     = "invalid_transition"
	HubProblemPayload        = "invalid_payload"
)

// HubResult is the outcome of one change.
type HubResult struct {
	Outcome HubOutcome
	Problem string // HubConflict only
	// From is the local state the change met; Dossier is the dossier after
	// it (empty for an unknown dossier); Event is the event written.
	From    dossier.State
	Dossier Dossier
	Event   *dossier.Event
}

// ApplyHubChange applies a change pulled from the hub in one transaction
// with its event, indexes and audit entry, and remembers its ID so a
// second pull of it changes nothing. A change that does not fit the local
// state never moves the dossier; it is a HubConflict. inTx, when not nil,
// runs inside the same transaction with the result (not for duplicates), so
// the caller's own records — a conflict for a person, a note — commit or
// fail with it and no change is ever lost between the two.
func (s *Service) ApplyHubChange(ctx context.Context, ch HubChange, inTx func(x *store.Txn, r HubResult) error) (HubResult, error) {
	cal, err := s.Calendar(ctx)
	if err != nil {
		return HubResult{}, err
	}
	var res HubResult
	err = s.st.Update(func(x *store.Txn) error {
		res = HubResult{}
		if prev, ok, err := loadRequest(x, ch.ID); err != nil {
			return err
		} else if ok {
			if prev.Kind != "hub" {
				return ErrRequestReused
			}
			res.Outcome = HubDuplicate
			if err := x.GetJSON(store.KeyDossier(ch.DossierID), &res.Dossier); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return nil
		}
		var d Dossier
		switch err := x.GetJSON(store.KeyDossier(ch.DossierID), &d); {
		case errors.Is(err, store.ErrNotFound):
			res.Outcome, res.Problem = HubConflict, HubProblemUnknownDossier
		case err != nil:
			return err
		}
		old := d
		before, _ := json.Marshal(old)
		res.From = d.State
		actor := "hub:" + ch.Actor
		if res.Outcome == "" {
			switch to, terr := dossier.Transition(d.State, ch.Action); {
			case ch.Action == "" && ch.To == "":
				res.Outcome = HubNoted
			case terr == nil && to == ch.To:
				ev := dossier.Event{
					ID: ch.ID, DossierID: d.ID, Action: ch.Action, From: d.State, To: to,
					Actor: actor, ActorName: hubActorName(ch), At: ch.At, Reason: ch.Reason, Note: ch.Note,
					SupplementItems: ch.SupplementItems, Agency: ch.AgencyCode, AgencyName: ch.AgencyName,
					Amount: ch.Amount, ResultDocs: ch.ResultDocs,
				}
				in := ActionInput{Action: ch.Action, Reason: ch.Reason, DueDate: ch.DueAt, SupplementItems: ch.SupplementItems,
					Agency: ch.AgencyCode, AgencyName: ch.AgencyName, Amount: ch.Amount, ResultDocs: ch.ResultDocs}
				if err := s.apply(cal, &d, &ev, in, ch.At); err != nil {
					var ve *ValidationError
					if !errors.As(err, &ve) {
						return err
					}
					d = old
					res.Outcome, res.Problem = HubConflict, HubProblemPayload
					break
				}
				if ch.DueAt != nil && ch.Action != dossier.ActionApologizeExtend {
					// The agency set a new appointment along with the step.
					if d.DueAt != nil {
						ev.PrevDueDate = ptr(*d.DueAt)
					}
					ev.DueDate, d.DueAt = ptr(*ch.DueAt), ptr(*ch.DueAt)
				}
				d.State, d.UpdatedAt = to, s.now()
				d.EventSeq++
				addResultFiles(&d, ch.ResultFiles)
				if err := putEvent(x, d.ID, d.EventSeq, ev); err != nil {
					return err
				}
				if err := putDossier(x, &old, &d); err != nil {
					return err
				}
				res.Outcome, res.Event = HubApplied, &ev
			case d.State == ch.To:
				res.Outcome = HubAlready
			default:
				res.Outcome, res.Problem = HubConflict, HubProblemTransition
			}
			// The desk recorded the result itself, or the paper came with
			// a note: the files are kept all the same.
			if (res.Outcome == HubAlready || res.Outcome == HubNoted) && addResultFiles(&d, ch.ResultFiles) {
				if err := x.SetJSON(store.KeyDossier(d.ID), &d); err != nil {
					return err
				}
			}
		}
		res.Dossier = d
		if err := saveRequest(x, ch.ID, requestRecord{Kind: "hub", DossierID: ch.DossierID, EventSeq: d.EventSeq}); err != nil {
			return err
		}
		after, _ := json.Marshal(d)
		action := "hub_" + string(res.Outcome)
		if res.Outcome == HubApplied {
			action = string(ch.Action)
		}
		entry := audit.Entry{At: s.now(), Actor: actor, Role: "hub", Action: action, Object: "dossier/" + ch.DossierID,
			Summary: d.Code + " " + ch.ID}
		if d.ID != "" {
			entry.Before, entry.After = audit.Digest(before), audit.Digest(after)
		}
		if _, err := audit.Append(x, entry); err != nil {
			return err
		}
		if inTx != nil {
			return inTx(x, res)
		}
		return nil
	})
	if err != nil {
		return HubResult{}, err
	}
	return res, nil
}

func hubActorName(ch HubChange) string {
	switch {
	case ch.ActorName != "" && ch.AgencyName != "":
		return ch.ActorName + " (" + ch.AgencyName + ")"
	case ch.ActorName != "":
		return ch.ActorName
	}
	return ch.AgencyName
}
