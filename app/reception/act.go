package reception

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"motcua/app/audit"
	"motcua/app/calendar"
	"motcua/app/catalog"
	"motcua/app/dossier"
	"motcua/app/store"
)

// ActionInput is one action on a dossier; each action uses a few fields.
type ActionInput struct {
	RequestID       string               `json:"requestId"`
	Action          dossier.Action       `json:"action"`
	Reason          string               `json:"reason,omitempty"`
	Note            string               `json:"note,omitempty"`
	DueDate         *time.Time           `json:"dueDate,omitempty"`
	SupplementItems []string             `json:"supplementItems,omitempty"`
	Agency          string               `json:"agency,omitempty"`
	AgencyName      string               `json:"agencyName,omitempty"`
	Assignee        string               `json:"assignee,omitempty"`
	Giver           string               `json:"giver,omitempty"`
	Receiver        string               `json:"receiver,omitempty"`
	Amount          int64                `json:"amount,omitempty"`
	ResultDocs      []string             `json:"resultDocs,omitempty"`
	ReturnMethod    dossier.ReturnMethod `json:"returnMethod,omitempty"`
	ReceiverName    string               `json:"receiverName,omitempty"`
	ReceiverID      string               `json:"receiverId,omitempty"`
	PostalTracking  string               `json:"postalTracking,omitempty"`
}

func cleanList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = clean(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Act applies one action to a dossier. The state machine of package
// dossier decides whether it is allowed; a refused action changes nothing.
// A retry with the same RequestID returns the first answer.
func (s *Service) Act(ctx context.Context, id string, in ActionInput, by Actor) (d Dossier, ev dossier.Event, duplicate bool, err error) {
	now := s.now()
	in.Reason, in.Note = clean(in.Reason), clean(in.Note)
	in.SupplementItems, in.ResultDocs = cleanList(in.SupplementItems), cleanList(in.ResultDocs)
	in.Agency = strings.ToUpper(strings.TrimSpace(in.Agency))
	in.AgencyName, in.Assignee, in.Giver, in.Receiver = clean(in.AgencyName), clean(in.Assignee), clean(in.Giver), clean(in.Receiver)
	in.ReceiverName, in.ReceiverID, in.PostalTracking = clean(in.ReceiverName), strings.TrimSpace(in.ReceiverID), strings.TrimSpace(in.PostalTracking)

	p := problems{}
	if !requestIDRE.MatchString(in.RequestID) {
		p.add("requestId", ProblemFormat)
	}
	if !in.Action.Valid() {
		p.add("action", ProblemUnknown)
	}
	for f, v := range map[string]string{"reason": in.Reason, "note": in.Note, "agencyName": in.AgencyName,
		"receiverName": in.ReceiverName, "assignee": in.Assignee, "giver": in.Giver, "receiver": in.Receiver} {
		checkText(p, f, v, false, 2000)
	}
	if in.Amount < 0 || in.Amount > catalog.MaxFeeAmount {
		p.add("amount", ProblemRange)
	}
	if err := p.err(); err != nil {
		return Dossier{}, dossier.Event{}, false, err
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return Dossier{}, dossier.Event{}, false, err
	}

	err = s.st.Update(func(x *store.Txn) error {
		if prev, ok, err := loadRequest(x, in.RequestID); err != nil {
			return err
		} else if ok {
			if prev.Kind != "action" || prev.DossierID != id {
				return ErrRequestReused
			}
			duplicate = true
			if err := x.GetJSON(store.KeyDossier(id), &d); err != nil {
				return err
			}
			return x.GetJSON(store.KeyEvent(id, prev.EventSeq), &ev)
		}
		if err := x.GetJSON(store.KeyDossier(id), &d); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrNotFound
			}
			return err
		}
		old := d
		before, _ := json.Marshal(old)
		to, err := dossier.Transition(d.State, in.Action)
		if err != nil {
			return err
		}
		ev = dossier.Event{
			ID: in.RequestID, DossierID: d.ID, Action: in.Action, From: d.State, To: to,
			Actor: by.ID, ActorName: by.Name, At: now, Reason: in.Reason, Note: in.Note,
			SupplementItems: in.SupplementItems, Agency: in.Agency, AgencyName: in.AgencyName,
			Assignee: in.Assignee, Giver: in.Giver, Receiver: in.Receiver, Amount: in.Amount,
			ResultDocs: in.ResultDocs, ReturnMethod: in.ReturnMethod, ReceiverName: in.ReceiverName,
			ReceiverID: in.ReceiverID, PostalTracking: in.PostalTracking,
		}
		if err := s.apply(cal, &d, &ev, in, now); err != nil {
			return err
		}
		if err := ev.Validate(); err != nil {
			return err
		}
		d.State, d.UpdatedAt = to, now
		d.EventSeq++
		if err := putEvent(x, d.ID, d.EventSeq, ev); err != nil {
			return err
		}
		if err := putDossier(x, &old, &d); err != nil {
			return err
		}
		if err := s.queueAction(x, &d, &ev); err != nil {
			return err
		}
		if err := saveRequest(x, in.RequestID, requestRecord{Kind: "action", DossierID: d.ID, EventSeq: d.EventSeq}); err != nil {
			return err
		}
		after, _ := json.Marshal(d)
		_, err = audit.Append(x, audit.Entry{
			At: now, Actor: by.ID, Role: by.Role, Action: string(in.Action), Object: "dossier/" + d.ID,
			Before: audit.Digest(before), After: audit.Digest(after), Summary: d.Code,
		})
		return err
	})
	if err != nil {
		return Dossier{}, dossier.Event{}, false, err
	}
	return d, ev, duplicate, nil
}

