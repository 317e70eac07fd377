package dossier

import (
	"errors"
	"fmt"
)

// ErrUnknownCode is returned when a national-portal code has no meaning here.
var ErrUnknownCode = errors.New("unknown national code")

// ApplicantKind says who the applicant (chủ hồ sơ) is. The values map to the
// portal's LoaiDoiTuong.
type ApplicantKind string

// Applicant kinds; the comment gives the LoaiDoiTuong code.
const (
	ApplicantPerson       ApplicantKind = "person"       // 1 cá nhân
	ApplicantEnterprise   ApplicantKind = "enterprise"   // 2 doanh nghiệp
	ApplicantStateAgency  ApplicantKind = "state_agency" // 3 cơ quan nhà nước
	ApplicantOrganisation ApplicantKind = "organisation" // 4 tổ chức
)

var applicantKinds = []struct {
	kind     ApplicantKind
	national int
	label    string
}{
	{ApplicantPerson, 1, "Cá nhân"},
	{ApplicantEnterprise, 2, "Doanh nghiệp"},
	{ApplicantStateAgency, 3, "Cơ quan nhà nước"},
	{ApplicantOrganisation, 4, "Tổ chức"},
}

// ApplicantKinds returns every applicant kind in LoaiDoiTuong order.
func ApplicantKinds() []ApplicantKind {
	out := make([]ApplicantKind, len(applicantKinds))
	for i, k := range applicantKinds {
		out[i] = k.kind
	}
	return out
}

// Valid reports whether k is a known applicant kind.
func (k ApplicantKind) Valid() bool { return k.NationalCode() != 0 }

// IsPerson reports whether the applicant is a natural person, who is
// identified by a personal ID rather than an organisation code.
func (k ApplicantKind) IsPerson() bool { return k == ApplicantPerson }

// Label returns the Vietnamese name, or "" for an unknown kind.
func (k ApplicantKind) Label() string {
	for _, a := range applicantKinds {
		if a.kind == k {
			return a.label
		}
	}
	return ""
}

// NationalCode returns the LoaiDoiTuong code, or 0 for an unknown kind.
func (k ApplicantKind) NationalCode() int {
	for _, a := range applicantKinds {
		if a.kind == k {
			return a.national
		}
	}
	return 0
}

// ApplicantKindFromNational maps a LoaiDoiTuong code back to a kind.
func ApplicantKindFromNational(code int) (ApplicantKind, error) {
	for _, a := range applicantKinds {
		if a.national == code {
			return a.kind, nil
		}
	}
	return "", fmt.Errorf("LoaiDoiTuong %d: %w", code, ErrUnknownCode)
}

// Channel is how a dossier was submitted. The values map to the portal's
// KenhThucHien.
type Channel string

// Channels; the comment gives the KenhThucHien code.
const (
	ChannelInPerson Channel = "in_person" // 1 trực tiếp
	ChannelOnline   Channel = "online"    // 2 trực tuyến
	ChannelPostal   Channel = "postal"    // 3 bưu chính công ích
)

var channels = []struct {
	channel  Channel
	national int
	label    string
}{
	{ChannelInPerson, 1, "Trực tiếp"},
	{ChannelOnline, 2, "Trực tuyến"},
	{ChannelPostal, 3, "Bưu chính công ích"},
}

// Channels returns every channel in KenhThucHien order.
func Channels() []Channel {
	out := make([]Channel, len(channels))
	for i, c := range channels {
		out[i] = c.channel
	}
	return out
}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return c.NationalCode() != 0 }

// Label returns the Vietnamese name, or "" for an unknown channel.
func (c Channel) Label() string {
	for _, ch := range channels {
		if ch.channel == c {
			return ch.label
		}
	}
	return ""
}

// NationalCode returns the KenhThucHien code, or 0 for an unknown channel.
func (c Channel) NationalCode() int {
	for _, ch := range channels {
		if ch.channel == c {
			return ch.national
		}
	}
	return 0
}

// ChannelFromNational maps a KenhThucHien code back to a channel.
func ChannelFromNational(code int) (Channel, error) {
	for _, ch := range channels {
		if ch.national == code {
			return ch.channel, nil
		}
	}
	return "", fmt.Errorf("KenhThucHien %d: %w", code, ErrUnknownCode)
}

// ReturnMethod is how the result went back to the applicant. The values map
// to the portal's HinhThuc.
type ReturnMethod string

// Return methods; the comment gives the HinhThuc code.
const (
	ReturnInPerson ReturnMethod = "in_person" // 0 trực tiếp
	ReturnPost     ReturnMethod = "post"      // 1 bưu chính
)

// Valid reports whether m is a known return method.
func (m ReturnMethod) Valid() bool { return m == ReturnInPerson || m == ReturnPost }

// Label returns the Vietnamese name, or "" for an unknown method.
func (m ReturnMethod) Label() string {
	switch m {
	case ReturnInPerson:
		return "Trực tiếp"
	case ReturnPost:
		return "Bưu chính"
	}
	return ""
}

// NationalCode returns the HinhThuc code. Because 0 is a real code
// (in person), an unknown method yields -1.
func (m ReturnMethod) NationalCode() int {
	switch m {
	case ReturnInPerson:
		return 0
	case ReturnPost:
		return 1
	}
	return -1
}

// ReturnMethodFromNational maps a HinhThuc code back to a method.
func ReturnMethodFromNational(code int) (ReturnMethod, error) {
	switch code {
	case 0:
		return ReturnInPerson, nil
	case 1:
		return ReturnPost, nil
	}
	return "", fmt.Errorf("HinhThuc %d: %w", code, ErrUnknownCode)
}
