package forms

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

// TestForms renders every form of both sets and reads each back: text with
// pdftotext, QR code and barcode with zbarimg from a 150-dpi raster.
func TestForms(t *testing.T) {
	// What each kind must show besides its title, dossier code and applicant.
	extra := map[Kind][]string{
		KindReceipt: {
			"Thời gian nhận hồ sơ: 09 giờ 15 phút, ngày 05/03/2026",
			"Thời gian trả kết quả giải quyết hồ sơ: 16 giờ 00 phút, ngày 06/03/2026",
			"An Bình, ngày 05 tháng 3 năm 2026",
			"Tờ khai đăng ký khai sinh theo mẫu",
			"Trần Văn Bình",
		},
		KindSupplement: {"17 giờ 00 phút, ngày 12/03/2026", "Bổ sung Giấy chứng sinh bản chính."},
		KindRefusal:    {"Việc khai sinh không thuộc thẩm quyền giải quyết"},
		KindApology: {
			"Thời gian hẹn trả kết quả giải quyết hồ sơ: 16 giờ 00 phút, ngày 06/03/2026",
			"10 giờ 30 phút, ngày 10/03/2026",
		},
		KindStopNotice:  {"Thời gian hẹn trả kết quả: 16 giờ 00 phút, ngày 06/03/2026", "Công dân đề nghị rút hồ sơ"},
		KindControlSlip: {"Thời gian hẹn trả kết quả: 16 giờ 00 phút, ngày 06/03/2026", "09 giờ 30 phút, ngày 05/03/2026", "Trước hạn", "Đúng hạn"},
		KindRegister:    {"Nhận và trả kết quả", "05/03/2026", "06/03/2026", "Trực tiếp", "Hoàng Văn Ẩn"},
	}
	// The form label names the circular of the set.
	setExtra := map[Set][]string{
		Set03_2025: {"Thông tư 03/2025/TT-VPCP"},
		Set01_2018: {"Thông tư 01/2018/TT-VPCP"},
	}
	for _, set := range []Set{Set03_2025, Set01_2018} {
		r := testRenderer(t, set)
		for _, form := range set.Forms() {
			t.Run(fmt.Sprintf("TT%s/%02d-%s", strings.ReplaceAll(string(set[:7]), "/", "-"), form.Number, form.Kind), func(t *testing.T) {
				path := writePDF(t, func(b *bytes.Buffer) error { return r.Render(b, form.Number, testData(form.Kind)) })
				pages := pdfPages(t, path)
				if len(pages) != 1 {
					t.Errorf("got %d pages, want 1", len(pages))
				}
				text := strings.Join(pages, "\f")
				want := append([]string{form.Title, testCode, testName, form.Label()}, extra[form.Kind]...)
				want = append(want, setExtra[set]...)
				for _, w := range want {
					if !strings.Contains(text, w) {
						t.Errorf("text lacks %q; got:\n%s", w, text)
					}
				}

				codes := scanCodes(t, pagePNG(t, path, 1, 150))
				if form.Kind == KindRegister {
					if len(codes) != 0 {
						t.Errorf("register carries codes %q, want none", codes)
					}
					return
				}
				checkCodes(t, codes, QRPayload{DossierCode: testCode, ProcedureCode: testProcedure, Set: set, Form: form.Number})
			})
		}
	}
}

// checkCodes asserts that codes hold exactly the form's QR payload and the
// Code128 of the bare dossier code.
func checkCodes(t *testing.T, codes []string, want QRPayload) {
	t.Helper()
	var gotQR, gotBar bool
	for _, c := range codes {
		if c == want.DossierCode {
			gotBar = true
			continue
		}
		p, err := ParseQRPayload(c)
		if err != nil {
			t.Errorf("unexpected symbol %q: %v", c, err)
			continue
		}
		if p != want {
			t.Errorf("qr payload = %+v, want %+v", p, want)
		}
		gotQR = true
	}
	if !gotQR || !gotBar {
		t.Errorf("decoded %q: qr found %v, code128 found %v", codes, gotQR, gotBar)
	}
}

func TestApologyWordingPerSet(t *testing.T) {
	for _, tc := range []struct {
		set  Set
		want string
	}{
		{Set03_2025, "đề nghị gia hạn thời gian giải quyết hồ sơ đến"},
		{Set01_2018, "hẹn lại thời gian trả kết quả vào"},
	} {
		r := testRenderer(t, tc.set)
		path := writePDF(t, func(b *bytes.Buffer) error { return r.Apology(b, testApology()) })
		// Joining lines undoes the justified wrapping of the sentence.
		text := strings.Join(strings.Fields(strings.Join(pdfPages(t, path), " ")), " ")
		if !strings.Contains(text, tc.want) {
			t.Errorf("%s: apology lacks %q:\n%s", tc.set, tc.want, text)
		}
	}
}

