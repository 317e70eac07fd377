package wire_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"motcua/sync/wire"
)

func TestDecode(t *testing.T) {
	type doc struct {
		A string `json:"a"`
		N int    `json:"n"`
	}
	tests := []struct {
		name     string
		in       string
		limit    int64
		strict   bool
		wantKind string // "" = success
		field    string
	}{
		{"ok strict", `{"a":"x","n":1}`, 100, true, "", ""},
		{"unknown field strict", `{"a":"x","extra":true}`, 100, true, wire.CodeUnknownField, "extra"},
		{"unknown field lenient", `{"a":"x","extra":true}`, 100, false, "", ""},
		{"wrong type", `{"n":"one"}`, 100, false, wire.CodeInvalidJSON, "n"},
		{"syntax", `{"a":`, 100, true, wire.CodeInvalidJSON, ""},
		{"trailing", `{"a":"x"} {"a":"y"}`, 100, true, wire.CodeInvalidJSON, ""},
		{"empty", ``, 100, true, wire.CodeInvalidJSON, ""},
		{"exactly at limit", `{"a":"xy"}`, 10, true, "", ""},
		{"over limit", `{"a":"xyz"}`, 10, false, wire.CodeTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d doc
			err := wire.Decode(strings.NewReader(tt.in), tt.limit, &d, tt.strict)
			if tt.wantKind == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var de *wire.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			if de.Kind != tt.wantKind || de.Field != tt.field {
				t.Fatalf("got kind %q field %q, want %q %q", de.Kind, de.Field, tt.wantKind, tt.field)
			}
			if tt.wantKind == wire.CodeTooLarge && !errors.Is(err, wire.ErrTooLarge) {
				t.Fatalf("too large error does not wrap ErrTooLarge: %v", err)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	tests := []struct {
		header     string
		wantStatus int // 0 = accepted
		wantCode   string
		strict     bool
	}{
		{"1.0", 0, "", true},
		{"1.7", 0, "", false}, // newer minor: accepted, decoded leniently
		{"", http.StatusBadRequest, wire.CodeProtocolMissing, false},
		{"one", http.StatusBadRequest, wire.CodeProtocolMissing, false},
		{"1", http.StatusBadRequest, wire.CodeProtocolMissing, false},
		{"0.9", http.StatusUpgradeRequired, wire.CodeClientTooOld, false},
		{"2.0", http.StatusUpgradeRequired, wire.CodeHubTooOld, false},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			v, e := wire.Negotiate(tt.header)
			if tt.wantStatus == 0 {
				if e != nil {
					t.Fatalf("refused: %v", e)
				}
				if got := wire.StrictFor(v); got != tt.strict {
					t.Fatalf("StrictFor(%s) = %v, want %v", v, got, tt.strict)
				}
				return
			}
			if e == nil {
				t.Fatalf("accepted %q", tt.header)
			}
			if e.Status != tt.wantStatus || e.Code != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", e.Status, e.Code, tt.wantStatus, tt.wantCode)
			}
			if e.MinProtocol != "1.0" || e.MaxProtocol != wire.Current.String() || e.Message == "" {
				t.Fatalf("refusal does not say what the hub serves: %+v", e)
			}
		})
	}
}

func signedRequest(t *testing.T, key ed25519.PrivateKey, body []byte, now time.Time) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPatch, "http://hub.example/v1/blobs/abc%20d?x=1&y=2", bytes.NewReader(body))
	req.Header.Set(wire.HeaderUploadOffset, "1048576")
	req.Header.Set(wire.HeaderUploadLength, "3000000")
	if err := wire.SignRequest(req, "dev-1", key, body, now); err != nil {
		t.Fatal(err)
	}
	return req
}

