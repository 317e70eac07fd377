package wire

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Signed requests. A device signs every request with the Ed25519 key it
// generated at enrolment; the hub holds only the public key. The signature
// covers the method, path, query, protocol version, device, a timestamp, a
// random nonce, the SHA-256 of the body as sent (compressed, if it was), and
// the upload offset and length headers, so nothing that changes the meaning
// of a request can be altered or replayed. The hub refuses timestamps further
// than MaxClockSkew from its clock and nonces it has seen from the device
// within twice that window.
//
// A retried request must be signed again (new timestamp and nonce): with
// go-retryablehttp, sign in its PrepareRetry hook.
const (
	HeaderDevice     = "Motcua-Device"
	HeaderTimestamp  = "Motcua-Timestamp"
	HeaderNonce      = "Motcua-Nonce"
	HeaderBodySHA256 = "Motcua-Content-SHA256"
	HeaderSignature  = "Motcua-Signature"

	// SignatureScheme opens the canonical string; a new scheme gets a new
	// name rather than a silently different string.
	SignatureScheme = "MOTCUA-ED25519-V1"

	// MaxClockSkew is how far a request's timestamp may be from the hub's
	// clock. A device whose clock is off further reads the hub's time from
	// the health answer or the stale_timestamp error and signs with the
	// corrected time.
	MaxClockSkew = 5 * time.Minute
)

// EmptyBodySHA256 is the body hash of a request without a body.
var EmptyBodySHA256 = SumHex(nil)

// Signed is what a request signature covers.
type Signed struct {
	Method       string
	Path         string // escaped path, as on the request line
	Query        string // raw query, as on the request line
	Protocol     string
	Device       string
	Timestamp    string // RFC 3339, UTC, seconds
	Nonce        string
	BodySHA256   string // lowercase hex
	UploadOffset string
	UploadLength string
}

// Canonical is the exact byte string that is signed: the scheme and every
// field on its own line.
func (s Signed) Canonical() []byte {
	return []byte(strings.Join([]string{
		SignatureScheme, s.Method, s.Path, s.Query, s.Protocol, s.Device,
		s.Timestamp, s.Nonce, s.BodySHA256, s.UploadOffset, s.UploadLength,
	}, "\n"))
}

// Verify reports whether sig is pub's signature over s.
func (s Signed) Verify(pub ed25519.PublicKey, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, s.Canonical(), sig)
}

// NewNonce returns 16 random bytes in unpadded base64url.
func NewNonce() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// SignRequest sets the authentication headers of req, whose body is body
// (already compressed if Content-Encoding says so; nil for none). It also
// sets HeaderProtocol to Current unless the caller set it. now is the time
// to sign with: the device's clock corrected by its measured offset to the
// hub.
func SignRequest(req *http.Request, deviceID string, key ed25519.PrivateKey, body []byte, now time.Time) error {
	if len(key) != ed25519.PrivateKeySize {
		return errors.New("sign request: private key has the wrong size")
	}
	nonce, err := NewNonce()
	if err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	if req.Header.Get(HeaderProtocol) == "" {
		req.Header.Set(HeaderProtocol, Current.String())
	}
	s := Signed{
		Method:       req.Method,
		Path:         req.URL.EscapedPath(),
		Query:        req.URL.RawQuery,
		Protocol:     req.Header.Get(HeaderProtocol),
		Device:       deviceID,
		Timestamp:    now.UTC().Truncate(time.Second).Format(time.RFC3339),
		Nonce:        nonce,
		BodySHA256:   SumHex(body),
		UploadOffset: req.Header.Get(HeaderUploadOffset),
		UploadLength: req.Header.Get(HeaderUploadLength),
	}
	req.Header.Set(HeaderDevice, s.Device)
	req.Header.Set(HeaderTimestamp, s.Timestamp)
	req.Header.Set(HeaderNonce, s.Nonce)
	req.Header.Set(HeaderBodySHA256, s.BodySHA256)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(ed25519.Sign(key, s.Canonical())))
	return nil
}