func TestLongComponentListSpillsOver(t *testing.T) {
	r := testRenderer(t, Set03_2025)
	d := testReceipt()
	d.Components = longComponents(40)
	path := writePDF(t, func(b *bytes.Buffer) error { return r.Receipt(b, d) })
	pages := pdfPages(t, path)
	if len(pages) < 2 {
		t.Fatalf("40 components fit on %d page(s), want a spill-over", len(pages))
	}
	last := pages[len(pages)-1]
	for _, w := range []string{"Giấy tờ số 40:", "NGƯỜI TIẾP NHẬN HỒ SƠ", "Trần Văn Bình", "16 giờ 00 phút, ngày 06/03/2026"} {
		if !strings.Contains(last, w) {
			t.Errorf("last page lacks %q:\n%s", w, last)
		}
	}
	for i, p := range pages {
		// Each page repeats the table header and names the dossier in its footer.
		if !strings.Contains(p, "Tên giấy tờ") {
			t.Errorf("page %d lacks the table header", i+1)
		}
		if !strings.Contains(p, testCode) {
			t.Errorf("page %d lacks the dossier code", i+1)
		}
	}
	// Every component is printed exactly once.
	text := strings.Join(pages, "\n")
	for _, n := range []string{"Giấy tờ số 1:", "Giấy tờ số 17:", "Giấy tờ số 33:"} {
		if c := strings.Count(text, n); c != 1 {
			t.Errorf("%q printed %d times", n, c)
		}
	}
	checkCodes(t, scanCodes(t, pagePNG(t, path, 1, 150)),
		QRPayload{DossierCode: testCode, ProcedureCode: testProcedure, Set: Set03_2025, Form: 1})
}

func TestLongTextWraps(t *testing.T) {
	r := testRenderer(t, Set03_2025)
	d := testSupplement()
	long := strings.Repeat("Bản sao Giấy chứng nhận quyền sử dụng đất có chứng thực của cơ quan có thẩm quyền; ", 6)
	d.Items = append(d.Items, long)
	d.Dossier.ProcedureName = "Đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi (liên thông điện tử)"
	path := writePDF(t, func(b *bytes.Buffer) error { return r.Supplement(b, d) })
	text := strings.Join(strings.Fields(strings.Join(pdfPages(t, path), " ")), " ")
	for _, w := range []string{strings.TrimSpace(long), "cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi (liên thông điện tử)", "NGƯỜI HƯỚNG DẪN"} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q", w)
		}
	}
}

// TestDecomposedInput feeds names typed in NFD (the "Unicode tổ hợp" keyboard
// setting) and expects precomposed NFC text in the PDF, without normalising
// the extracted text.
func TestDecomposedInput(t *testing.T) {
	r := testRenderer(t, Set03_2025)
	d := testReceipt()
	d.Dossier.Applicant.Name = norm.NFD.String(testName)
	if d.Dossier.Applicant.Name == testName {
		t.Fatal("fixture is not decomposed")
	}
	path := writePDF(t, func(b *bytes.Buffer) error { return r.Receipt(b, d) })
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), testName) {
		t.Errorf("pdf text lacks NFC %q", testName)
	}
}

func TestRefusalWithoutCode(t *testing.T) {
	r := testRenderer(t, Set03_2025)
	d := testRefusal()
	d.Dossier.Code = ""
	path := writePDF(t, func(b *bytes.Buffer) error { return r.Refusal(b, d) })
	text := strings.Join(pdfPages(t, path), "\f")
	if !strings.Contains(text, "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ") || !strings.Contains(text, testName) {
		t.Errorf("refusal text incomplete:\n%s", text)
	}
	if codes := scanCodes(t, pagePNG(t, path, 1, 150)); len(codes) != 0 {
		t.Errorf("refusal without dossier code carries symbols %q", codes)
	}
}

func TestDeterministicOutput(t *testing.T) {
	r := testRenderer(t, Set03_2025)
	var a, b bytes.Buffer
	if err := r.Receipt(&a, testReceipt()); err != nil {
		t.Fatal(err)
	}
	if err := r.Receipt(&b, testReceipt()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renderings with a fixed creation date differ")
	}
}

