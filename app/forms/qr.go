package forms

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrInvalidQR is wrapped by ParseQRPayload errors.
var ErrInvalidQR = errors.New("invalid form qr payload")

// QRPayload is the content of the QR code printed top-left on dossier forms
// (TT 01/2023/TT-VPCP asks for at least the dossier code and the procedure code).
//
// The text form is a list of KEY:value fields separated by ';', for example
//
//	MHS:000.00.06.H56-231027-0361;TTHC:1.001193;MAU:01;TT:03/2025
//
// MHS is the dossier code (required), TTHC the procedure code, MAU the form
// number and TT the circular of the form set (as in Set, without "/TT-VPCP").
// Values never contain ';' or ':' because codes are restricted to letters,
// digits and ". - _ /". Readers ignore keys they do not know, so fields can be
// added later without breaking older scanners.
type QRPayload struct {
	DossierCode   string
	ProcedureCode string
	Set           Set // empty when the payload did not say
	Form          int // 0 when the payload did not say
}

const setSuffix = "/TT-VPCP"

// String encodes p in the payload format.
func (p QRPayload) String() string {
	var b strings.Builder
	b.WriteString("MHS:" + p.DossierCode)
	if p.ProcedureCode != "" {
		b.WriteString(";TTHC:" + p.ProcedureCode)
	}
	if p.Form != 0 {
		fmt.Fprintf(&b, ";MAU:%02d", p.Form)
	}
	if p.Set != "" {
		b.WriteString(";TT:" + strings.TrimSuffix(string(p.Set), setSuffix))
	}
	return b.String()
}

// ParseQRPayload decodes the text read from a form's QR code.
func ParseQRPayload(s string) (QRPayload, error) {
	var p QRPayload
	// Scanners and keyboard wedges may add line ends or spaces.
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(strings.ToUpper(s), "MHS:") {
		return p, fmt.Errorf("%w: does not start with MHS:", ErrInvalidQR)
	}
	for _, field := range strings.Split(s, ";") {
		key, val, ok := strings.Cut(field, ":")
		if !ok {
			return p, fmt.Errorf("%w: field %q has no ':'", ErrInvalidQR, field)
		}
		val = strings.TrimSpace(val)
		switch strings.ToUpper(strings.TrimSpace(key)) {
		case "MHS":
			p.DossierCode = val
		case "TTHC":
			p.ProcedureCode = val
		case "MAU":
			n, err := strconv.Atoi(val)
			if err != nil || n <= 0 {
				return p, fmt.Errorf("%w: form number %q", ErrInvalidQR, val)
			}
			p.Form = n
		case "TT":
			p.Set = Set(val + setSuffix)
		}
	}
	if p.DossierCode == "" {
		return p, fmt.Errorf("%w: empty dossier code", ErrInvalidQR)
	}
	return p, nil
}
