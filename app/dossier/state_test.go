package dossier

import (
	"errors"
	"slices"
	"testing"

	"motcua/app/vntext"
)

// wantTransitions restates the lifecycle table of doc.go independently of
// the implementation: state → action → resulting state.
var wantTransitions = map[State]map[Action]State{
	StateNone: {
		ActionSubmit:            StateSubmitted,
		ActionReceiveComplete:   StateReceived,
		ActionReceiveIncomplete: StateAwaitingSupplement,
		ActionRefuse:            StateRefused,
	},
	StateSubmitted: {
		ActionReceiveComplete:   StateReceived,
		ActionReceiveIncomplete: StateAwaitingSupplement,
		ActionRefuse:            StateRefused,
		ActionApplicantWithdraw: StateWithdrawn,
	},
	StateAwaitingSupplement: {
		ActionSupplementReceived: StateReceived,
		ActionRefuse:             StateRefused,
		ActionHandover:           StateAwaitingSupplement,
		ActionApplicantWithdraw:  StateWithdrawn,
		ActionStop:               StateStopped,
	},
	StateReceived: {
		ActionRefuse:            StateRefused,
		ActionAssign:            StateProcessing,
		ActionStartProcessing:   StateProcessing,
		ActionTransfer:          StateTransferred,
		ActionHandover:          StateReceived,
		ActionRequestSupplement: StateAwaitingSupplement,
		ActionApologizeExtend:   StateReceived,
		ActionRecordResult:      StateResultReady,
		ActionApplicantWithdraw: StateWithdrawn,
		ActionStop:              StateStopped,
	},
	StateProcessing: {
		ActionRefuse:            StateRefused,
		ActionAssign:            StateProcessing,
		ActionTransfer:          StateTransferred,
		ActionHandover:          StateProcessing,
		ActionRequestSupplement: StateAwaitingSupplement,
		ActionRequestPayment:    StateAwaitingPayment,
		ActionApologizeExtend:   StateProcessing,
		ActionRecordResult:      StateResultReady,
		ActionApplicantWithdraw: StateWithdrawn,
		ActionStop:              StateStopped,
	},
	StateTransferred: {
		ActionRefuse:            StateRefused,
		ActionTransfer:          StateTransferred,
		ActionHandover:          StateTransferred,
		ActionRequestSupplement: StateAwaitingSupplement,
		ActionRequestPayment:    StateAwaitingPayment,
		ActionApologizeExtend:   StateTransferred,
		ActionRecordResult:      StateResultReady,
		ActionApplicantWithdraw: StateWithdrawn,
		ActionStop:              StateStopped,
	},
	StateAwaitingPayment: {
		ActionHandover:          StateAwaitingPayment,
		ActionPaymentDone:       StateProcessing,
		ActionApplicantWithdraw: StateWithdrawn,
		ActionStop:              StateStopped,
	},
	StateResultReady: {
		ActionHandover:     StateResultReady,
		ActionReturnResult: StateReturned,
	},
	StateRefused:   {},
	StateWithdrawn: {},
	StateStopped:   {},
	StateReturned:  {},
}

func TestTransitionExhaustive(t *testing.T) {
	allStates := append([]State{StateNone, "bogus"}, States()...)
	allActions := append(Actions(), "bogus")
	if len(wantTransitions) != len(States())+1 {
		t.Fatalf("test table covers %d states, want %d", len(wantTransitions), len(States())+1)
	}
	for _, from := range allStates {
		for _, a := range allActions {
			want, ok := wantTransitions[from][a]
			got, err := Transition(from, a)
			switch {
			case ok && err != nil:
				t.Errorf("Transition(%q, %q) = error %v, want %q", from, a, err, want)
			case ok && got != want:
				t.Errorf("Transition(%q, %q) = %q, want %q", from, a, got, want)
			case !ok && err == nil:
				t.Errorf("Transition(%q, %q) = %q, want an error", from, a, got)
			case !ok:
				var te *TransitionError
				if !errors.As(err, &te) || te.From != from || te.Action != a {
					t.Errorf("Transition(%q, %q) error = %#v, want *TransitionError{%q, %q}", from, a, err, from, a)
				}
				if !errors.Is(err, ErrInvalidTransition) {
					t.Errorf("Transition(%q, %q) error %v does not wrap ErrInvalidTransition", from, a, err)
				}
				if got != from {
					t.Errorf("Transition(%q, %q) failed but returned %q, want the unchanged state", from, a, got)
				}
			}
		}
	}
}

func TestAllowed(t *testing.T) {
	for _, from := range append([]State{StateNone}, States()...) {
		var want []Action
		for _, a := range Actions() {
			if _, ok := wantTransitions[from][a]; ok {
				want = append(want, a)
			}
		}
		if got := Allowed(from); !slices.Equal(got, want) {
			t.Errorf("Allowed(%q) = %q, want %q", from, got, want)
		}
		if from.Terminal() != (len(want) == 0) {
			t.Errorf("%q: Terminal() = %v with %d allowed actions", from, from.Terminal(), len(want))
		}
	}
	if got := Allowed("bogus"); got != nil {
		t.Errorf("Allowed(bogus) = %q, want none", got)
	}
}