func TestBadInput(t *testing.T) {
	r := testRenderer(t, Set03_2025)
	noCode := testDossier()
	noCode.Code = ""
	noName := testDossier()
	noName.Applicant.Name = ""
	badCode := testDossier()
	badCode.Code = "000.00.06.H56;260305"
	badProc := testDossier()
	badProc.ProcedureCode = "1.001193:x"
	longCode := testDossier()
	longCode.Code = strings.Repeat("ABCDEFGHIJ", 6) // letters defeat Code128's digit compression

	receipt := func(d Dossier) Receipt { x := testReceipt(); x.Dossier = d; return x }
	tests := []struct {
		name string
		fn   func(io.Writer) error
	}{
		{"receipt without code", func(w io.Writer) error { return r.Receipt(w, receipt(noCode)) }},
		{"receipt without applicant", func(w io.Writer) error { return r.Receipt(w, receipt(noName)) }},
		{"receipt with ';' in code", func(w io.Writer) error { return r.Receipt(w, receipt(badCode)) }},
		{"receipt with ':' in procedure code", func(w io.Writer) error { return r.Receipt(w, receipt(badProc)) }},
		{"receipt with code too long for code128", func(w io.Writer) error { return r.Receipt(w, receipt(longCode)) }},
		{"receipt without due time", func(w io.Writer) error {
			x := testReceipt()
			x.Dossier.DueAt = time.Time{}
			return r.Receipt(w, x)
		}},
		{"supplement without code", func(w io.Writer) error {
			x := testSupplement()
			x.Dossier = noCode
			return r.Supplement(w, x)
		}},
		{"supplement without items", func(w io.Writer) error {
			x := testSupplement()
			x.Items = nil
			return r.Supplement(w, x)
		}},
		{"refusal without reasons", func(w io.Writer) error {
			x := testRefusal()
			x.Reasons = nil
			return r.Refusal(w, x)
		}},
		{"apology without code", func(w io.Writer) error {
			x := testApology()
			x.Dossier = noCode
			return r.Apology(w, x)
		}},
		{"apology without new due", func(w io.Writer) error {
			x := testApology()
			x.NewDueAt = time.Time{}
			return r.Apology(w, x)
		}},
		{"stop notice without code", func(w io.Writer) error {
			x := testStopNotice()
			x.Dossier = noCode
			return r.StopNotice(w, x)
		}},
		{"control slip without code", func(w io.Writer) error {
			x := testControlSlip()
			x.Dossier = noCode
			return r.ControlSlip(w, x)
		}},
		{"register row without code", func(w io.Writer) error {
			x := testRegister()
			x.Rows[1].DossierCode = ""
			return r.RegisterPDF(w, x)
		}},
		{"register xlsx row without code", func(w io.Writer) error {
			x := testRegister()
			x.Rows[0].DossierCode = ""
			return r.RegisterXLSX(w, x)
		}},
		{"render with mismatched data", func(w io.Writer) error { return r.Render(w, 5, testReceipt()) }},
		{"render with foreign data", func(w io.Writer) error { return r.Render(w, 1, "receipt") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := tc.fn(&buf)
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("err = %v, want ErrInvalidInput", err)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes on error", buf.Len())
			}
		})
	}
}

func TestUnknownForm(t *testing.T) {
	old := testRenderer(t, Set01_2018)
	tests := []struct {
		name string
		fn   func(io.Writer) error
		want UnknownFormError
	}{
		{"number 07 in 01/2018", func(w io.Writer) error { return old.Render(w, 7, testRegister()) },
			UnknownFormError{Set: Set01_2018, Number: 7}},
		{"number 0 in 01/2018", func(w io.Writer) error { return old.Render(w, 0, testReceipt()) },
			UnknownFormError{Set: Set01_2018, Number: 0, Kind: 0}},
		{"stop notice as 05 in 01/2018", func(w io.Writer) error { return old.Render(w, 5, testStopNotice()) },
			UnknownFormError{Set: Set01_2018, Kind: KindStopNotice}},
		{"stop notice method in 01/2018", func(w io.Writer) error { return old.StopNotice(w, testStopNotice()) },
			UnknownFormError{Set: Set01_2018, Kind: KindStopNotice}},
		{"number 08 in 03/2025", func(w io.Writer) error { return testRenderer(t, Set03_2025).Render(w, 8, testReceipt()) },
			UnknownFormError{Set: Set03_2025, Number: 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := tc.fn(&buf)
			var ue *UnknownFormError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v (%T), want *UnknownFormError", err, err)
			}
			if *ue != tc.want {
				t.Errorf("err = %+v, want %+v", *ue, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes on error", buf.Len())
			}
		})
	}
}

func TestNewRenderer(t *testing.T) {
	if _, err := NewRenderer("02/2099/TT-VPCP", testOffice); !errors.Is(err, ErrUnknownSet) {
		t.Errorf("unknown set: err = %v, want ErrUnknownSet", err)
	}
	if _, err := NewRenderer(Set03_2025, Office{Place: "An Bình"}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("office without unit: err = %v, want ErrInvalidInput", err)
	}
	r, err := NewRenderer(Set01_2018, testOffice)
	if err != nil || r.Set() != Set01_2018 {
		t.Errorf("NewRenderer = %v, %v", r, err)
	}
}

