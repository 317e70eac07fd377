package forms

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

var hcm = time.FixedZone("ICT", 7*3600)

var testOffice = Office{
	ParentName: "UBND xã An Bình",
	UnitName:   "Trung tâm Phục vụ hành chính công xã An Bình",
	Place:      "An Bình",
	AgencyCode: "000.00.06.H56",
	Address:    "Số 1 đường Trần Phú, xã An Bình, tỉnh Đồng Nai",
	Phone:      "0251 3821 234",
}

const (
	testCode      = "000.00.06.H56-260305-0012"
	testProcedure = "1.001193"
	testName      = "Nguyễn Thị Hương"
)

func testDossier() Dossier {
	return Dossier{
		Code:          testCode,
		ProcedureCode: testProcedure,
		ProcedureName: "Đăng ký khai sinh",
		Applicant: Person{
			Name:     testName,
			IDNumber: "001190012345",
			Address:  "Thôn Đông, xã An Bình, tỉnh Đồng Nai",
			Phone:    "0912 345 678",
			Email:    "huong.nguyen@example.vn",
		},
		ReceivedAt: time.Date(2026, 3, 5, 9, 15, 0, 0, hcm),
		DueAt:      time.Date(2026, 3, 6, 16, 0, 0, 0, hcm),
	}
}

func testReceipt() Receipt {
	return Receipt{
		Dossier: testDossier(),
		Components: []Component{
			{Name: "Tờ khai đăng ký khai sinh theo mẫu", Originals: 1},
			{Name: "Giấy chứng sinh do cơ sở y tế nơi trẻ em sinh ra cấp", Originals: 1},
			{Name: "Giấy tờ chứng minh nơi cư trú của cha, mẹ (trường hợp không khai thác được từ CSDL quốc gia về dân cư)", Certified: 1, Copies: 1},
		},
		Sets:         1,
		LegalTime:    "Ngay trong ngày làm việc; nếu nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo",
		ResultAt:     "Trung tâm Phục vụ hành chính công xã An Bình",
		RegisterBook: "01/2026",
		RegisterNo:   "12",
		Receiver:     "Trần Văn Bình",
		Fee:          "Miễn lệ phí",
	}
}

func testSupplement() SupplementRequest {
	return SupplementRequest{
		Dossier: testDossier(),
		Items: []string{
			"Bổ sung Giấy chứng sinh bản chính.",
			"Ghi đầy đủ họ, chữ đệm, tên của người đi khai sinh trên tờ khai.",
		},
		Reason:       "Hồ sơ chưa đủ thành phần theo quy định.",
		SupplementBy: time.Date(2026, 3, 12, 17, 0, 0, 0, hcm),
		GuideStaff:   "Trần Văn Bình",
		ContactPhone: "0251 3821 234",
		IssuedAt:     time.Date(2026, 3, 5, 9, 40, 0, 0, hcm),
	}
}

func testRefusal() Refusal {
	return Refusal{
		Dossier:  testDossier(),
		Reasons:  []string{"Việc khai sinh không thuộc thẩm quyền giải quyết của UBND xã An Bình."},
		Receiver: "Trần Văn Bình",
		IssuedAt: time.Date(2026, 3, 5, 9, 40, 0, 0, hcm),
	}
}

func testApology() Apology {
	return Apology{
		Dossier:  testDossier(),
		NewDueAt: time.Date(2026, 3, 10, 10, 30, 0, 0, hcm),
		Reason:   "Cần xác minh thông tin nơi cư trú của người mẹ tại địa phương khác.",
		Signer:   "Lê Minh Đức",
		IssuedAt: time.Date(2026, 3, 6, 8, 0, 0, 0, hcm),
	}
}

func testStopNotice() StopNotice {
	return StopNotice{
		Dossier:     testDossier(),
		RequestedAt: time.Date(2026, 3, 5, 14, 0, 0, 0, hcm),
		Reason:      "Công dân đề nghị rút hồ sơ để bổ sung giấy tờ.",
		ReturnNote:  "Hồ sơ giấy đã nộp được trả lại tại Trung tâm Phục vụ hành chính công xã An Bình.",
		Signer:      "Lê Minh Đức",
		IssuedAt:    time.Date(2026, 3, 5, 14, 30, 0, 0, hcm),
	}
}

