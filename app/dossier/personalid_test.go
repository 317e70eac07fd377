package dossier

import (
	"errors"
	"testing"
)

func TestParsePersonalID(t *testing.T) {
	tests := []struct {
		in   string
		want PersonalID
	}{
		{"001099012345", PersonalID{Number: "001099012345", Province: "001", Female: false, BirthYear: 1999}},
		{"079190000001", PersonalID{Number: "079190000001", Province: "079", Female: true, BirthYear: 1990}},
		{"038200123456", PersonalID{Number: "038200123456", Province: "038", Female: false, BirthYear: 2000}},
		{"096325999999", PersonalID{Number: "096325999999", Province: "096", Female: true, BirthYear: 2025}},
		{"086000000000", PersonalID{Number: "086000000000", Province: "086", Female: false, BirthYear: 1900}},
	}
	for _, tt := range tests {
		got, err := ParsePersonalID(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParsePersonalID(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
		if err := ValidatePersonalID(tt.in); err != nil {
			t.Errorf("ValidatePersonalID(%q) = %v", tt.in, err)
		}
	}
}

func TestValidatePersonalIDErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrIDLength},
		{"00109901234", ErrIDLength},
		{"0010990123456", ErrIDLength},
		{" 001099012345", ErrIDLength},
		{"001 99012345", ErrIDNotDigits},
		{"00109901234a", ErrIDNotDigits},
		{"-01099012345", ErrIDNotDigits},
		{"000099012345", ErrIDProvince},
		{"003099012345", ErrIDProvince}, // gap in the list
		{"097099012345", ErrIDProvince},
		{"999099012345", ErrIDProvince},
		{"001499012345", ErrIDCentury},
		{"001999012345", ErrIDCentury},
	}
	for _, tt := range tests {
		if err := ValidatePersonalID(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("ValidatePersonalID(%q) = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestProvinceCodes(t *testing.T) {
	if len(provinces) != 63 {
		t.Errorf("%d province codes, want 63", len(provinces))
	}
	for code, name := range provinces {
		if len(code) != 3 || !allDigits(code) || code < "001" || code > "096" {
			t.Errorf("bad province code %q", code)
		}
		checkLabel(t, code, name)
	}
	tests := map[string]string{"001": "Hà Nội", "079": "Hồ Chí Minh", "046": "Thừa Thiên Huế", "003": "", "": ""}
	for code, want := range tests {
		if got := ProvinceName(code); got != want {
			t.Errorf("ProvinceName(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestCheckBirthYear(t *testing.T) {
	id, err := ParsePersonalID("001301012345")
	if err != nil {
		t.Fatal(err)
	}
	if err := id.CheckBirthYear(2001); err != nil {
		t.Errorf("CheckBirthYear(2001) = %v", err)
	}
	for _, y := range []int{1901, 2000, 2101} {
		if err := id.CheckBirthYear(y); !errors.Is(err, ErrIDBirthYear) {
			t.Errorf("CheckBirthYear(%d) = %v, want ErrIDBirthYear", y, err)
		}
	}
}

func TestValidateOldID(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"012345678", nil},
		{"01234567", ErrIDLength},
		{"001099012345", ErrIDLength},
		{"01234567x", ErrIDNotDigits},
	}
	for _, tt := range tests {
		if err := ValidateOldID(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("ValidateOldID(%q) = %v, want %v", tt.in, err, tt.want)
		}
	}
}
