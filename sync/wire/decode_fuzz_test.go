package wire_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"motcua/sync/wire"
)

// fuzzMessages are the documents that cross the wire, in both directions:
// the hub decodes requests strictly, a commune decodes answers leniently,
// and either side may be talking to a broken or hostile peer.
var fuzzMessages = []func() any{
	func() any { return new(wire.PushRequest) },
	func() any { return new(wire.PushResponse) },
	func() any { return new(wire.PullResponse) },
	func() any { return new(wire.MissingRequest) },
	func() any { return new(wire.MissingResponse) },
	func() any { return new(wire.EnrolRequest) },
	func() any { return new(wire.EnrolResponse) },
	func() any { return new(wire.HealthResponse) },
	func() any { return new(wire.ErrorResponse) },
	func() any { return new(wire.Dossier) },
	func() any { return new(wire.Event) },
}

// FuzzDecode decodes arbitrary bytes as one of the wire messages, strictly
// or leniently, under a size limit. Properties: no panic; a document over
// the limit is refused as too large and nothing else is; every error is a
// *DecodeError with a known kind (never unknown_field when lenient); strict acceptance implies lenient
// acceptance of the same value; an accepted document re-encodes to a fixed
// point; validation of what was accepted does not panic.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, kind uint8, limit uint16, strict bool, data []byte) {
		mk := fuzzMessages[int(kind)%len(fuzzMessages)]
		v := mk()
		err := wire.Decode(bytes.NewReader(data), int64(limit), v, strict)
		tooLarge := len(data) > int(limit)
		if err != nil {
			var de *wire.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("%T %q: error %v is not a *DecodeError", v, data, err)
			}
			switch de.Kind {
			case wire.CodeTooLarge:
				if !tooLarge || !errors.Is(err, wire.ErrTooLarge) {
					t.Fatalf("%T: %d bytes under limit %d refused as too large: %v", v, len(data), limit, err)
				}
				return
			case wire.CodeUnknownField:
				if !strict {
					t.Fatalf("%T %q: lenient decode refused an unknown field: %v", v, data, err)
				}
			case wire.CodeInvalidJSON:
			default:
				t.Fatalf("%T %q: unknown error kind %q", v, data, de.Kind)
			}
			if tooLarge {
				t.Fatalf("%T: %d bytes over limit %d refused as %s, want too_large", v, len(data), limit, de.Kind)
			}
			return
		}
		if tooLarge {
			t.Fatalf("%T: %d bytes over limit %d accepted", v, len(data), limit)
		}
		first, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%T %q: accepted value does not encode: %v", v, data, err)
		}
		if strict {
			lv := mk()
			if err := wire.DecodeLenient(bytes.NewReader(data), int64(limit), lv); err != nil {
				t.Fatalf("%T %q: strict accepted, lenient refused: %v", v, data, err)
			}
			if lb, _ := json.Marshal(lv); !bytes.Equal(lb, first) {
				t.Fatalf("%T %q: strict and lenient disagree:\n%s\n%s", v, data, first, lb)
			}
		}
		// What this side would send back (or store and re-send) must be
		// readable by the strictest peer and mean the same.
		again := mk()
		if err := wire.DecodeStrict(bytes.NewReader(first), int64(len(first)), again); err != nil {
			t.Fatalf("%T %q: re-encoded %s refused: %v", v, data, first, err)
		}
		if second, _ := json.Marshal(again); !bytes.Equal(second, first) {
			t.Fatalf("%T %q: encoding is not stable:\n%s\n%s", v, data, first, second)
		}
		validate(t, v)
	})
}

// validate runs the checks the hub and the commune run on accepted
// records; they must answer, not panic, whatever the record holds.
func validate(t *testing.T, v any) {
	t.Helper()
	switch m := v.(type) {
	case *wire.PushRequest:
		for i := range m.Dossiers {
			if err := m.Dossiers[i].Validate(); err != nil && !errors.Is(err, wire.ErrInvalid) {
				t.Fatalf("dossier %d: %v does not wrap ErrInvalid", i, err)
			}
			m.Dossiers[i].Blobs()
		}
		for i := range m.Events {
			if err := m.Events[i].Validate(); err != nil && !errors.Is(err, wire.ErrInvalid) {
				t.Fatalf("event %d: %v does not wrap ErrInvalid", i, err)
			}
			m.Events[i].Blobs()
		}
	case *wire.Dossier:
		if err := m.Validate(); err != nil && !errors.Is(err, wire.ErrInvalid) {
			t.Fatalf("dossier: %v does not wrap ErrInvalid", err)
		}
	case *wire.Event:
		if err := m.Validate(); err != nil && !errors.Is(err, wire.ErrInvalid) {
			t.Fatalf("event: %v does not wrap ErrInvalid", err)
		}
	case *wire.PushResponse:
		for _, r := range m.Dossiers {
			r.Accepted()
		}
		for _, r := range m.Events {
			r.Accepted()
		}
	}
}

// FuzzNegotiate feeds arbitrary protocol headers to the hub's version
// check: it must answer with a version or an error envelope, and a version
// it accepts must print back to a header it accepts as the same version.
func FuzzNegotiate(f *testing.F) {
	f.Fuzz(func(t *testing.T, header string) {
		v, e := wire.Negotiate(header)
		if e != nil {
			if e.Status != 400 && e.Status != 426 || e.Code == "" || e.Message == "" {
				t.Fatalf("header %q: error %+v", header, e)
			}
			return
		}
		if v.Major < wire.MinMajor || v.Major > wire.Current.Major || v.Minor < 0 {
			t.Fatalf("header %q: accepted out-of-range version %v", header, v)
		}
		back, e := wire.Negotiate(v.String())
		if e != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("header %q: %v printed as %q reads back as %v, %v", header, v, v.String(), back, e)
		}
	})
}
