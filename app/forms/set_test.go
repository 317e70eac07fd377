package forms

import (
	"errors"
	"testing"
)

func TestSets(t *testing.T) {
	tests := []struct {
		set    Set
		number int
		kind   Kind
		title  string
	}{
		{Set03_2025, 1, KindReceipt, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"},
		{Set03_2025, 2, KindSupplement, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"},
		{Set03_2025, 3, KindRefusal, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"},
		{Set03_2025, 4, KindApology, "PHIẾU XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"},
		{Set03_2025, 5, KindStopNotice, "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ"},
		{Set03_2025, 6, KindControlSlip, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"},
		{Set03_2025, 7, KindRegister, "SỔ THEO DÕI HỒ SƠ"},
		{Set01_2018, 1, KindReceipt, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"},
		{Set01_2018, 4, KindApology, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"},
		{Set01_2018, 5, KindControlSlip, "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"},
		{Set01_2018, 6, KindRegister, "SỔ THEO DÕI HỒ SƠ"},
	}
	for _, tc := range tests {
		f, err := tc.set.Form(tc.number)
		if err != nil {
			t.Errorf("%s.Form(%d): %v", tc.set, tc.number, err)
			continue
		}
		if f.Kind != tc.kind || f.Title != tc.title {
			t.Errorf("%s.Form(%d) = %v %q, want %v %q", tc.set, tc.number, f.Kind, f.Title, tc.kind, tc.title)
		}
		if g, err := tc.set.FormOf(tc.kind); err != nil || g != f {
			t.Errorf("%s.FormOf(%v) = %+v, %v; want %+v", tc.set, tc.kind, g, err, f)
		}
	}
	if n := len(Set03_2025.Forms()); n != 7 {
		t.Errorf("Set03_2025 has %d forms, want 7", n)
	}
	if n := len(Set01_2018.Forms()); n != 6 {
		t.Errorf("Set01_2018 has %d forms, want 6", n)
	}
	var ue *UnknownFormError
	if _, err := Set01_2018.FormOf(KindStopNotice); !errors.As(err, &ue) || ue.Kind != KindStopNotice {
		t.Errorf("Set01_2018.FormOf(stop notice) err = %v, want *UnknownFormError", err)
	}
	if _, err := Set("x").Form(1); !errors.Is(err, ErrUnknownSet) {
		t.Errorf("unknown set err = %v", err)
	}
	if got := (Form{Number: 1}).Label(); got != "Mẫu số 01" {
		t.Errorf("Label() = %q", got)
	}
}
