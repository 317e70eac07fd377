package calendar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Override is one year's adjustments decided by the Prime Minister and
// relayed by the province: replaced statutory days (e.g. the concrete Tết
// days), extra days off and working days (làm bù). The JSON file format is
// exactly this struct's encoding:
//
//	{
//	  "year": 2026,
//	  "source": "CV 6620/UBND-VX ngày 24/10/2025 của UBND tỉnh Lai Châu",
//	  "replace": {"lunar_new_year": ["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20"]},
//	  "days_off": [{"date": "2026-08-31", "name": "Nghỉ hoán đổi dịp Quốc khánh"}],
//	  "working_days": [{"date": "2026-08-22", "name": "Làm bù ngày 31/8/2026"}]
//	}
//
// Rules:
//   - "replace" maps a HolidayID to the full list of its days that year;
//     replaced days get no automatic compensatory day, since the decision
//     already names the concrete days.
//   - "days_off" adds non-working days; "working_days" makes days working
//     (typically a Saturday, or a default compensatory day the decision moved).
//   - Every date must lie in "year" and appear only once in the file; a
//     working day must otherwise be a non-working day.
//   - Names are optional; a default Vietnamese name is used.
type Override struct {
	Year        int                  `json:"year"`
	Source      string               `json:"source,omitempty"` // the decision or letter, for audit
	Replace     map[HolidayID][]Date `json:"replace,omitempty"`
	DaysOff     []DayEntry           `json:"days_off,omitempty"`
	WorkingDays []DayEntry           `json:"working_days,omitempty"`
}

// DayEntry is a dated, named entry of an override.
type DayEntry struct {
	Date Date   `json:"date"`
	Name string `json:"name,omitempty"`
}

const (
	defaultDayOffName  = "Ngày nghỉ theo quyết định"
	defaultMakeUpName  = "Ngày làm bù"
	maxOverrideFileLen = 1 << 20
)

// The wire form keeps dates as strings so errors can name the bad entry.
type overrideFile struct {
	Year        *int                `json:"year"`
	Source      string              `json:"source"`
	Replace     map[string][]string `json:"replace"`
	DaysOff     []dayEntryFile      `json:"days_off"`
	WorkingDays []dayEntryFile      `json:"working_days"`
}

type dayEntryFile struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

