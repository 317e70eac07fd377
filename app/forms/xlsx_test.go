package forms

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestRegisterXLSX(t *testing.T) {
	for _, set := range []Set{Set03_2025, Set01_2018} {
		t.Run(set.Source(), func(t *testing.T) {
			var buf bytes.Buffer
			if err := testRenderer(t, set).RegisterXLSX(&buf, testRegister()); err != nil {
				t.Fatal(err)
			}
			f, err := excelize.OpenReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.GetSheetList(); len(got) != 1 || got[0] != registerSheet {
				t.Fatalf("sheets = %q, want [%q]", got, registerSheet)
			}
			get := func(cell string) string {
				t.Helper()
				v, err := f.GetCellValue(registerSheet, cell)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			form, _ := set.FormOf(KindRegister)
			h, s := registerHeaderRow, registerHeaderRow+1
			d := registerFirstData
			cells := map[string]string{
				"A1": "UBND XÃ AN BÌNH",
				"A2": "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ AN BÌNH",
				"F1": "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
				"F2": "Độc lập - Tự do - Hạnh phúc",
				"F3": form.Label() + " – " + set.Source(),
				"A4": "SỔ THEO DÕI HỒ SƠ",
				"A5": "Lĩnh vực: Hộ tịch     Quyển số: 01/2026",
				// Header: single columns, the merged group and its four sub-columns.
				fmt.Sprint("A", h): "STT",
				fmt.Sprint("B", h): "Mã hồ sơ",
				fmt.Sprint("C", h): "Tên TTHC",
				fmt.Sprint("D", h): "Tên tổ chức, cá nhân",
				fmt.Sprint("E", h): "Địa chỉ, số điện thoại",
				fmt.Sprint("F", h): "Cơ quan chủ trì giải quyết",
				fmt.Sprint("G", h): "Nhận và trả kết quả",
				fmt.Sprint("G", s): "Nhận hồ sơ",
				fmt.Sprint("H", s): "Hẹn trả kết quả",
				fmt.Sprint("I", s): "Trả kết quả",
				fmt.Sprint("J", s): "Phương thức nhận kết quả",
				fmt.Sprint("K", h): "Ký nhận",
				// Rows.
				fmt.Sprint("A", d):   "1",
				fmt.Sprint("B", d):   testCode,
				fmt.Sprint("C", d):   "Đăng ký khai sinh",
				fmt.Sprint("D", d):   testName,
				fmt.Sprint("E", d):   "Thôn Đông, xã An Bình, tỉnh Đồng Nai; ĐT: 0912 345 678",
				fmt.Sprint("F", d):   "UBND xã An Bình",
				fmt.Sprint("G", d):   "05/03/2026 09:15",
				fmt.Sprint("H", d):   "06/03/2026 16:00",
				fmt.Sprint("I", d):   "06/03/2026 10:05",
				fmt.Sprint("J", d):   "Trực tiếp",
				fmt.Sprint("K", d):   "",
				fmt.Sprint("A", d+1): "2",
				fmt.Sprint("D", d+1): "Hoàng Văn Ẩn",
				fmt.Sprint("E", d+1): "Xóm Bãi, xã An Bình",
				fmt.Sprint("H", d+1): "05/03/2026 16:30",
				fmt.Sprint("I", d+1): "",
				fmt.Sprint("J", d+1): "Bưu chính công ích",
				fmt.Sprint("A", d+2): "",
			}
			for cell, want := range cells {
				if got := get(cell); got != want {
					t.Errorf("%s = %q, want %q", cell, got, want)
				}
			}

			merges, err := f.GetMergeCells(registerSheet)
			if err != nil {
				t.Fatal(err)
			}
			have := map[string]bool{}
			for _, m := range merges {
				have[m.GetStartAxis()+":"+m.GetEndAxis()] = true
			}
			for _, want := range []string{
				fmt.Sprintf("G%d:J%d", h, h), fmt.Sprintf("A%d:A%d", h, s), fmt.Sprintf("K%d:K%d", h, s), "A4:K4",
			} {
				if !have[want] {
					t.Errorf("range %s is not merged; merges: %v", want, have)
				}
			}

			// Dates are real date cells, not text, so they sort and filter.
			typ, err := f.GetCellType(registerSheet, fmt.Sprint("G", d))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := f.GetCellValue(registerSheet, fmt.Sprint("G", d), excelize.Options{RawCellValue: true})
			if typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString || raw == "05/03/2026 09:15" {
				t.Errorf("received date stored as text (type %v, raw %q)", typ, raw)
			}
			for col, min := range map[string]float64{"B": 20, "C": 30, "G": 15, "K": 10} {
				w, err := f.GetColWidth(registerSheet, col)
				if err != nil || w < min {
					t.Errorf("column %s width = %v (%v), want ≥ %v", col, w, err, min)
				}
			}
		})
	}
}
