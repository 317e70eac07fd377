package forms

import (
	"errors"
	"fmt"
)

// Kind identifies what a form is, independent of the number a circular gives it.
// The same renderer serves a kind in every set that has it.
type Kind int

// Form kinds of the one-stop desk.
const (
	KindReceipt     Kind = iota + 1 // Giấy tiếp nhận hồ sơ và hẹn trả kết quả
	KindSupplement                  // Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ
	KindRefusal                     // Phiếu từ chối tiếp nhận giải quyết hồ sơ
	KindApology                     // Phiếu xin lỗi (và hẹn lại / đề nghị gia hạn)
	KindStopNotice                  // Thông báo dừng giải quyết hồ sơ
	KindControlSlip                 // Phiếu kiểm soát quá trình giải quyết hồ sơ
	KindRegister                    // Sổ theo dõi hồ sơ
)

func (k Kind) String() string {
	switch k {
	case KindReceipt:
		return "receipt"
	case KindSupplement:
		return "supplement"
	case KindRefusal:
		return "refusal"
	case KindApology:
		return "apology"
	case KindStopNotice:
		return "stop-notice"
	case KindControlSlip:
		return "control-slip"
	case KindRegister:
		return "register"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Set is a numbered set of forms issued by one circular. Provinces moved from
// the 2018 set to the 2025 set at different times, so the set is configuration.
type Set string

// The known form sets.
const (
	// Set03_2025 is Thông tư 03/2025/TT-VPCP, Phụ lục I (guides Nghị định 118/2025/NĐ-CP).
	Set03_2025 Set = "03/2025/TT-VPCP"
	// Set01_2018 is Thông tư 01/2018/TT-VPCP (guided Nghị định 61/2018/NĐ-CP).
	Set01_2018 Set = "01/2018/TT-VPCP"
)

// Form is one numbered form of a set.
type Form struct {
	Number int    // "Mẫu số 01" → 1
	Kind   Kind   //
	Title  string // as printed, in capitals
}

// Label is the printed form number, e.g. "Mẫu số 01".
func (f Form) Label() string { return fmt.Sprintf("Mẫu số %02d", f.Number) }

var sets = map[Set][]Form{
	Set03_2025: {
		{1, KindReceipt, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"},
		{2, KindSupplement, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"},
		{3, KindRefusal, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"},
		{4, KindApology, "PHIẾU XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"},
		{5, KindStopNotice, "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ"},
		{6, KindControlSlip, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"},
		{7, KindRegister, "SỔ THEO DÕI HỒ SƠ"},
	},
	Set01_2018: {
		{1, KindReceipt, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"},
		{2, KindSupplement, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"},
		{3, KindRefusal, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"},
		{4, KindApology, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"},
		{5, KindControlSlip, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"},
		{6, KindRegister, "SỔ THEO DÕI HỒ SƠ"},
	},
}

// ErrUnknownSet is returned for a Set value that is not one of the constants.
var ErrUnknownSet = errors.New("unknown form set")

// UnknownFormError reports a form number or kind that the set does not have,
// e.g. Mẫu 05 or the stop notice in Set01_2018.
type UnknownFormError struct {
	Set    Set
	Number int  // 0 when the lookup was by kind
	Kind   Kind // 0 when the lookup was by number
}

func (e *UnknownFormError) Error() string {
	if e.Kind == 0 {
		return fmt.Sprintf("form set %s has no form %02d", e.Set, e.Number)
	}
	return fmt.Sprintf("form set %s has no %s form", e.Set, e.Kind)
}

// Valid reports whether s is a known set.
func (s Set) Valid() bool {
	_, ok := sets[s]
	return ok
}

// Forms lists the forms of the set in number order.
func (s Set) Forms() []Form {
	return append([]Form(nil), sets[s]...)
}

// Form returns the form with the given number.
func (s Set) Form(number int) (Form, error) {
	if !s.Valid() {
		return Form{}, fmt.Errorf("%w: %q", ErrUnknownSet, string(s))
	}
	for _, f := range sets[s] {
		if f.Number == number {
			return f, nil
		}
	}
	return Form{}, &UnknownFormError{Set: s, Number: number}
}

// FormOf returns the set's form of the given kind.
func (s Set) FormOf(k Kind) (Form, error) {
	if !s.Valid() {
		return Form{}, fmt.Errorf("%w: %q", ErrUnknownSet, string(s))
	}
	for _, f := range sets[s] {
		if f.Kind == k {
			return f, nil
		}
	}
	return Form{}, &UnknownFormError{Set: s, Kind: k}
}

// Source is the citation printed under the form number, e.g. "TT 03/2025/TT-VPCP".
func (s Set) Source() string { return "Thông tư " + string(s) }
