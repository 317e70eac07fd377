package dossier

import (
	"errors"
	"fmt"
)

// State is where a dossier is in its lifecycle. The values are stable
// identifiers stored on disk and sent to the hub; never rename one.
type State string

// The lifecycle states; see the package documentation for the flow.
const (
	// StateNone is "no dossier yet": the applicant at the counter.
	StateNone               State = ""
	StateSubmitted          State = "submitted"
	StateReceived           State = "received"
	StateAwaitingSupplement State = "awaiting_supplement"
	StateRefused            State = "refused"
	StateProcessing         State = "processing"
	StateTransferred        State = "transferred"
	StateAwaitingPayment    State = "awaiting_payment"
	StateWithdrawn          State = "withdrawn"
	StateStopped            State = "stopped"
	StateResultReady        State = "result_ready"
	StateReturned           State = "returned"
)

type stateInfo struct {
	label    string
	national int
}

var states = map[State]stateInfo{
	StateSubmitted:          {"Chờ tiếp nhận", 1},
	StateReceived:           {"Đã tiếp nhận", 2},
	StateAwaitingSupplement: {"Chờ bổ sung", 5},
	StateRefused:            {"Từ chối tiếp nhận", 3},
	StateProcessing:         {"Đang xử lý", 4},
	// The national list has no transfer status; the dossier is still being
	// processed, by another agency.
	StateTransferred:     {"Liên thông — chuyển xử lý", 4},
	StateAwaitingPayment: {"Chờ thực hiện nghĩa vụ tài chính", 6},
	StateWithdrawn:       {"Đã rút hồ sơ", 7},
	StateStopped:         {"Dừng giải quyết", 8},
	StateResultReady:     {"Đã có kết quả", 9},
	StateReturned:        {"Đã trả kết quả", 10},
}

// States returns every state a dossier can be in, StateNone excluded, in
// lifecycle order.
func States() []State {
	return []State{
		StateSubmitted, StateReceived, StateAwaitingSupplement, StateRefused,
		StateProcessing, StateTransferred, StateAwaitingPayment, StateWithdrawn,
		StateStopped, StateResultReady, StateReturned,
	}
}

// Valid reports whether s is a known state other than StateNone.
func (s State) Valid() bool {
	_, ok := states[s]
	return ok
}

// Label returns the Vietnamese name shown to users, or "" for an unknown
// state.
func (s State) Label() string { return states[s].label }

// NationalStatus returns the TrangThaiHoSo code (1–10) of the national
// portal, or 0 for StateNone and unknown states.
func (s State) NationalStatus() int { return states[s].national }

// Terminal reports whether no action is allowed from s.
func (s State) Terminal() bool {
	switch s {
	case StateRefused, StateWithdrawn, StateStopped, StateReturned:
		return true
	}
	return false
}

// nationalLabels are the TrangThaiHoSo names of the national portal.
var nationalLabels = [...]string{
	1:  "Mới đăng ký",
	2:  "Được tiếp nhận",
	3:  "Không được tiếp nhận",
	4:  "Đang xử lý",
	5:  "Yêu cầu bổ sung giấy tờ",
	6:  "Yêu cầu thực hiện nghĩa vụ tài chính",
	7:  "Công dân yêu cầu rút hồ sơ",
	8:  "Dừng xử lý",
	9:  "Đã xử lý xong",
	10: "Đã trả kết quả",
}

// NationalStatusLabel returns the portal's name of a TrangThaiHoSo code, or
// "" when code is not 1–10.
func NationalStatusLabel(code int) string {
	if code < 1 || code >= len(nationalLabels) {
		return ""
	}
	return nationalLabels[code]
}

// Action is something a user does to a dossier. Each action is recorded as
// an Event. The values are stable identifiers; never rename one.
type Action string

// The actions; see the package documentation for where each is allowed.
const (
	ActionSubmit             Action = "submit"
	ActionReceiveComplete    Action = "receive_complete"
	ActionReceiveIncomplete  Action = "receive_incomplete"
	ActionRefuse             Action = "refuse"
	ActionAssign             Action = "assign"
	ActionStartProcessing    Action = "start_processing"
	ActionTransfer           Action = "transfer"
	ActionHandover           Action = "handover"
	ActionRequestSupplement  Action = "request_supplement"
	ActionSupplementReceived Action = "supplement_received"
	ActionRequestPayment     Action = "request_payment"
	ActionPaymentDone        Action = "payment_done"
	ActionApplicantWithdraw  Action = "applicant_withdraw"
	ActionStop               Action = "stop"
	ActionApologizeExtend    Action = "apologize_extend"
	ActionRecordResult       Action = "record_result"
	ActionReturnResult       Action = "return_result"
)