func TestSignAndVerify(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	otherPub, _, _ := ed25519.GenerateKey(nil)
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	body := []byte("chunk bytes")

	req := signedRequest(t, key, body, now)
	s, sig, err := wire.SignedFromRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Verify(pub, sig) {
		t.Fatal("a correctly signed request does not verify")
	}
	if s.Verify(otherPub, sig) {
		t.Fatal("signature verifies under another device's key")
	}
	if s.BodySHA256 != wire.SumHex(body) || s.Path != "/v1/blobs/abc%20d" || s.Query != "x=1&y=2" || s.Protocol != wire.Current.String() {
		t.Fatalf("signed fields wrong: %+v", s)
	}

	// Every covered field matters.
	tamper := []struct {
		name string
		fn   func(*wire.Signed)
	}{
		{"method", func(s *wire.Signed) { s.Method = "PUT" }},
		{"path", func(s *wire.Signed) { s.Path = "/v1/blobs/other" }},
		{"query", func(s *wire.Signed) { s.Query = "x=1" }},
		{"protocol", func(s *wire.Signed) { s.Protocol = "9.9" }},
		{"device", func(s *wire.Signed) { s.Device = "dev-2" }},
		{"timestamp", func(s *wire.Signed) { s.Timestamp = "2026-03-02T01:00:01Z" }},
		{"nonce", func(s *wire.Signed) { s.Nonce = "AAAAAAAAAAAAAAAAAAAAAA" }},
		{"body", func(s *wire.Signed) { s.BodySHA256 = wire.SumHex([]byte("other")) }},
		{"offset", func(s *wire.Signed) { s.UploadOffset = "0" }},
		{"length", func(s *wire.Signed) { s.UploadLength = "3000001" }},
	}
	for _, tt := range tamper {
		c := s
		tt.fn(&c)
		if c.Verify(pub, sig) {
			t.Errorf("changing %s keeps the signature valid", tt.name)
		}
	}

	// Two signatures of the same request differ by nonce.
	req2 := signedRequest(t, key, body, now)
	if req2.Header.Get(wire.HeaderNonce) == req.Header.Get(wire.HeaderNonce) {
		t.Fatal("nonce repeated")
	}
}

func TestSignedFromRequestRefusesBadHeaders(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	now := time.Now()
	tests := []struct {
		name string
		fn   func(h http.Header)
	}{
		{"no device", func(h http.Header) { h.Del(wire.HeaderDevice) }},
		{"no signature", func(h http.Header) { h.Del(wire.HeaderSignature) }},
		{"short nonce", func(h http.Header) { h.Set(wire.HeaderNonce, "abc") }},
		{"nonce with slash", func(h http.Header) { h.Set(wire.HeaderNonce, "abcdefghijklmnop/qr") }},
		{"uppercase body hash", func(h http.Header) {
			h.Set(wire.HeaderBodySHA256, strings.ToUpper(h.Get(wire.HeaderBodySHA256)))
		}},
		{"signature not base64", func(h http.Header) { h.Set(wire.HeaderSignature, "***") }},
		{"signature too short", func(h http.Header) { h.Set(wire.HeaderSignature, "AAAA") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := signedRequest(t, key, nil, now)
			tt.fn(req.Header)
			if _, _, err := wire.SignedFromRequest(req); !errors.Is(err, wire.ErrUnsigned) {
				t.Fatalf("got %v, want ErrUnsigned", err)
			}
		})
	}
}

func TestCheckTimestamp(t *testing.T) {
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	tests := []struct {
		ts      string
		wantErr error
	}{
		{"2026-03-02T01:00:00Z", nil},
		{"2026-03-02T08:04:59+07:00", nil},
		{"2026-03-02T00:55:00Z", nil},
		{"2026-03-02T00:54:59Z", wire.ErrStale},
		{"2026-03-02T01:05:01Z", wire.ErrStale},
		{"1772413200", wire.ErrUnsigned},
	}
	for _, tt := range tests {
		_, err := wire.CheckTimestamp(tt.ts, now, wire.MaxClockSkew)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("%s: got %v, want %v", tt.ts, err, tt.wantErr)
		}
	}
}

