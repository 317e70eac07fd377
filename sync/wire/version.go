package wire

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Version is a protocol version. Peers with the same Major interoperate
// whatever their Minor: a minor version only adds optional fields, which an
// older peer ignores (the hub decodes leniently when the client's minor is
// newer than its own, see StrictFor). A different Major is refused.
type Version struct {
	Major int
	Minor int
}

// Current is the version this package speaks. 1.1 added the desk's age
// recipient: BundleManifest.AgeRecipient and PUT DeviceRecipientPath.
var Current = Version{Major: 1, Minor: 1}

// MinMajor is the oldest major version this package can still serve. It is a
// separate constant so that a hub speaking 2.x can keep serving 1.x communes
// for a transition period by raising Current but not MinMajor.
const MinMajor = 1

// HeaderProtocol carries the sender's Version on every request and response.
const HeaderProtocol = "Motcua-Protocol"

func (v Version) String() string { return strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) }

// ParseVersion reads "MAJOR.MINOR".
func ParseVersion(s string) (Version, error) {
	maj, min, ok := strings.Cut(strings.TrimSpace(s), ".")
	if !ok {
		return Version{}, fmt.Errorf("protocol version %q: want MAJOR.MINOR", s)
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	if err1 != nil || err2 != nil || a < 0 || b < 0 {
		return Version{}, fmt.Errorf("protocol version %q: want MAJOR.MINOR", s)
	}
	return Version{Major: a, Minor: b}, nil
}

// Negotiate checks the version a client announced in HeaderProtocol against
// what this side (the hub) serves. It returns the client's version, or an
// *Error to send back: 400 when the header is missing or malformed, 426 when
// the client's major version is too old (the commune app must be updated) or
// newer than the hub (the hub must be updated first).
func Negotiate(header string) (Version, *Error) {
	if header == "" {
		return Version{}, &Error{Status: http.StatusBadRequest, Code: CodeProtocolMissing,
			Message:     "Thiếu phiên bản giao thức (" + HeaderProtocol + ").",
			MinProtocol: minVersion().String(), MaxProtocol: Current.String()}
	}
	v, err := ParseVersion(header)
	if err != nil {
		return Version{}, &Error{Status: http.StatusBadRequest, Code: CodeProtocolMissing,
			Message:     "Phiên bản giao thức không đúng định dạng: " + strconv.Quote(header) + ".",
			MinProtocol: minVersion().String(), MaxProtocol: Current.String()}
	}
	switch {
	case v.Major < MinMajor:
		return v, &Error{Status: http.StatusUpgradeRequired, Code: CodeClientTooOld,
			Message: fmt.Sprintf("Phần mềm tại xã dùng giao thức %s, máy chủ tỉnh chỉ hỗ trợ từ %s đến %s. Cần cập nhật phần mềm tại xã.",
				v, minVersion(), Current),
			MinProtocol: minVersion().String(), MaxProtocol: Current.String()}
	case v.Major > Current.Major:
		return v, &Error{Status: http.StatusUpgradeRequired, Code: CodeHubTooOld,
			Message: fmt.Sprintf("Phần mềm tại xã dùng giao thức %s, mới hơn máy chủ tỉnh (%s). Máy chủ tỉnh cần được cập nhật.",
				v, Current),
			MinProtocol: minVersion().String(), MaxProtocol: Current.String()}
	}
	return v, nil
}

func minVersion() Version { return Version{Major: MinMajor} }

// StrictFor reports whether a document from a peer speaking v should be
// decoded strictly (unknown fields rejected). A peer with a newer minor
// version may send fields this side does not know yet; rejecting them would
// break the promise that minor versions interoperate.
func StrictFor(v Version) bool {
	return v.Major == Current.Major && v.Minor <= Current.Minor
}
