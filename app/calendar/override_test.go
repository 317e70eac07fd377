package calendar

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseOverrideFile(t *testing.T) {
	o := override2026(t)
	if o.Year != 2026 || !strings.Contains(o.Source, "6620/UBND-VX") {
		t.Errorf("year/source = %d %q", o.Year, o.Source)
	}
	tet := o.Replace[LunarNewYear]
	if len(tet) != 5 || tet[0] != date(2026, 2, 16) || tet[4] != date(2026, 2, 20) {
		t.Errorf("Tết = %v", tet)
	}
	if len(o.DaysOff) != 1 || o.DaysOff[0].Date != date(2026, 8, 31) {
		t.Errorf("days_off = %v", o.DaysOff)
	}
	if len(o.WorkingDays) != 1 || o.WorkingDays[0].Date != date(2026, 8, 22) {
		t.Errorf("working_days = %v", o.WorkingDays)
	}
	// The struct's JSON encoding is the file format.
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseOverride(b)
	if err != nil || !reflect.DeepEqual(back, o) {
		t.Errorf("round trip = %+v, %v; want %+v", back, err, o)
	}
}

func TestParseOverrideErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
		entry    string
	}{
		{"garbage", `not json`, ErrOverrideSyntax, ""},
		{"empty", ``, ErrOverrideSyntax, ""},
		{"array", `[]`, ErrOverrideSyntax, ""},
		{"unknown field", `{"year":2026,"holidays":[]}`, ErrOverrideSyntax, ""},
		{"year as string", `{"year":"2026"}`, ErrOverrideSyntax, ""},
		{"trailing data", `{"year":2026} {"year":2027}`, ErrOverrideSyntax, ""},
		{"missing year", `{"days_off":[]}`, ErrOverrideSyntax, "year"},
		{"year out of range", `{"year":1800}`, ErrOutOfRange, "year"},
		{"impossible date", `{"year":2026,"days_off":[{"date":"2026-08-31"},{"date":"2026-02-30"}]}`, ErrInvalidDate, "days_off[1]"},
		{"Vietnamese date order", `{"year":2026,"working_days":[{"date":"22/08/2026"}]}`, ErrInvalidDate, "working_days[0]"},
		{"bad replace date", `{"year":2026,"replace":{"lunar_new_year":["2026-02-16","2026-0217"]}}`, ErrInvalidDate, "replace.lunar_new_year[1]"},
		{"other year", `{"year":2026,"days_off":[{"date":"2025-12-31"}]}`, ErrDateOutsideYear, "days_off[0]"},
		{"off and working", `{"year":2026,"days_off":[{"date":"2026-08-22"}],"working_days":[{"date":"2026-08-22"}]}`, ErrConflictingDates, "working_days[0]"},
		{"replaced and working", `{"year":2026,"replace":{"national_day":["2026-09-01","2026-09-02"]},"working_days":[{"date":"2026-09-01"}]}`, ErrConflictingDates, "working_days[0]"},
		{"duplicate day off", `{"year":2026,"days_off":[{"date":"2026-08-31"},{"date":"2026-08-31"}]}`, ErrDuplicateDate, "days_off[1]"},
		{"duplicate working day", `{"year":2026,"working_days":[{"date":"2026-08-22"},{"date":"2026-08-22"}]}`, ErrDuplicateDate, "working_days[1]"},
		{"day off also replaced", `{"year":2026,"replace":{"national_day":["2026-09-01","2026-09-02"]},"days_off":[{"date":"2026-09-02"}]}`, ErrDuplicateDate, "days_off[0]"},
		{"unknown holiday", `{"year":2026,"replace":{"christmas":["2026-12-25"]}}`, ErrUnknownHoliday, "replace.christmas"},
		{"empty replacement", `{"year":2026,"replace":{"national_day":[]}}`, ErrEmptyReplacement, "replace.national_day"},
		{"decomposed name", `{"year":2026,"days_off":[{"date":"2026-08-31","name":"Nghi\u0309 bu\u0300"}]}`, ErrInvalidName, "days_off[0]"},
		{"control char in name", `{"year":2026,"working_days":[{"date":"2026-08-22","name":"Làm\u0007bù"}]}`, ErrInvalidName, "working_days[0]"},
	}
	for _, tt := range tests {
		_, err := ParseOverride([]byte(tt.in))
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.want)
			continue
		}
		var oe *OverrideError
		if !errors.As(err, &oe) {
			t.Errorf("%s: error %T is not *OverrideError", tt.name, err)
			continue
		}
		if oe.Entry != tt.entry {
			t.Errorf("%s: entry = %q, want %q", tt.name, oe.Entry, tt.entry)
		}
		if tt.entry != "" && !strings.Contains(err.Error(), tt.entry) {
			t.Errorf("%s: message %q does not name %s", tt.name, err, tt.entry)
		}
	}
}

