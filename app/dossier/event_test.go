package dossier

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestEventValidate(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 15, 0, 0, vietnam)
	due := at.Add(48 * time.Hour)
	later := due.Add(72 * time.Hour)
	base := func(a Action, from, to State) Event {
		return Event{ID: "01J0000000000000000000000", DossierID: "H56-260302-0001", Action: a,
			From: from, To: to, Actor: "u1", At: at}
	}
	with := func(e Event, f func(*Event)) Event { f(&e); return e }

	valid := []Event{
		with(base(ActionReceiveComplete, StateNone, StateReceived), func(e *Event) {
			e.Channel, e.DueDate = ChannelInPerson, &due
		}),
		with(base(ActionSubmit, StateNone, StateSubmitted), func(e *Event) { e.Channel = ChannelPostal }),
		with(base(ActionReceiveIncomplete, StateNone, StateAwaitingSupplement), func(e *Event) {
			e.Channel, e.SupplementItems = ChannelInPerson, []string{"Giấy chứng sinh"}
		}),
		with(base(ActionRefuse, StateSubmitted, StateRefused), func(e *Event) { e.Reason = "Không thuộc thẩm quyền" }),
		with(base(ActionAssign, StateReceived, StateProcessing), func(e *Event) { e.Assignee = "tuphap1" }),
		with(base(ActionStartProcessing, StateReceived, StateProcessing), func(*Event) {}),
		with(base(ActionTransfer, StateProcessing, StateTransferred), func(e *Event) { e.Agency = "000.00.06.H56" }),
		with(base(ActionHandover, StateProcessing, StateProcessing), func(e *Event) { e.Giver, e.Receiver = "a", "b" }),
		with(base(ActionApologizeExtend, StateProcessing, StateProcessing), func(e *Event) {
			e.Reason, e.PrevDueDate, e.DueDate = "Cần xác minh", &due, &later
		}),
		with(base(ActionReturnResult, StateResultReady, StateReturned), func(e *Event) {
			e.ReturnMethod, e.ReceiverName = ReturnPost, "Nguyễn Văn A"
		}),
		with(base(ActionStop, StateAwaitingSupplement, StateStopped), func(e *Event) { e.Reason = "Quá hạn bổ sung" }),
	}
	for _, e := range valid {
		if err := e.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v, want nil", e.Action, err)
		}
	}

	ok := valid[0]
	invalid := []struct {
		name string
		e    Event
		want error
	}{
		{"no id", with(ok, func(e *Event) { e.ID = "" }), ErrInvalidEvent},
		{"no dossier", with(ok, func(e *Event) { e.DossierID = "" }), ErrInvalidEvent},
		{"no actor", with(ok, func(e *Event) { e.Actor = "" }), ErrInvalidEvent},
		{"no time", with(ok, func(e *Event) { e.At = time.Time{} }), ErrInvalidEvent},
		{"negative amount", with(ok, func(e *Event) { e.Amount = -1 }), ErrInvalidEvent},
		{"illegal transition", with(ok, func(e *Event) { e.From = StateReturned }), ErrInvalidTransition},
		{"wrong to", with(ok, func(e *Event) { e.To = StateProcessing }), ErrInvalidEvent},
		{"bad channel", with(ok, func(e *Event) { e.Channel = "fax" }), ErrInvalidEvent},
		{"receive without channel", with(ok, func(e *Event) { e.Channel = "" }), ErrInvalidEvent},
		{"receive without due date", with(ok, func(e *Event) { e.DueDate = nil }), ErrInvalidEvent},
		{"supplement without items", with(valid[2], func(e *Event) { e.SupplementItems = nil }), ErrInvalidEvent},
		{"refuse without reason", with(valid[3], func(e *Event) { e.Reason = "" }), ErrInvalidEvent},
		{"assign without assignee", with(valid[4], func(e *Event) { e.Assignee = "" }), ErrInvalidEvent},
		{"transfer without agency", with(valid[6], func(e *Event) { e.Agency = "" }), ErrInvalidEvent},
		{"handover without receiver", with(valid[7], func(e *Event) { e.Receiver = "" }), ErrInvalidEvent},
		{"apology without reason", with(valid[8], func(e *Event) { e.Reason = "" }), ErrInvalidEvent},
		{"apology without old date", with(valid[8], func(e *Event) { e.PrevDueDate = nil }), ErrInvalidEvent},
		{"apology moving date back", with(valid[8], func(e *Event) { e.PrevDueDate, e.DueDate = &later, &due }), ErrInvalidEvent},
		{"return without method", with(valid[9], func(e *Event) { e.ReturnMethod = "" }), ErrInvalidEvent},
		{"return without receiver", with(valid[9], func(e *Event) { e.ReceiverName = "" }), ErrInvalidEvent},
		{"stop without reason", with(valid[10], func(e *Event) { e.Reason = "" }), ErrInvalidEvent},
	}
	for _, tt := range invalid {
		if err := tt.e.Validate(); !errors.Is(err, tt.want) {
			t.Errorf("%s: Validate() = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestEventJSON(t *testing.T) {
	due := time.Date(2026, 3, 4, 17, 0, 0, 0, vietnam)
	e := Event{
		ID: "e1", DossierID: "d1", Action: ActionReceiveComplete, From: StateNone, To: StateReceived,
		Actor: "u1", At: time.Date(2026, 3, 2, 9, 15, 0, 0, vietnam), Channel: ChannelInPerson, DueDate: &due,
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"e1","dossierId":"d1","action":"receive_complete","from":"","to":"received","actor":"u1",` +
		`"at":"2026-03-02T09:15:00+07:00","channel":"in_person","dueDate":"2026-03-04T17:00:00+07:00"}`
	if string(b) != want {
		t.Errorf("json = %s\nwant   %s", b, want)
	}
	var back Event
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.At.Equal(e.At) || !back.DueDate.Equal(*e.DueDate) {
		t.Errorf("times changed in round trip: %+v", back)
	}
	back.At, back.DueDate = e.At, e.DueDate
	if !reflect.DeepEqual(back, e) {
		t.Errorf("round trip = %+v, want %+v", back, e)
	}
}
