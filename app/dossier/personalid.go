package dossier

import (
	"errors"
	"fmt"
)

// Errors of personal ID numbers; each names the rule that failed.
var (
	ErrIDLength    = errors.New("personal ID has the wrong length")
	ErrIDNotDigits = errors.New("personal ID is not all digits")
	ErrIDProvince  = errors.New("personal ID has an unknown province code")
	ErrIDCentury   = errors.New("personal ID has an invalid century and gender digit")
	ErrIDBirthYear = errors.New("personal ID does not match the birth year")
)

// provinces holds the 63 province codes (mã tỉnh) that open a 12-digit
// personal ID (số định danh cá nhân): the place where the birth was
// registered. They are the provincial administrative-unit codes in use before
// the 2025 mergers; numbers already issued never change. If numbers issued
// after the mergers turn out to use new codes, extend this list.
var provinces = map[string]string{
	"001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn",
	"008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu",
	"014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên",
	"020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang", "025": "Phú Thọ",
	"026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
	"033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
	"037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
	"044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng",
	"049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên",
	"056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
	"064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng",
	"070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
	"077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang",
	"083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long", "087": "Đồng Tháp",
	"089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
	"094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}

// ProvinceName returns the (pre-2025) province of a 3-digit ID province
// code, or "" if the code is unknown.
func ProvinceName(code string) string { return provinces[code] }

// PersonalID is a parsed 12-digit personal ID number, which is also the
// number on the chip-based citizen ID card (CCCD, thẻ căn cước).
type PersonalID struct {
	Number    string // the 12 digits
	Province  string // 3-digit province code of the birth registration
	Female    bool
	BirthYear int
}

// ParsePersonalID checks s as a 12-digit personal ID: digits 1–3 a known
// province code, digit 4 the century and gender (0/1 born 1900–1999
// male/female, 2/3 born 2000–2099, 4–9 for later centuries and so rejected
// until 2100), digits 5–6 the last two digits of the birth year, digits 7–12
// a serial. s must be exactly the 12 digits, without spaces.
func ParsePersonalID(s string) (PersonalID, error) {
	if len(s) != 12 {
		return PersonalID{}, fmt.Errorf("%w: %d digits, want 12", ErrIDLength, len(s))
	}
	if !allDigits(s) {
		return PersonalID{}, ErrIDNotDigits
	}
	if _, ok := provinces[s[:3]]; !ok {
		return PersonalID{}, fmt.Errorf("%w: %s", ErrIDProvince, s[:3])
	}
	c := int(s[3] - '0')
	if c > 3 {
		return PersonalID{}, fmt.Errorf("%w: %d means born in %d or later", ErrIDCentury, c, 1900+100*(c/2))
	}
	yy := int(s[4]-'0')*10 + int(s[5]-'0')
	return PersonalID{
		Number:    s,
		Province:  s[:3],
		Female:    c%2 == 1,
		BirthYear: 1900 + 100*(c/2) + yy,
	}, nil
}

// ValidatePersonalID reports why s is not a well-formed 12-digit personal
// ID, or nil. It cannot tell whether the number was actually issued.
func ValidatePersonalID(s string) error {
	_, err := ParsePersonalID(s)
	return err
}

// CheckBirthYear reports ErrIDBirthYear when the birth year coded in the ID
// (digits 4–6) differs from year, for example the year of a date of birth
// typed by the clerk.
func (id PersonalID) CheckBirthYear(year int) error {
	if id.BirthYear != year {
		return fmt.Errorf("%w: number says %d, date of birth says %d", ErrIDBirthYear, id.BirthYear, year)
	}
	return nil
}

// ValidateOldID checks a 9-digit identity card number (CMND), still found on
// old papers. Its digits carry no checkable structure beyond that.
func ValidateOldID(s string) error {
	if len(s) != 9 {
		return fmt.Errorf("%w: %d digits, want 9", ErrIDLength, len(s))
	}
	if !allDigits(s) {
		return ErrIDNotDigits
	}
	return nil
}

// IDType is the kind of identity number, as the portal's LoaiDinhDanh.
type IDType int

// ID types.
const (
	IDTypePersonal IDType = 1 // 12-digit số định danh cá nhân
	IDTypeOld      IDType = 2 // 9-digit CMND
)