func TestTimeFormats(t *testing.T) {
	r := testRenderer(t, Set03_2025)
	utc := time.Date(2026, 1, 4, 2, 5, 0, 0, time.UTC) // 09:05 in Hà Nội
	tests := []struct {
		name, got, want string
	}{
		{"clock in office zone", r.clock(utc), "09 giờ 05 phút, ngày 04/01/2026"},
		{"clock blank", r.clock(time.Time{}), blankClock},
		{"place-date pads day and January", r.placeDate(utc), "An Bình, ngày 04 tháng 01 năm 2026"},
		{"place-date leaves March unpadded", r.placeDate(time.Date(2026, 3, 15, 8, 0, 0, 0, hcm)), "An Bình, ngày 15 tháng 3 năm 2026"},
		{"place-date pads February", r.placeDate(time.Date(2026, 2, 28, 8, 0, 0, 0, hcm)), "An Bình, ngày 28 tháng 02 năm 2026"},
		{"place-date blank", r.placeDate(time.Time{}), "An Bình, ngày …… tháng …… năm ………"},
		{"count", count(3), "03"},
		{"count zero", count(0), ""},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestRegisterSpillsOver(t *testing.T) {
	r := testRenderer(t, Set03_2025)
	reg := testRegister()
	for i := 0; i < 30; i++ {
		row := reg.Rows[0]
		row.DossierCode = fmt.Sprintf("000.00.06.H56-260306-%04d", i+100)
		reg.Rows = append(reg.Rows, row)
	}
	path := writePDF(t, func(b *bytes.Buffer) error { return r.RegisterPDF(b, reg) })
	pages := pdfPages(t, path)
	if len(pages) < 2 {
		t.Fatalf("32 rows fit on %d page, want a spill-over", len(pages))
	}
	for i, p := range pages {
		if !strings.Contains(p, "Nhận và trả kết quả") {
			t.Errorf("page %d lacks the column header", i+1)
		}
	}
	if last := pages[len(pages)-1]; !strings.Contains(last, "000.00.06.H56-260306-0129") {
		t.Errorf("last row missing from the last page:\n%s", last)
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"tư pháp - hộ tịch", []string{"tư ", "pháp - ", "hộ ", "tịch"}},
		{"000.00.06.H56-260305-0012", []string{"000.00.06.H56-", "260305-", "0012"}},
		{"05/03/2026 09:15", []string{"05/", "03/", "2026 ", "09:15"}},
		{"", nil},
	}
	for _, tc := range tests {
		got := tokens(tc.in)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("tokens(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWrapFitsWidth(t *testing.T) {
	r := testRenderer(t, Set03_2025)
	f, _ := r.set.FormOf(KindReceipt)
	d := r.newDoc(f, false, "")
	d.font("", 11)
	tests := []struct {
		in    string
		width float64
		lines int
	}{
		{testCode, 30, 2},
		{"Công chức tư pháp - hộ tịch", 35, 2},
		{strings.Repeat("x", 200), 40, 0}, // cut by force; count not fixed
		{"ngắn", 40, 1},
		{"", 40, 1},
	}
	for _, tc := range tests {
		got := d.lines(tc.in, tc.width)
		if tc.lines != 0 && len(got) != tc.lines {
			t.Errorf("lines(%q, %v) = %q, want %d lines", tc.in, tc.width, got, tc.lines)
		}
		for _, l := range got {
			if w := d.strWidth(l); w > tc.width {
				t.Errorf("line %q is %.1f mm wide, over %v", l, w, tc.width)
			}
			if strings.HasPrefix(l, "-") {
				t.Errorf("line %q starts with a dash", l)
			}
		}
		if strings.Join(strings.Fields(strings.Join(got, "")), "") != strings.Join(strings.Fields(tc.in), "") {
			t.Errorf("lines(%q) lost text: %q", tc.in, got)
		}
	}
}

func TestControlSlipBlankRows(t *testing.T) {
	r := testRenderer(t, Set03_2025)
	d := testControlSlip()
	d.Handovers = nil
	path := writePDF(t, func(b *bytes.Buffer) error { return r.ControlSlip(b, d) })
	text := strings.Join(pdfPages(t, path), "\f")
	if n := strings.Count(text, "Người giao"); n != blankHandovers {
		t.Errorf("blank slip has %d handover rows, want %d", n, blankHandovers)
	}
	if strings.Contains(text, "Đúng hạn") || strings.Contains(text, "Quá hạn") { // the header says "Trước hạn/đúng hạn/quá hạn"
		t.Error("blank slip prints a result")
	}
}
