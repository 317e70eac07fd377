package dossier

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidEvent is wrapped when an event lacks what its action needs.
var ErrInvalidEvent = errors.New("invalid dossier event")

// Event records one action on one dossier: the audit trail, the timeline
// shown to users, the Phiếu kiểm soát and the sync payload are all built
// from events. Fields after Note are the action's payload; each action uses
// a few of them (see Validate).
type Event struct {
	ID        string    `json:"id"` // minted by the caller (UUIDv7/ULID) so replays are idempotent
	DossierID string    `json:"dossierId"`
	Action    Action    `json:"action"`
	From      State     `json:"from"`
	To        State     `json:"to"`
	Actor     string    `json:"actor"` // user ID
	ActorName string    `json:"actorName,omitempty"`
	At        time.Time `json:"at"` // device time, the one legal deadlines use
	Reason    string    `json:"reason,omitempty"`
	Note      string    `json:"note,omitempty"`

	// Channel is how the dossier arrived (submit, receive_*).
	Channel Channel `json:"channel,omitempty"`
	// DueDate is the appointment (hẹn trả) set by this action: on receipt,
	// after a supplement, or the new date of an apology.
	DueDate *time.Time `json:"dueDate,omitempty"`
	// PrevDueDate is the appointment DueDate replaces.
	PrevDueDate *time.Time `json:"prevDueDate,omitempty"`
	// Assignee is the official or unit a dossier is assigned to.
	Assignee string `json:"assignee,omitempty"`
	// Agency and AgencyName identify the lead or next agency of a transfer
	// (agency e-ID code and name).
	Agency     string `json:"agency,omitempty"`
	AgencyName string `json:"agencyName,omitempty"`
	// Giver and Receiver sign a handover on the Phiếu kiểm soát.
	Giver    string `json:"giver,omitempty"`
	Receiver string `json:"receiver,omitempty"`
	// SupplementItems lists what the applicant must add (Mẫu 02), or what
	// was added on supplement_received.
	SupplementItems []string `json:"supplementItems,omitempty"`
	// Amount is a financial obligation or payment in VND.
	Amount int64 `json:"amount,omitempty"`
	// ResultDocs names the result papers (record_result).
	ResultDocs []string `json:"resultDocs,omitempty"`
	// ReturnMethod, ReceiverName and ReceiverID record who took the result
	// and how (return_result).
	ReturnMethod ReturnMethod `json:"returnMethod,omitempty"`
	ReceiverName string       `json:"receiverName,omitempty"`
	ReceiverID   string       `json:"receiverId,omitempty"`
	// PostalTracking is the postal item code when returned by post.
	PostalTracking string `json:"postalTracking,omitempty"`
}

// Validate checks that e is a complete record: identity, a transition the
// table allows with the To it gives, and the payload its action needs. An
// illegal transition yields the *TransitionError; anything else wraps
// ErrInvalidEvent.
func (e Event) Validate() error {
	missing := func(field string) error {
		return fmt.Errorf("%w: %s needs %s", ErrInvalidEvent, e.Action, field)
	}
	switch {
	case e.ID == "":
		return fmt.Errorf("%w: no id", ErrInvalidEvent)
	case e.DossierID == "":
		return fmt.Errorf("%w: no dossier id", ErrInvalidEvent)
	case e.Actor == "":
		return fmt.Errorf("%w: no actor", ErrInvalidEvent)
	case e.At.IsZero():
		return fmt.Errorf("%w: no time", ErrInvalidEvent)
	case e.Amount < 0:
		return fmt.Errorf("%w: negative amount", ErrInvalidEvent)
	}
	to, err := Transition(e.From, e.Action)
	if err != nil {
		return err
	}
	if e.To != to {
		return fmt.Errorf("%w: %s from %q leads to %q, not %q", ErrInvalidEvent, e.Action, e.From, to, e.To)
	}
	if e.Channel != "" && !e.Channel.Valid() {
		return fmt.Errorf("%w: unknown channel %q", ErrInvalidEvent, e.Channel)
	}
	switch e.Action {
	case ActionSubmit, ActionReceiveComplete, ActionReceiveIncomplete:
		if e.Channel == "" {
			return missing("channel")
		}
	}
	switch e.Action {
	case ActionReceiveComplete:
		// Mẫu 01 always carries the appointment.
		if e.DueDate == nil {
			return missing("due date")
		}
	case ActionReceiveIncomplete, ActionRequestSupplement:
		if len(e.SupplementItems) == 0 {
			return missing("supplement items")
		}
	case ActionRefuse, ActionStop:
		// Mẫu 03 and the stop notice must state concrete reasons.
		if e.Reason == "" {
			return missing("reason")
		}
	case ActionAssign:
		if e.Assignee == "" {
			return missing("assignee")
		}
	case ActionTransfer:
		if e.Agency == "" {
			return missing("agency")
		}
	case ActionHandover:
		if e.Giver == "" || e.Receiver == "" {
			return missing("giver and receiver")
		}
	case ActionApologizeExtend:
		if e.Reason == "" {
			return missing("reason")
		}
		if e.DueDate == nil || e.PrevDueDate == nil {
			return missing("old and new due dates")
		}
		if !e.DueDate.After(*e.PrevDueDate) {
			return fmt.Errorf("%w: new due date %s not after old %s", ErrInvalidEvent,
				e.DueDate.Format(time.RFC3339), e.PrevDueDate.Format(time.RFC3339))
		}
	case ActionReturnResult:
		if !e.ReturnMethod.Valid() {
			return missing("return method")
		}
		if e.ReceiverName == "" {
			return missing("receiver name")
		}
	}
	return nil
}