func TestEnrolProof(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	req := wire.NewEnrolRequest("7kq2-m9xd-4htp", "Máy 1", "0.4.0", key)
	if req.Code != "7KQ2M9XD4HTP" {
		t.Fatalf("code not normalised: %q", req.Code)
	}
	if !ed25519.Verify(pub, wire.EnrolProofMessage(req.Code, req.PublicKey), req.Proof) {
		t.Fatal("proof does not verify")
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if ed25519.Verify(other, wire.EnrolProofMessage(req.Code, other), req.Proof) {
		t.Fatal("proof verifies for another key")
	}
	if ed25519.Verify(pub, wire.EnrolProofMessage("OTHERCODE", req.PublicKey), req.Proof) {
		t.Fatal("proof verifies for another code")
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"0195f3a2-7c41-7d2e-9b1a-3f5c2e8d4a10", true},
		{"0195F3A2-7C41-7D2E-9B1A-3F5C2E8D4A10", false}, // one spelling per ID
		{"0195f3a2-7c41-7d2e-9b1a-3f5c2e8d4a1", false},
		{"0195f3a27c417d2e9b1a3f5c2e8d4a10xxxx", false},
		{"01JNQ7R2ZK8M4X5Y6W7V8T9S0R", true},
		{"01jnq7r2zk8m4x5y6w7v8t9s0r", false},
		{"81JNQ7R2ZK8M4X5Y6W7V8T9S0R", false}, // overflows 128 bits
		{"01JNQ7R2ZK8M4X5Y6W7V8T9SOU", false}, // O and U are not Crockford digits
		{"", false},
	}
	for _, tt := range tests {
		if got := wire.ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestValidSHA256(t *testing.T) {
	if !wire.ValidSHA256(wire.SumHex([]byte("x"))) {
		t.Fatal("SumHex output is not a valid address")
	}
	for _, s := range []string{"", "abc", strings.ToUpper(wire.SumHex(nil)), wire.SumHex(nil) + "0", strings.Repeat("g", 64)} {
		if wire.ValidSHA256(s) {
			t.Errorf("ValidSHA256(%q) = true", s)
		}
	}
}

func TestDossierValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(d *wire.Dossier)
		problem string // "" = valid
	}{
		{"golden sample", func(d *wire.Dossier) {}, ""},
		{"bad id", func(d *wire.Dossier) { d.ID = "42" }, "id"},
		{"no code", func(d *wire.Dossier) { d.Code = " " }, "code is required"},
		{"no commune", func(d *wire.Dossier) { d.CommuneCode = "" }, "commune_code is required"},
		{"bad channel", func(d *wire.Dossier) { d.Channel = "fax" }, "channel"},
		{"bad kind", func(d *wire.Dossier) { d.Applicant.Kind = "alien" }, "applicant.kind"},
		{"status 0", func(d *wire.Dossier) { d.Status.National = 0 }, "status.national"},
		{"status 11", func(d *wire.Dossier) { d.Status.National = 11 }, "status.national"},
		{"no received_at", func(d *wire.Dossier) { d.ReceivedAt = time.Time{} }, "received_at"},
		{"due before received", func(d *wire.Dossier) { d.DueAt = ptr(d.ReceivedAt.Add(-time.Hour)) }, "due_at"},
		{"empty blob", func(d *wire.Dossier) { d.Components[0].Blobs[0].Size = 0 }, "size must be positive"},
		{"bad blob hash", func(d *wire.Dossier) { d.Components[0].Blobs[0].SHA256 = "abc" }, "sha256"},
		{"digitised without scan", func(d *wire.Dossier) { d.Components[0].Blobs = nil }, "digitised but has no blobs"},
		{"negative fee", func(d *wire.Dossier) { d.Fees[0].Amount = -1 }, "amount is negative"},
		{"summary too long", func(d *wire.Dossier) { d.Summary = strings.Repeat("ệ", 1001) }, "summary"},
		{"summary at limit", func(d *wire.Dossier) { d.Summary = strings.Repeat("ệ", 1000) }, ""},
		{"invalid utf8", func(d *wire.Dossier) { d.Applicant.Name = "\xff" }, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sampleDossier()
			tt.mutate(&d)
			err := d.Validate()
			if tt.problem == "" {
				if err != nil {
					t.Fatalf("valid dossier refused: %v", err)
				}
				return
			}
			if !errors.Is(err, wire.ErrInvalid) || !strings.Contains(err.Error(), tt.problem) {
				t.Fatalf("got %v, want a problem mentioning %q", err, tt.problem)
			}
		})
	}
}

func TestEventValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(e *wire.Event)
		problem string
	}{
		{"golden sample", func(e *wire.Event) {}, ""},
		{"bad dossier id", func(e *wire.Event) { e.DossierID = "x" }, "dossier_id"},
		{"no from", func(e *wire.Event) { e.From = "" }, "from is required"},
		{"no time", func(e *wire.Event) { e.At = time.Time{} }, "at is required"},
		{"agency without code", func(e *wire.Event) { e.Agency = &wire.Agency{Name: "Sở"} }, "agency.code"},
		{"bad return method", func(e *wire.Event) { e.ReturnMethod = "drone" }, "return_method"},
		{"bad national", func(e *wire.Event) { e.NationalStatus = 42 }, "national_status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sampleEvents()[0]
			tt.mutate(&e)
			err := e.Validate()
			if tt.problem == "" {
				if err != nil {
					t.Fatalf("valid event refused: %v", err)
				}
				return
			}
			if !errors.Is(err, wire.ErrInvalid) || !strings.Contains(err.Error(), tt.problem) {
				t.Fatalf("got %v, want a problem mentioning %q", err, tt.problem)
			}
		})
	}
}

func TestErrorRetryable(t *testing.T) {
	tests := []struct {
		e    wire.Error
		want bool
	}{
		{wire.Error{Status: 503, Code: wire.CodeUnavailable}, true},
		{wire.Error{Status: 502, Code: "bad_gateway"}, true},
		{wire.Error{Status: 429, Code: "slow_down"}, true},
		{wire.Error{Status: 409, Code: wire.CodeUploadBusy}, true},
		{wire.Error{Status: 401, Code: wire.CodeStaleTimestamp}, true},
		{wire.Error{Status: 409, Code: wire.CodeOffsetMismatch}, true},
		{wire.Error{Status: 401, Code: wire.CodeDeviceRevoked}, false},
		{wire.Error{Status: 422, Code: wire.CodeHashMismatch}, false},
		{wire.Error{Status: 426, Code: wire.CodeClientTooOld}, false},
		{wire.Error{Status: 413, Code: wire.CodeTooLarge}, false},
	}
	for _, tt := range tests {
		if got := tt.e.Retryable(); got != tt.want {
			t.Errorf("%s %d: Retryable = %v, want %v", tt.e.Code, tt.e.Status, got, tt.want)
		}
	}
	var err error = &wire.Error{Status: 409, Code: wire.CodeStateConflict, Message: "m"}
	var we *wire.Error
	if !errors.As(err, &we) || !strings.Contains(err.Error(), "state_conflict") {
		t.Fatalf("Error does not behave as a Go error: %v", err)
	}
}

func TestItemResultAccepted(t *testing.T) {
	for outcome, want := range map[string]bool{
		wire.OutcomeCreated: true, wire.OutcomeDuplicate: true,
		wire.OutcomeConflict: false, wire.OutcomeRejected: false, "": false,
	} {
		if got := (wire.ItemResult{Outcome: outcome}).Accepted(); got != want {
			t.Errorf("Accepted(%q) = %v, want %v", outcome, got, want)
		}
	}
}
