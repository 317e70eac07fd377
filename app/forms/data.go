package forms

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidInput is wrapped by every validation error of form data.
var ErrInvalidInput = errors.New("invalid form input")

// Office is the unit that issues the forms; it fills the left header block and
// the place-date line.
type Office struct {
	ParentName string // governing body, e.g. "UBND xã An Bình" (printed in capitals)
	UnitName   string // issuing unit, e.g. "Trung tâm Phục vụ hành chính công xã An Bình"
	Place      string // place of the date line, e.g. "An Bình" → "An Bình, ngày 05 tháng 3 năm 2026"
	AgencyCode string // mã định danh điện tử of the unit; opaque, printed in the footer when it fits
	Address    string
	Phone      string
}

// Person is an applicant, an authorised representative or an organisation.
type Person struct {
	Name     string // full name with diacritics, or the organisation's name
	IDNumber string // số định danh cá nhân / mã số của tổ chức
	Address  string
	Phone    string
	Email    string
}

// Dossier is the part every dossier form repeats. The integrator maps the
// domain dossier onto it once.
type Dossier struct {
	Code          string // mã hồ sơ, e.g. "000.00.06.H56-231027-0361"
	ProcedureCode string // mã TTHC, e.g. "1.001193" or a local "2.000815.000.00.00.H61"
	ProcedureName string // tên TTHC / nội dung yêu cầu giải quyết
	Applicant     Person // the owner of the dossier (the authoriser, when submitted by proxy)
	ReceivedAt    time.Time
	DueAt         time.Time // appointment to return the result (hẹn trả kết quả)
}

// Component is one document of the dossier with its copy counts.
type Component struct {
	Name      string
	Originals int // bản chính
	Certified int // bản sao có chứng thực
	Copies    int // bản sao, bản chụp
}

// Receipt is Giấy tiếp nhận hồ sơ và hẹn trả kết quả.
type Receipt struct {
	Number  string // text after "Số:"; empty leaves a blank with the form's suffix
	Dossier Dossier
	// Representative is the person who submitted on the applicant's behalf, if any.
	Representative   *Person
	AuthorisationDoc string // the authorisation paper, e.g. "Giấy ủy quyền số 12/UQ ngày 01/3/2026"
	Components       []Component
	Sets             int    // số lượng hồ sơ (bộ); 0 prints 01
	LegalTime        string // thời gian giải quyết theo quy định, e.g. "03 ngày làm việc"
	ResultAt         string // where the result is returned, e.g. "Trung tâm PVHCC xã" or "Bưu chính công ích"
	RegisterBook     string // Quyển số
	RegisterNo       string // Số thứ tự
	Receiver         string // name of the receiving clerk
	Fee              string // phí, lệ phí as text, e.g. "8.000 đồng"; empty omits the line
	IssuedAt         time.Time
}

// SupplementRequest is Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ.
type SupplementRequest struct {
	Number       string
	Dossier      Dossier
	Items        []string  // what must be supplemented, one per numbered line
	Reason       string    // lý do
	SupplementBy time.Time // optional deadline for supplementing
	GuideStaff   string    // người hướng dẫn (signs the form)
	ContactName  string    // contact for questions; defaults to GuideStaff
	ContactPhone string
	IssuedAt     time.Time
}

// Refusal is Phiếu từ chối tiếp nhận giải quyết hồ sơ. The dossier code is
// optional here: a refused dossier may never have been given one, and then the
// form carries no QR code or barcode.
type Refusal struct {
	Number   string
	Dossier  Dossier
	Reasons  []string
	Receiver string
	IssuedAt time.Time
}

// Apology is Phiếu xin lỗi và đề nghị gia hạn thời gian giải quyết (TT 03/2025)
// or Phiếu xin lỗi và hẹn lại ngày trả kết quả (TT 01/2018). Dossier.DueAt is
// the appointment that is being missed.
type Apology struct {
	Number      string
	Dossier     Dossier
	NewDueAt    time.Time
	Reason      string
	Addressee   string // Kính gửi; defaults to the applicant's name
	Agency      string // agency apologising; defaults to the office's unit name
	Signer      string
	SignerTitle string // defaults to "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ"
	IssuedAt    time.Time
}