// ErrUnsigned is wrapped when a request lacks or garbles a signature header.
var ErrUnsigned = errors.New("request is not signed")

// SignedFromRequest reads what a signature on r covers, and the signature.
// It checks the headers' shapes, not the signature.
func SignedFromRequest(r *http.Request) (Signed, []byte, error) {
	s := Signed{
		Method:       r.Method,
		Path:         r.URL.EscapedPath(),
		Query:        r.URL.RawQuery,
		Protocol:     r.Header.Get(HeaderProtocol),
		Device:       r.Header.Get(HeaderDevice),
		Timestamp:    r.Header.Get(HeaderTimestamp),
		Nonce:        r.Header.Get(HeaderNonce),
		BodySHA256:   r.Header.Get(HeaderBodySHA256),
		UploadOffset: r.Header.Get(HeaderUploadOffset),
		UploadLength: r.Header.Get(HeaderUploadLength),
	}
	for _, h := range []struct{ name, v string }{
		{HeaderDevice, s.Device}, {HeaderTimestamp, s.Timestamp}, {HeaderNonce, s.Nonce},
		{HeaderBodySHA256, s.BodySHA256}, {HeaderSignature, r.Header.Get(HeaderSignature)},
	} {
		if h.v == "" {
			return s, nil, fmt.Errorf("%w: no %s", ErrUnsigned, h.name)
		}
	}
	if len(s.Device) > 64 {
		return s, nil, fmt.Errorf("%w: %s too long", ErrUnsigned, HeaderDevice)
	}
	if !validNonce(s.Nonce) {
		return s, nil, fmt.Errorf("%w: %s must be 16–64 base64url characters", ErrUnsigned, HeaderNonce)
	}
	if !ValidSHA256(s.BodySHA256) {
		return s, nil, fmt.Errorf("%w: %s must be 64 lowercase hex digits", ErrUnsigned, HeaderBodySHA256)
	}
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get(HeaderSignature))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return s, nil, fmt.Errorf("%w: %s is not a base64 Ed25519 signature", ErrUnsigned, HeaderSignature)
	}
	return s, sig, nil
}

func validNonce(n string) bool {
	if len(n) < 16 || len(n) > 64 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ErrStale is wrapped when a signed timestamp is outside the allowed skew.
var ErrStale = errors.New("timestamp outside the allowed clock skew")

// CheckTimestamp parses a signed timestamp and checks it is within skew of
// now.
func CheckTimestamp(ts string, now time.Time, skew time.Duration) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %q is not RFC 3339", ErrUnsigned, HeaderTimestamp, ts)
	}
	if d := now.Sub(t); d > skew || d < -skew {
		return t, fmt.Errorf("%w: %s is %s from the hub's clock", ErrStale, ts, d.Round(time.Second))
	}
	return t, nil
}

// EnrolProofMessage is what a device signs to prove it holds the private key
// of the public key it enrols.
func EnrolProofMessage(code string, pub ed25519.PublicKey) []byte {
	return []byte("motcua-enrol-v1\n" + NormalizeEnrolCode(code) + "\n" + hex.EncodeToString(pub))
}

// NewEnrolRequest builds a signed enrolment request for key.
func NewEnrolRequest(code, deviceName, appVersion string, key ed25519.PrivateKey) EnrolRequest {
	pub := key.Public().(ed25519.PublicKey)
	return EnrolRequest{
		Code:       NormalizeEnrolCode(code),
		DeviceName: deviceName,
		PublicKey:  pub,
		Proof:      ed25519.Sign(key, EnrolProofMessage(code, pub)),
		AppVersion: appVersion,
	}
}

// NormalizeEnrolCode uppercases a typed enrolment code and drops spaces and
// dashes, so "abcd-efgh" and "ABCDEFGH" are the same code.
func NormalizeEnrolCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		if r == '-' || r == ' ' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