// TestLifecycleGraph checks properties a table edit could silently break:
// every state is reachable from the counter, and every open state can still
// end.
func TestLifecycleGraph(t *testing.T) {
	reach := map[State]bool{StateNone: true}
	queue := []State{StateNone}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, a := range Allowed(s) {
			to, _ := Transition(s, a)
			if !reach[to] {
				reach[to] = true
				queue = append(queue, to)
			}
		}
	}
	for _, s := range States() {
		if !reach[s] {
			t.Errorf("state %q is unreachable", s)
		}
	}
	for _, s := range States() {
		if s.Terminal() {
			continue
		}
		seen := map[State]bool{s: true}
		queue := []State{s}
		ends := false
		for len(queue) > 0 && !ends {
			cur := queue[0]
			queue = queue[1:]
			for _, a := range Allowed(cur) {
				to, _ := Transition(cur, a)
				if to.Terminal() {
					ends = true
				}
				if !seen[to] {
					seen[to] = true
					queue = append(queue, to)
				}
			}
		}
		if !ends {
			t.Errorf("no terminal state is reachable from %q", s)
		}
	}
}

func TestStateLabelsAndNationalStatus(t *testing.T) {
	want := map[State]int{
		StateSubmitted:          1,
		StateReceived:           2,
		StateRefused:            3,
		StateProcessing:         4,
		StateTransferred:        4,
		StateAwaitingSupplement: 5,
		StateAwaitingPayment:    6,
		StateWithdrawn:          7,
		StateStopped:            8,
		StateResultReady:        9,
		StateReturned:           10,
	}
	if len(States()) != len(want) {
		t.Fatalf("States() has %d states, test expects %d", len(States()), len(want))
	}
	labels := map[string]State{}
	for _, s := range States() {
		if got := s.NationalStatus(); got != want[s] {
			t.Errorf("%q.NationalStatus() = %d, want %d", s, got, want[s])
		}
		if !s.Valid() {
			t.Errorf("%q.Valid() = false", s)
		}
		checkLabel(t, string(s), s.Label())
		if other, dup := labels[s.Label()]; dup {
			t.Errorf("states %q and %q share label %q", s, other, s.Label())
		}
		labels[s.Label()] = s
	}
	for _, s := range []State{StateNone, "bogus"} {
		if s.Valid() || s.Label() != "" || s.NationalStatus() != 0 {
			t.Errorf("%q: Valid %v, Label %q, NationalStatus %d; want false, empty, 0",
				s, s.Valid(), s.Label(), s.NationalStatus())
		}
	}
}

func TestNationalStatusLabel(t *testing.T) {
	tests := []struct {
		code int
		want string
	}{
		{0, ""}, {1, "Mới đăng ký"}, {3, "Không được tiếp nhận"}, {5, "Yêu cầu bổ sung giấy tờ"},
		{9, "Đã xử lý xong"}, {10, "Đã trả kết quả"}, {11, ""}, {-1, ""},
	}
	for _, tt := range tests {
		if got := NationalStatusLabel(tt.code); got != tt.want {
			t.Errorf("NationalStatusLabel(%d) = %q, want %q", tt.code, got, tt.want)
		}
	}
	for code := 1; code <= 10; code++ {
		checkLabel(t, "national status", NationalStatusLabel(code))
	}
}

func TestActionLabels(t *testing.T) {
	if len(Actions()) != len(actionLabels) {
		t.Fatalf("Actions() lists %d actions, %d have labels", len(Actions()), len(actionLabels))
	}
	labels := map[string]Action{}
	for _, a := range Actions() {
		if !a.Valid() {
			t.Errorf("%q.Valid() = false", a)
		}
		checkLabel(t, string(a), a.Label())
		if other, dup := labels[a.Label()]; dup {
			t.Errorf("actions %q and %q share label %q", a, other, a.Label())
		}
		labels[a.Label()] = a
	}
	if Action("bogus").Valid() || Action("bogus").Label() != "" {
		t.Error("unknown action is valid or labelled")
	}
}

func TestTransitionErrorMessage(t *testing.T) {
	_, err := Transition(StateReturned, ActionRefuse)
	if got, want := err.Error(), `dossier: action "refuse" not allowed in state "returned"`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	_, err = Transition(StateNone, ActionReturnResult)
	if got, want := err.Error(), `dossier: action "return_result" not allowed in state "none"`; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

// checkLabel fails unless label is user-presentable Vietnamese: non-empty,
// NFC and without surrounding space.
func checkLabel(t *testing.T, what, label string) {
	t.Helper()
	if label == "" {
		t.Errorf("%s: empty label", what)
		return
	}
	if !vntext.IsNFC(label) {
		t.Errorf("%s: label %+q is not NFC", what, label)
	}
	if vntext.Fold(label) == "" || label[0] == ' ' || label[len(label)-1] == ' ' {
		t.Errorf("%s: label %q has stray spaces", what, label)
	}
}