// StopNotice is Thông báo dừng giải quyết hồ sơ (TT 03/2025 only; TT 03/2025
// Điều 7 applies ND 118/2025 Điều 21). Its layout was not published with the
// field lists, so the content follows the other forms.
type StopNotice struct {
	Number      string
	Dossier     Dossier
	RequestedAt time.Time // when the applicant asked to stop
	Reason      string
	ReturnNote  string // how the submitted papers are given back, optional
	Signer      string
	SignerTitle string // defaults to "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ"
	IssuedAt    time.Time
}

// Timeliness is the result column of the control slip.
type Timeliness int

// Timeliness values; TimelinessNone leaves the cell for the receiver to fill in.
const (
	TimelinessNone Timeliness = iota
	Early                     // trước hạn
	OnTime                    // đúng hạn
	Late                      // quá hạn
)

// Text is the Vietnamese label of t.
func (t Timeliness) Text() string {
	switch t {
	case Early:
		return "Trước hạn"
	case OnTime:
		return "Đúng hạn"
	case Late:
		return "Quá hạn"
	}
	return ""
}

// Handover is one row of the control slip: a unit hands the dossier to the next.
type Handover struct {
	GiverUnit      string
	GiverPerson    string
	ReceiverUnit   string
	ReceiverPerson string
	At             time.Time
	Result         Timeliness
	Note           string
}

// ControlSlip is Phiếu kiểm soát quá trình giải quyết hồ sơ.
type ControlSlip struct {
	Number     string
	Dossier    Dossier
	LeadAgency string // cơ quan (bộ phận) giải quyết hồ sơ
	CoAgencies string // cơ quan phối hợp giải quyết hồ sơ
	Handovers  []Handover
	IssuedAt   time.Time
}

// RegisterRow is one dossier in the register.
type RegisterRow struct {
	No            int // STT; 0 numbers the rows 1, 2, 3 …
	DossierCode   string
	ProcedureName string
	ApplicantName string
	Address       string
	Phone         string
	LeadAgency    string // cơ quan chủ trì giải quyết
	ReceivedAt    time.Time
	DueAt         time.Time
	ReturnedAt    time.Time // zero while not returned
	ReturnMethod  string    // e.g. "Trực tiếp", "Bưu chính công ích"
}

// Register is Sổ theo dõi hồ sơ, kept per field (lĩnh vực) or group of fields.
type Register struct {
	Number   string
	Field    string // lĩnh vực
	Book     string // quyển số
	Rows     []RegisterRow
	IssuedAt time.Time
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidInput, fmt.Sprintf(format, args...))
}

// validCodeChar admits what agency e-ID codes, dossier codes and procedure
// codes are made of; it also keeps ';' and ':' out of the QR payload.
func validCodeChar(c rune) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' ||
		c == '.' || c == '-' || c == '_' || c == '/'
}

func checkCode(what, code string) error {
	if len(code) > 64 {
		return invalid("%s longer than 64 characters", what)
	}
	for _, c := range code {
		if !validCodeChar(c) {
			return invalid("%s %q contains %q", what, code, c)
		}
	}
	return nil
}

// validate checks the fields every dossier form needs. needCode is false for
// the refusal, whose dossier may have no code.
func (d Dossier) validate(needCode bool) error {
	if d.Code == "" && needCode {
		return invalid("missing dossier code")
	}
	if err := checkCode("dossier code", d.Code); err != nil {
		return err
	}
	if err := checkCode("procedure code", d.ProcedureCode); err != nil {
		return err
	}
	if d.Applicant.Name == "" {
		return invalid("missing applicant name")
	}
	return nil
}