func testControlSlip() ControlSlip {
	return ControlSlip{
		Dossier:    testDossier(),
		LeadAgency: "UBND xã An Bình (công chức tư pháp - hộ tịch)",
		Handovers: []Handover{
			{
				GiverUnit: "Trung tâm Phục vụ hành chính công xã", GiverPerson: "Trần Văn Bình",
				ReceiverUnit: "Công chức tư pháp - hộ tịch", ReceiverPerson: "Phạm Thu Trang",
				At: time.Date(2026, 3, 5, 9, 30, 0, 0, hcm), Result: Early,
			},
			{
				GiverUnit: "Công chức tư pháp - hộ tịch", GiverPerson: "Phạm Thu Trang",
				ReceiverUnit: "Lãnh đạo UBND xã", ReceiverPerson: "Lê Minh Đức",
				At: time.Date(2026, 3, 5, 15, 0, 0, 0, hcm), Result: OnTime, Note: "Trình ký",
			},
			{
				GiverUnit: "Lãnh đạo UBND xã", GiverPerson: "Lê Minh Đức",
				ReceiverUnit: "Trung tâm Phục vụ hành chính công xã", ReceiverPerson: "Trần Văn Bình",
				At: time.Date(2026, 3, 6, 8, 0, 0, 0, hcm), Result: OnTime,
			},
		},
		IssuedAt: time.Date(2026, 3, 5, 9, 30, 0, 0, hcm),
	}
}

func testRegister() Register {
	d := testDossier()
	return Register{
		Field: "Hộ tịch",
		Book:  "01/2026",
		Rows: []RegisterRow{
			{
				DossierCode: d.Code, ProcedureName: d.ProcedureName, ApplicantName: testName,
				Address: d.Applicant.Address, Phone: d.Applicant.Phone, LeadAgency: "UBND xã An Bình",
				ReceivedAt: d.ReceivedAt, DueAt: d.DueAt, ReturnedAt: time.Date(2026, 3, 6, 10, 5, 0, 0, hcm),
				ReturnMethod: "Trực tiếp",
			},
			{
				DossierCode: "000.00.06.H56-260305-0013", ProcedureName: "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
				ApplicantName: "Hoàng Văn Ẩn", Address: "Xóm Bãi, xã An Bình", LeadAgency: "UBND xã An Bình",
				ReceivedAt: time.Date(2026, 3, 5, 10, 0, 0, 0, hcm), DueAt: time.Date(2026, 3, 5, 16, 30, 0, 0, hcm),
				ReturnMethod: "Bưu chính công ích",
			},
		},
		IssuedAt: time.Date(2026, 3, 31, 17, 0, 0, 0, hcm),
	}
}

// testData returns the fixture for a form kind.
func testData(k Kind) any {
	switch k {
	case KindReceipt:
		return testReceipt()
	case KindSupplement:
		return testSupplement()
	case KindRefusal:
		return testRefusal()
	case KindApology:
		return testApology()
	case KindStopNotice:
		return testStopNotice()
	case KindControlSlip:
		return testControlSlip()
	case KindRegister:
		return testRegister()
	}
	panic(fmt.Sprintf("no fixture for %v", k))
}

func testRenderer(t testing.TB, set Set) *Renderer {
	t.Helper()
	r, err := NewRenderer(set, testOffice, WithLocation(hcm),
		WithCreationDate(time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// writePDF renders with fn into a temporary file and returns its path.
func writePDF(t testing.TB, fn func(*bytes.Buffer) error) string {
	t.Helper()
	var buf bytes.Buffer
	if err := fn(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "form.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed by this test (apt-get install poppler-utils zbar-tools): %v", name, err)
	}
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return out
}

// pdfPages returns the text of each page, NFC-normalised, as laid out.
func pdfPages(t testing.TB, path string) []string {
	t.Helper()
	out := norm.NFC.String(string(run(t, "pdftotext", "-layout", path, "-")))
	pages := strings.Split(out, "\f")
	if len(pages) > 0 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages
}

// pagePNG rasterises one page and returns the PNG's path.
func pagePNG(t testing.TB, path string, page, dpi int) string {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), "page")
	p := fmt.Sprint(page)
	run(t, "pdftoppm", "-r", fmt.Sprint(dpi), "-png", "-f", p, "-l", p, "-singlefile", path, prefix)
	return prefix + ".png"
}

// scanCodes decodes every barcode zbarimg finds on the image. zbarimg exits
// with status 4 when it finds nothing, which is reported as no symbols.
func scanCodes(t testing.TB, png string) []string {
	t.Helper()
	if _, err := exec.LookPath("zbarimg"); err != nil {
		t.Fatalf("zbarimg is needed by this test (apt-get install zbar-tools): %v", err)
	}
	out, err := exec.Command("zbarimg", "--raw", "-q", png).Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 4 {
		return nil
	} else if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	var codes []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			codes = append(codes, l)
		}
	}
	return codes
}