// apply makes the action's changes to d and records them in ev.
func (s *Service) apply(cal *calendar.Calendar, d *Dossier, ev *dossier.Event, in ActionInput, now time.Time) error {
	dur := calendar.Duration{Amount: d.ProcessingTime.Amount, Unit: calendar.Unit(d.ProcessingTime.Unit)}
	switch in.Action {
	case dossier.ActionReceiveComplete:
		due, err := cal.Due(now, dur)
		if err != nil {
			return err
		}
		d.ReceivedAt, d.DueAt, d.LegalDueAt, d.FirstDueAt = ptr(now), ptr(due), ptr(due), ptr(due)
		ev.Channel, ev.DueDate = d.Channel, ptr(due)
	case dossier.ActionRequestSupplement:
		d.PausedAt = ptr(now)
		d.SupplementItems, d.Reason = in.SupplementItems, in.Reason
	case dossier.ActionSupplementReceived:
		if d.DueAt == nil {
			// Incomplete at the counter: the dossier is received now and
			// the clock starts now, whatever the policy.
			due, err := cal.Due(now, dur)
			if err != nil {
				return err
			}
			d.ReceivedAt, d.DueAt, d.LegalDueAt, d.FirstDueAt = ptr(now), ptr(due), ptr(due), ptr(due)
			ev.DueDate = ptr(due)
		} else {
			policy := calendar.PauseAndShift
			if d.SupplementPolicy == catalog.SupplementRestart {
				policy = calendar.Restart
			}
			paused := now
			if d.PausedAt != nil {
				paused = *d.PausedAt
			}
			r, err := cal.Reschedule(policy, dur, *d.DueAt, paused, now)
			if err != nil {
				return err
			}
			ev.PrevDueDate, ev.DueDate = ptr(*d.DueAt), ptr(r.NewDue)
			d.DueAt, d.LegalDueAt = ptr(r.NewDue), ptr(r.NewDue)
		}
		d.PausedAt = nil
		d.SupplementItems = nil
	case dossier.ActionApologizeExtend:
		if in.DueDate == nil {
			return &ValidationError{Fields: map[string]string{"dueDate": ProblemRequired}}
		}
		if d.DueAt == nil || !in.DueDate.After(*d.DueAt) {
			return &ValidationError{Fields: map[string]string{"dueDate": ProblemNotAfter}}
		}
		ev.PrevDueDate, ev.DueDate = ptr(*d.DueAt), ptr(*in.DueDate)
		d.DueAt = ptr(*in.DueDate)
	case dossier.ActionTransfer:
		d.LeadAgency, d.LeadAgencyName = in.Agency, in.AgencyName
	case dossier.ActionAssign:
		d.Assignee = in.Assignee
	case dossier.ActionRecordResult:
		d.ResultDocs, d.ResultAt = in.ResultDocs, ptr(now)
	case dossier.ActionReturnResult:
		if in.ReturnMethod == "" {
			ev.ReturnMethod = d.ResultDelivery
		}
		d.ReturnedAt, d.ReturnMethod, d.ReceiverName = ptr(now), ev.ReturnMethod, in.ReceiverName
	case dossier.ActionRefuse, dossier.ActionStop, dossier.ActionApplicantWithdraw:
		d.Reason = in.Reason
	}
	return nil
}

// Problems returns the field problems behind err: a *ValidationError, or
// an event the state machine found incomplete, blamed on the request field
// its message names.
func Problems(err error) (*ValidationError, bool) {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve, true
	}
	if !errors.Is(err, dossier.ErrInvalidEvent) {
		return nil, false
	}
	msg := err.Error()
	field := "action"
	for _, c := range []struct{ needle, field string }{
		{"supplement items", "supplementItems"}, {"reason", "reason"}, {"assignee", "assignee"},
		{"agency", "agency"}, {"giver", "giver"}, {"receiver name", "receiverName"},
		{"return method", "returnMethod"}, {"due date", "dueDate"},
	} {
		if strings.Contains(msg, c.needle) {
			field = c.field
			break
		}
	}
	return &ValidationError{Fields: map[string]string{field: ProblemRequired}}, true
}