var actionLabels = map[Action]string{
	ActionSubmit:             "Ghi nhận hồ sơ nộp trực tuyến, qua bưu chính",
	ActionReceiveComplete:    "Tiếp nhận hồ sơ",
	ActionReceiveIncomplete:  "Hướng dẫn bổ sung, hoàn thiện hồ sơ",
	ActionRefuse:             "Từ chối tiếp nhận, giải quyết hồ sơ",
	ActionAssign:             "Phân công xử lý",
	ActionStartProcessing:    "Bắt đầu xử lý",
	ActionTransfer:           "Chuyển liên thông",
	ActionHandover:           "Giao nhận hồ sơ",
	ActionRequestSupplement:  "Yêu cầu bổ sung hồ sơ",
	ActionSupplementReceived: "Nhận hồ sơ bổ sung",
	ActionRequestPayment:     "Yêu cầu thực hiện nghĩa vụ tài chính",
	ActionPaymentDone:        "Đã thực hiện nghĩa vụ tài chính",
	ActionApplicantWithdraw:  "Công dân rút hồ sơ",
	ActionStop:               "Dừng giải quyết hồ sơ",
	ActionApologizeExtend:    "Xin lỗi và hẹn lại ngày trả kết quả",
	ActionRecordResult:       "Cập nhật kết quả giải quyết",
	ActionReturnResult:       "Trả kết quả",
}

// Actions returns every action in desk order; Allowed keeps this order so
// buttons do not jump around between states.
func Actions() []Action {
	return []Action{
		ActionSubmit, ActionReceiveComplete, ActionReceiveIncomplete, ActionRefuse,
		ActionAssign, ActionStartProcessing, ActionTransfer, ActionHandover,
		ActionRequestSupplement, ActionSupplementReceived, ActionRequestPayment,
		ActionPaymentDone, ActionApologizeExtend, ActionRecordResult,
		ActionReturnResult, ActionApplicantWithdraw, ActionStop,
	}
}

// Valid reports whether a is a known action.
func (a Action) Valid() bool {
	_, ok := actionLabels[a]
	return ok
}

// Label returns the Vietnamese name of the action (a button caption), or ""
// for an unknown action.
func (a Action) Label() string { return actionLabels[a] }

// ErrInvalidTransition is wrapped by every *TransitionError.
var ErrInvalidTransition = errors.New("invalid dossier transition")

// TransitionError reports an action that is not allowed in a state.
type TransitionError struct {
	From   State
	Action Action
}

func (e *TransitionError) Error() string {
	from := string(e.From)
	if e.From == StateNone {
		from = "none"
	}
	return fmt.Sprintf("dossier: action %q not allowed in state %q", e.Action, from)
}

func (e *TransitionError) Unwrap() error { return ErrInvalidTransition }

type edge struct {
	from   State
	action Action
}

// transitions is the lifecycle table; the package documentation shows it in
// desk order. Keep the two in step.
var transitions = func() map[edge]State {
	t := map[edge]State{}
	add := func(a Action, to State, from ...State) {
		for _, f := range from {
			t[edge{f, a}] = to
		}
	}
	// selfLoop marks actions that are logged without moving the dossier.
	selfLoop := func(a Action, from ...State) {
		for _, f := range from {
			t[edge{f, a}] = f
		}
	}
	add(ActionSubmit, StateSubmitted, StateNone)
	add(ActionReceiveComplete, StateReceived, StateNone, StateSubmitted)
	add(ActionReceiveIncomplete, StateAwaitingSupplement, StateNone, StateSubmitted)
	add(ActionRefuse, StateRefused,
		StateNone, StateSubmitted, StateAwaitingSupplement, StateReceived, StateProcessing, StateTransferred)
	add(ActionSupplementReceived, StateReceived, StateAwaitingSupplement)
	add(ActionAssign, StateProcessing, StateReceived, StateProcessing)
	add(ActionStartProcessing, StateProcessing, StateReceived)
	add(ActionTransfer, StateTransferred, StateReceived, StateProcessing, StateTransferred)
	add(ActionRequestSupplement, StateAwaitingSupplement, StateReceived, StateProcessing, StateTransferred)
	add(ActionRequestPayment, StateAwaitingPayment, StateProcessing, StateTransferred)
	add(ActionPaymentDone, StateProcessing, StateAwaitingPayment)
	add(ActionRecordResult, StateResultReady, StateReceived, StateProcessing, StateTransferred)
	add(ActionReturnResult, StateReturned, StateResultReady)
	selfLoop(ActionApologizeExtend, StateReceived, StateProcessing, StateTransferred)
	selfLoop(ActionHandover,
		StateReceived, StateAwaitingSupplement, StateProcessing, StateTransferred,
		StateAwaitingPayment, StateResultReady)
	add(ActionApplicantWithdraw, StateWithdrawn,
		StateSubmitted, StateReceived, StateAwaitingSupplement, StateProcessing,
		StateTransferred, StateAwaitingPayment)
	add(ActionStop, StateStopped,
		StateReceived, StateAwaitingSupplement, StateProcessing, StateTransferred, StateAwaitingPayment)
	return t
}()

// Transition returns the state a dossier in from reaches by action a, or a
// *TransitionError when the table does not allow it.
func Transition(from State, a Action) (State, error) {
	to, ok := transitions[edge{from, a}]
	if !ok {
		return from, &TransitionError{From: from, Action: a}
	}
	return to, nil
}

// Allowed returns the actions allowed from state, in the order of Actions.
// The desk shows exactly these buttons.
func Allowed(from State) []Action {
	var out []Action
	for _, a := range Actions() {
		if _, ok := transitions[edge{from, a}]; ok {
			out = append(out, a)
		}
	}
	return out
}
