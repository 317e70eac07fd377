package calendar

import (
	"errors"
	"fmt"
)

// Sentinel errors. The API edge maps them to Vietnamese messages with
// errors.Is; the wrapping text is for logs.
var (
	ErrInvalidDate       = errors.New("invalid date")
	ErrOutOfRange        = errors.New("date outside the supported range")
	ErrNoSuchLunarDate   = errors.New("no such lunar date")
	ErrInvalidDuration   = errors.New("invalid duration")
	ErrInvalidConfig     = errors.New("invalid calendar config")
	ErrInvalidInterval   = errors.New("resume moment is before the pause moment")
	ErrUnknownPolicy     = errors.New("unknown supplementation policy")
	ErrOverrideSyntax    = errors.New("malformed override file")
	ErrDateOutsideYear   = errors.New("date outside the override year")
	ErrDuplicateDate     = errors.New("date listed more than once")
	ErrConflictingDates  = errors.New("date is both a day off and a working day")
	ErrUnknownHoliday    = errors.New("unknown holiday id")
	ErrEmptyReplacement  = errors.New("replacement lists no dates")
	ErrInvalidName       = errors.New("name is not clean NFC text")
	ErrAlreadyWorkingDay = errors.New("working-day entry names a day that is already a working day")
	ErrDuplicateOverride = errors.New("more than one override for the same year")
)

// OverrideError names the override entry that failed validation.
type OverrideError struct {
	Year  int    // year of the override file (0 if not known yet)
	Entry string // e.g. "days_off[1]", "replace.lunar_new_year[0]", "year"
	Value string // the offending raw value, if any
	Err   error  // one of the sentinel errors above, possibly wrapped
}

func (e *OverrideError) Error() string {
	s := "calendar override"
	if e.Year != 0 {
		s += fmt.Sprintf(" %d", e.Year)
	}
	if e.Entry != "" {
		s += ": " + e.Entry
	}
	if e.Value != "" {
		s += fmt.Sprintf(" %q", e.Value)
	}
	return s + ": " + e.Err.Error()
}

func (e *OverrideError) Unwrap() error { return e.Err }
