package dossier

import (
	"errors"
	"testing"
)

func TestApplicantKinds(t *testing.T) {
	want := map[ApplicantKind]int{
		ApplicantPerson: 1, ApplicantEnterprise: 2, ApplicantStateAgency: 3, ApplicantOrganisation: 4,
	}
	if len(ApplicantKinds()) != len(want) {
		t.Fatalf("ApplicantKinds() = %q", ApplicantKinds())
	}
	for _, k := range ApplicantKinds() {
		if got := k.NationalCode(); got != want[k] {
			t.Errorf("%q.NationalCode() = %d, want %d", k, got, want[k])
		}
		back, err := ApplicantKindFromNational(want[k])
		if err != nil || back != k {
			t.Errorf("ApplicantKindFromNational(%d) = %q, %v; want %q", want[k], back, err, k)
		}
		if !k.Valid() {
			t.Errorf("%q.Valid() = false", k)
		}
		checkLabel(t, string(k), k.Label())
	}
	if !ApplicantPerson.IsPerson() || ApplicantOrganisation.IsPerson() {
		t.Error("IsPerson is wrong")
	}
	if k := ApplicantKind("robot"); k.Valid() || k.Label() != "" || k.NationalCode() != 0 {
		t.Error("unknown applicant kind is valid")
	}
	for _, code := range []int{0, 5, -1} {
		if _, err := ApplicantKindFromNational(code); !errors.Is(err, ErrUnknownCode) {
			t.Errorf("ApplicantKindFromNational(%d) = %v, want ErrUnknownCode", code, err)
		}
	}
}

func TestChannels(t *testing.T) {
	want := map[Channel]int{ChannelInPerson: 1, ChannelOnline: 2, ChannelPostal: 3}
	if len(Channels()) != len(want) {
		t.Fatalf("Channels() = %q", Channels())
	}
	for _, c := range Channels() {
		if got := c.NationalCode(); got != want[c] {
			t.Errorf("%q.NationalCode() = %d, want %d", c, got, want[c])
		}
		back, err := ChannelFromNational(want[c])
		if err != nil || back != c {
			t.Errorf("ChannelFromNational(%d) = %q, %v; want %q", want[c], back, err, c)
		}
		if !c.Valid() {
			t.Errorf("%q.Valid() = false", c)
		}
		checkLabel(t, string(c), c.Label())
	}
	if c := Channel("fax"); c.Valid() || c.Label() != "" || c.NationalCode() != 0 {
		t.Error("unknown channel is valid")
	}
	for _, code := range []int{0, 4} {
		if _, err := ChannelFromNational(code); !errors.Is(err, ErrUnknownCode) {
			t.Errorf("ChannelFromNational(%d) = %v, want ErrUnknownCode", code, err)
		}
	}
}

func TestReturnMethods(t *testing.T) {
	tests := []struct {
		m    ReturnMethod
		code int
	}{{ReturnInPerson, 0}, {ReturnPost, 1}}
	for _, tt := range tests {
		if got := tt.m.NationalCode(); got != tt.code {
			t.Errorf("%q.NationalCode() = %d, want %d", tt.m, got, tt.code)
		}
		back, err := ReturnMethodFromNational(tt.code)
		if err != nil || back != tt.m {
			t.Errorf("ReturnMethodFromNational(%d) = %q, %v; want %q", tt.code, back, err, tt.m)
		}
		if !tt.m.Valid() {
			t.Errorf("%q.Valid() = false", tt.m)
		}
		checkLabel(t, string(tt.m), tt.m.Label())
	}
	if m := ReturnMethod("drone"); m.Valid() || m.Label() != "" || m.NationalCode() != -1 {
		t.Error("unknown return method is valid")
	}
	if _, err := ReturnMethodFromNational(2); !errors.Is(err, ErrUnknownCode) {
		t.Errorf("ReturnMethodFromNational(2) = %v, want ErrUnknownCode", err)
	}
}