// ParseOverride decodes and validates an override file. Errors are
// *OverrideError wrapping one of the Err* sentinels.
func ParseOverride(data []byte) (Override, error) {
	if len(data) > maxOverrideFileLen {
		return Override{}, &OverrideError{Err: fmt.Errorf("%w: file larger than %d bytes", ErrOverrideSyntax, maxOverrideFileLen)}
	}
	var f overrideFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Override{}, &OverrideError{Err: fmt.Errorf("%w: %w", ErrOverrideSyntax, err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Override{}, &OverrideError{Err: fmt.Errorf("%w: data after the JSON object", ErrOverrideSyntax)}
	}
	if f.Year == nil {
		return Override{}, &OverrideError{Entry: "year", Err: fmt.Errorf("%w: missing", ErrOverrideSyntax)}
	}
	o := Override{Year: *f.Year, Source: strings.TrimSpace(f.Source)}
	if err := checkYear(o.Year); err != nil {
		return Override{}, err
	}
	parse := func(entry, s string) (Date, error) {
		d, err := ParseDate(s)
		if err != nil {
			return Date{}, &OverrideError{Year: o.Year, Entry: entry, Value: s, Err: ErrInvalidDate}
		}
		return d, nil
	}
	ids := make([]string, 0, len(f.Replace))
	for id := range f.Replace {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if o.Replace == nil {
			o.Replace = make(map[HolidayID][]Date)
		}
		var ds []Date
		for i, s := range f.Replace[id] {
			d, err := parse(fmt.Sprintf("replace.%s[%d]", id, i), s)
			if err != nil {
				return Override{}, err
			}
			ds = append(ds, d)
		}
		o.Replace[HolidayID(id)] = ds
	}
	entries := func(field string, in []dayEntryFile) ([]DayEntry, error) {
		var out []DayEntry
		for i, e := range in {
			d, err := parse(fmt.Sprintf("%s[%d]", field, i), e.Date)
			if err != nil {
				return nil, err
			}
			out = append(out, DayEntry{Date: d, Name: strings.TrimSpace(e.Name)})
		}
		return out, nil
	}
	var err error
	if o.DaysOff, err = entries("days_off", f.DaysOff); err != nil {
		return Override{}, err
	}
	if o.WorkingDays, err = entries("working_days", f.WorkingDays); err != nil {
		return Override{}, err
	}
	if err := o.Validate(); err != nil {
		return Override{}, err
	}
	return o, nil
}

func checkYear(y int) error {
	if y < MinYear || y > MaxYear {
		return &OverrideError{Entry: "year", Value: fmt.Sprint(y), Err: ErrOutOfRange}
	}
	return nil
}

// Validate checks the override on its own (the checks that need the
// calendar, such as ErrAlreadyWorkingDay, happen in New).
func (o Override) Validate() error {
	if err := checkYear(o.Year); err != nil {
		return err
	}
	fail := func(entry string, d Date, err error) error {
		return &OverrideError{Year: o.Year, Entry: entry, Value: d.String(), Err: err}
	}
	seen := make(map[Date]string) // date → first entry naming it as a day off
	check := func(entry string, d Date) error {
		if !d.Valid() {
			return fail(entry, d, ErrInvalidDate)
		}
		if d.Year != o.Year {
			return fail(entry, d, ErrDateOutsideYear)
		}
		if prev, ok := seen[d]; ok {
			return fail(entry, d, fmt.Errorf("%w (also %s)", ErrDuplicateDate, prev))
		}
		seen[d] = entry
		return nil
	}
	ids := make([]HolidayID, 0, len(o.Replace))
	for id := range o.Replace {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		entry := "replace." + string(id)
		if !id.Known() {
			return &OverrideError{Year: o.Year, Entry: entry, Err: ErrUnknownHoliday}
		}
		if len(o.Replace[id]) == 0 {
			return &OverrideError{Year: o.Year, Entry: entry, Err: ErrEmptyReplacement}
		}
		for i, d := range o.Replace[id] {
			if err := check(fmt.Sprintf("%s[%d]", entry, i), d); err != nil {
				return err
			}
		}
	}
	for i, e := range o.DaysOff {
		entry := fmt.Sprintf("days_off[%d]", i)
		if err := check(entry, e.Date); err != nil {
			return err
		}
		if err := checkName(e.Name); err != nil {
			return fail(entry, e.Date, err)
		}
	}
	working := make(map[Date]string)
	for i, e := range o.WorkingDays {
		entry := fmt.Sprintf("working_days[%d]", i)
		if !e.Date.Valid() {
			return fail(entry, e.Date, ErrInvalidDate)
		}
		if e.Date.Year != o.Year {
			return fail(entry, e.Date, ErrDateOutsideYear)
		}
		if prev, ok := seen[e.Date]; ok {
			return fail(entry, e.Date, fmt.Errorf("%w (day off in %s)", ErrConflictingDates, prev))
		}
		if prev, ok := working[e.Date]; ok {
			return fail(entry, e.Date, fmt.Errorf("%w (also %s)", ErrDuplicateDate, prev))
		}
		working[e.Date] = entry
		if err := checkName(e.Name); err != nil {
			return fail(entry, e.Date, err)
		}
	}
	return nil
}

// checkName accepts names that print cleanly on forms. Decomposed
// diacritics (NFD, as some macOS tools write) are refused rather than
// silently stored, because the house rule is NFC everywhere.
func checkName(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: not UTF-8", ErrInvalidName)
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return fmt.Errorf("%w: control character", ErrInvalidName)
		case unicode.Is(unicode.Mn, r):
			return fmt.Errorf("%w: combining mark U+%04X (use precomposed NFC letters)", ErrInvalidName, r)
		}
	}
	return nil
}
