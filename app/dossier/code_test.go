package dossier

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFormatCode(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 30, 0, 0, vietnam) }
	tests := []struct {
		agency string
		day    time.Time
		seq    int
		want   string
	}{
		{"000.00.06.H56", day(2023, 10, 27), 361, "000.00.06.H56-231027-0361"},
		{"000.17.22.H56", day(2021, 5, 31), 1, "000.17.22.H56-210531-0001"},
		{"H56", day(2026, 1, 1), 9999, "H56-260101-9999"},
		{"H56", day(2026, 1, 1), 10000, "H56-260101-10000"},
		{"G06.01.02", day(2000, 2, 29), 42, "G06.01.02-000229-0042"},
		// 20:00 UTC on 26 October is already 27 October at the desk.
		{"X1", time.Date(2023, 10, 26, 20, 0, 0, 0, time.UTC), 7, "X1-231027-0007"},
		{strings.Repeat("A", 35), day(2099, 12, 31), 999999999, strings.Repeat("A", 35) + "-991231-999999999"},
	}
	for _, tt := range tests {
		got, err := FormatCode(tt.agency, tt.day, tt.seq)
		if err != nil || got != tt.want {
			t.Errorf("FormatCode(%q, %v, %d) = %q, %v; want %q", tt.agency, tt.day, tt.seq, got, err, tt.want)
		}
	}
}

func TestFormatCodeErrors(t *testing.T) {
	ok := time.Date(2025, 7, 1, 8, 0, 0, 0, vietnam)
	tests := []struct {
		agency string
		day    time.Time
		seq    int
		want   error
	}{
		{"", ok, 1, ErrInvalidAgencyID},
		{strings.Repeat("A", 36), ok, 1, ErrInvalidAgencyID},
		{"000.00.06.h56", ok, 1, ErrInvalidAgencyID},
		{"000-00", ok, 1, ErrInvalidAgencyID},
		{"000..06", ok, 1, ErrInvalidAgencyID},
		{".000", ok, 1, ErrInvalidAgencyID},
		{"000.", ok, 1, ErrInvalidAgencyID},
		{"Đ56", ok, 1, ErrInvalidAgencyID},
		{"H56", ok, 0, ErrInvalidSequence},
		{"H56", ok, -3, ErrInvalidSequence},
		{"H56", ok, 1_000_000_000, ErrInvalidSequence},
		{"H56", time.Date(1999, 12, 31, 12, 0, 0, 0, vietnam), 1, ErrInvalidDate},
		{"H56", time.Date(2100, 1, 1, 0, 0, 0, 0, vietnam), 1, ErrInvalidDate},
		{"H56", time.Time{}, 1, ErrInvalidDate},
	}
	for _, tt := range tests {
		got, err := FormatCode(tt.agency, tt.day, tt.seq)
		if !errors.Is(err, tt.want) {
			t.Errorf("FormatCode(%q, %v, %d) = %q, %v; want error %v", tt.agency, tt.day, tt.seq, got, err, tt.want)
		}
	}
}

func TestParseCode(t *testing.T) {
	tests := []struct {
		code   string
		agency string
		day    time.Time
		seq    int
	}{
		{"000.00.06.H56-231027-0361", "000.00.06.H56", time.Date(2023, 10, 27, 0, 0, 0, 0, vietnam), 361},
		{"000.17.22.H56-210531-0001", "000.17.22.H56", time.Date(2021, 5, 31, 0, 0, 0, 0, vietnam), 1},
		{"H56-240229-123456", "H56", time.Date(2024, 2, 29, 0, 0, 0, 0, vietnam), 123456},
		{"A-000101-1000", "A", time.Date(2000, 1, 1, 0, 0, 0, 0, vietnam), 1000},
	}
	for _, tt := range tests {
		agency, day, seq, err := ParseCode(tt.code)
		if err != nil || agency != tt.agency || !day.Equal(tt.day) || seq != tt.seq {
			t.Errorf("ParseCode(%q) = %q, %v, %d, %v; want %q, %v, %d", tt.code, agency, day, seq, err, tt.agency, tt.day, tt.seq)
			continue
		}
		if _, off := day.Zone(); off != 7*3600 {
			t.Errorf("ParseCode(%q) day in offset %d, want +07:00", tt.code, off)
		}
		again, err := FormatCode(agency, day, seq)
		if err != nil || again != tt.code {
			t.Errorf("FormatCode(ParseCode(%q)) = %q, %v", tt.code, again, err)
		}
	}
}

func TestParseCodeErrors(t *testing.T) {
	tests := []struct {
		code string
		want error
	}{
		{"", ErrInvalidSequence},
		{"H56", ErrInvalidSequence},
		{"H56-0361", ErrInvalidDate},
		{"-231027-0361", ErrInvalidAgencyID},
		{"h56-231027-0361", ErrInvalidAgencyID},
		{"H 56-231027-0361", ErrInvalidAgencyID},
		{"H56-X-231027-0361", ErrInvalidAgencyID},
		{strings.Repeat("1", 36) + "-231027-0361", ErrInvalidAgencyID},
		{"H56-231327-0361", ErrInvalidDate},
		{"H56-231000-0361", ErrInvalidDate},
		{"H56-230229-0361", ErrInvalidDate},
		{"H56-230431-0361", ErrInvalidDate},
		{"H56-23102-0361", ErrInvalidDate},
		{"H56-2310270-0361", ErrInvalidDate},
		{"H56-23102a-0361", ErrInvalidDate},
		{"H56-231027-361", ErrInvalidSequence},
		{"H56-231027-00361", ErrInvalidSequence},
		{"H56-231027-0000", ErrInvalidSequence},
		{"H56-231027-1234567890", ErrInvalidSequence},
		{"H56-231027-+361", ErrInvalidSequence},
		{"H56-231027-03 1", ErrInvalidSequence},
		{"H56-231027-", ErrInvalidSequence},
		{"H56-231027-0361\n", ErrInvalidSequence},
	}
	for _, tt := range tests {
		agency, day, seq, err := ParseCode(tt.code)
		if !errors.Is(err, ErrInvalidCode) || !errors.Is(err, tt.want) {
			t.Errorf("ParseCode(%q) = %q, %v, %d, %v; want ErrInvalidCode and %v", tt.code, agency, day, seq, err, tt.want)
		}
		if agency != "" || !day.IsZero() || seq != 0 {
			t.Errorf("ParseCode(%q) failed but returned %q, %v, %d", tt.code, agency, day, seq)
		}
	}
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{
		"000.00.06.H56-231027-0361", "000.17.22.H56-210531-0001", "H56-240229-123456",
		"H56-230229-0001", "H56-231027-00361", "-231027-0001", "A--0001", "", "---",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		agency, day, seq, err := ParseCode(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidCode) {
				t.Fatalf("ParseCode(%q) error %v does not wrap ErrInvalidCode", s, err)
			}
			return
		}
		if h, m, sec := day.Clock(); h != 0 || m != 0 || sec != 0 || day.Nanosecond() != 0 {
			t.Fatalf("ParseCode(%q) day %v is not midnight", s, day)
		}
		// A parsed code must be the one and only spelling of its parts.
		again, err := FormatCode(agency, day, seq)
		if err != nil || again != s {
			t.Fatalf("FormatCode(ParseCode(%q)) = %q, %v", s, again, err)
		}
	})
}
