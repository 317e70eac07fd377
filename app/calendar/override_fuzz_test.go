package calendar

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// overrideSentinels are the errors ParseOverride and New may wrap; any
// other error would leave the settings screen without a message to show.
var overrideSentinels = []error{
	ErrOverrideSyntax, ErrOutOfRange, ErrInvalidDate, ErrDateOutsideYear, ErrDuplicateDate,
	ErrConflictingDates, ErrUnknownHoliday, ErrEmptyReplacement, ErrInvalidName, ErrAlreadyWorkingDay,
}

func checkOverrideError(t *testing.T, data []byte, err error) {
	t.Helper()
	var oe *OverrideError
	if !errors.As(err, &oe) {
		t.Fatalf("input %q: error %v (%T) is not an *OverrideError", data, err, err)
	}
	for _, s := range overrideSentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("input %q: error %v wraps none of the sentinels", data, err)
}

// FuzzParseOverride feeds arbitrary files to the province override parser.
// A file it accepts must survive its own encoding (the struct's JSON is the
// file format) and build a calendar or be refused with an *OverrideError.
func FuzzParseOverride(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := ParseOverride(data)
		if err != nil {
			checkOverrideError(t, data, err)
			return
		}
		if err := o.Validate(); err != nil {
			t.Fatalf("input %q: parsed override does not validate: %v", data, err)
		}
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatalf("input %q: marshal: %v", data, err)
		}
		back, err := ParseOverride(b)
		if err != nil {
			t.Fatalf("input %q: re-encoded %s does not parse: %v", data, b, err)
		}
		if !reflect.DeepEqual(back, o) {
			t.Fatalf("input %q: round trip changed the override:\n got %+v\nwant %+v", data, back, o)
		}
		cal, err := New(Config{Overrides: []Override{o}})
		if err != nil {
			checkOverrideError(t, data, err)
			return
		}
		// Every day the override names must come out as it said.
		for _, e := range o.DaysOff {
			if cal.IsWorkingDay(e.Date) {
				t.Fatalf("input %q: day off %s is a working day", data, e.Date)
			}
		}
		for _, ds := range o.Replace {
			for _, d := range ds {
				if cal.IsWorkingDay(d) {
					t.Fatalf("input %q: replaced holiday %s is a working day", data, d)
				}
			}
		}
		for _, e := range o.WorkingDays {
			if !cal.IsWorkingDay(e.Date) {
				t.Fatalf("input %q: make-up day %s is not a working day", data, e.Date)
			}
		}
		// The year must still have a next working day from its first day.
		jan1 := Date{Year: o.Year, Month: 1, Day: 1}
		if next := cal.NextWorkingDay(jan1); !next.After(jan1) {
			t.Fatalf("input %q: next working day after %s is %s", data, jan1, next)
		}
	})
}