// Checks that need the calendar run in New.
func TestNewOverrideErrors(t *testing.T) {
	parse := func(s string) Override {
		o, err := ParseOverride([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	tests := []struct {
		name      string
		overrides []Override
		want      error
		entry     string
	}{
		{"working day on a Tuesday", []Override{parse(`{"year":2026,"working_days":[{"date":"2026-08-25"}]}`)}, ErrAlreadyWorkingDay, "working_days[0]"},
		{"two files for 2026", []Override{parse(`{"year":2026}`), parse(`{"year":2026}`)}, ErrDuplicateOverride, "year"},
		{"hand-built invalid", []Override{{Year: 2026, DaysOff: []DayEntry{{Date: date(2027, 1, 1)}}}}, ErrDateOutsideYear, "days_off[0]"},
	}
	for _, tt := range tests {
		_, err := New(Config{Overrides: tt.overrides})
		var oe *OverrideError
		if !errors.Is(err, tt.want) || !errors.As(err, &oe) || oe.Entry != tt.entry {
			t.Errorf("%s: New error = %v, want %v at %s", tt.name, err, tt.want, tt.entry)
		}
	}
}

func TestOverrideSemantics(t *testing.T) {
	o, err := ParseOverride([]byte(`{
		"year": 2026,
		"replace": {"lunar_new_year": ["2026-02-14","2026-02-15","2026-02-16","2026-02-17","2026-02-18","2026-02-19","2026-02-20","2026-02-21","2026-02-22"]},
		"working_days": [{"date": "2026-04-27"}],
		"days_off": [{"date": "2026-04-29"}, {"date": "2026-04-26"}]
	}`))
	if err != nil {
		t.Fatal(err)
	}
	c := mustNew(t, Config{Overrides: []Override{o}})
	tests := []struct {
		d    Date
		want bool
	}{
		{date(2026, 2, 23), true},  // replaced Tết days include the weekend: no nghỉ bù
		{date(2026, 4, 27), true},  // default nghỉ bù of Giỗ Tổ moved…
		{date(2026, 4, 29), false}, // …to 29/4
	}
	for _, tt := range tests {
		if got := c.IsWorkingDay(tt.d); got != tt.want {
			t.Errorf("IsWorkingDay(%v) = %v, want %v", tt.d, got, tt.want)
		}
	}
	for _, h := range c.Holidays(2026) {
		if h.Date == date(2026, 4, 27) {
			t.Errorf("day made working still listed as holiday: %+v", h)
		}
		if h.Date == date(2026, 4, 26) && h.Name != "Giỗ Tổ Hùng Vương" {
			t.Errorf("redundant day off replaced the statutory name: %+v", h)
		}
		if h.Date == date(2026, 4, 29) && (h.Kind != DayOff || h.Name != defaultDayOffName) {
			t.Errorf("29/4 = %+v, want default-named day off", h)
		}
	}
	if got := c.MakeUpDays(2026); len(got) != 1 || got[0].Name != defaultMakeUpName {
		t.Errorf("MakeUpDays = %v", got)
	}
}
