package dossier

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Errors of dossier codes. ParseCode wraps ErrInvalidCode together with the
// specific cause.
var (
	ErrInvalidCode     = errors.New("invalid dossier code")
	ErrInvalidAgencyID = errors.New("invalid agency e-ID")
	ErrInvalidDate     = errors.New("invalid receipt date")
	ErrInvalidSequence = errors.New("invalid dossier sequence")
)

// MaxAgencyIDLen is the longest agency e-ID (QĐ 20/2020/QĐ-TTg).
const MaxAgencyIDLen = 35

// maxSeqDigits keeps the sequence inside int on every platform; no desk
// receives a billion dossiers a day.
const maxSeqDigits = 9

// Vietnam has had no daylight saving since 1975, so a fixed zone gives the
// legal calendar date without depending on a tz database on old PCs.
var vietnam = time.FixedZone("ICT", 7*60*60)

// FormatCode returns the dossier code <agency e-ID>-<yyMMdd>-<sequence>
// that provincial one-stop systems use, e.g.
// "000.00.06.H56-231027-0361". The date is the Vietnamese calendar date
// (UTC+7) of day, which must be in 2000–2099. The sequence is the dossier's
// number within that day, padded to at least 4 digits.
//
// The agency e-ID is opaque: up to 35 characters of 0–9, A–Z and '.', with
// no empty group between dots.
func FormatCode(agencyID string, day time.Time, seq int) (string, error) {
	if err := checkAgencyID(agencyID); err != nil {
		return "", err
	}
	d := day.In(vietnam)
	if y := d.Year(); y < 2000 || y > 2099 {
		return "", fmt.Errorf("%w: year %d outside 2000–2099", ErrInvalidDate, y)
	}
	if seq < 1 || seq > 999_999_999 {
		return "", fmt.Errorf("%w: %d not in 1–999999999", ErrInvalidSequence, seq)
	}
	return fmt.Sprintf("%s-%s-%04d", agencyID, d.Format("060102"), seq), nil
}

// ParseCode splits a dossier code made by FormatCode. Only the agency part
// may hold further structure, so the code is split at its last two hyphens.
// day is midnight of the receipt date in Vietnam time (UTC+7). Codes that
// FormatCode would not produce, such as a sequence with extra leading zeros,
// are rejected so that one dossier has exactly one code.
func ParseCode(s string) (agencyID string, day time.Time, seq int, err error) {
	fail := func(cause error, detail string) (string, time.Time, int, error) {
		return "", time.Time{}, 0, fmt.Errorf("%w: %q: %w: %s", ErrInvalidCode, s, cause, detail)
	}
	j := strings.LastIndexByte(s, '-')
	if j < 0 {
		return fail(ErrInvalidSequence, "no hyphen")
	}
	i := strings.LastIndexByte(s[:j], '-')
	if i < 0 {
		return fail(ErrInvalidDate, "only one hyphen")
	}
	agencyID, date, num := s[:i], s[i+1:j], s[j+1:]
	if err := checkAgencyID(agencyID); err != nil {
		return "", time.Time{}, 0, fmt.Errorf("%w: %q: %w", ErrInvalidCode, s, err)
	}

	if len(date) != 6 || !allDigits(date) {
		return fail(ErrInvalidDate, "want yyMMdd")
	}
	y, _ := strconv.Atoi(date[0:2])
	m, _ := strconv.Atoi(date[2:4])
	dd, _ := strconv.Atoi(date[4:6])
	day = time.Date(2000+y, time.Month(m), dd, 0, 0, 0, 0, vietnam)
	// time.Date normalises 31 February into March; a real date survives.
	if day.Month() != time.Month(m) || day.Day() != dd {
		return fail(ErrInvalidDate, "no such day")
	}

	if len(num) < 4 || len(num) > maxSeqDigits || !allDigits(num) {
		return fail(ErrInvalidSequence, "want 4 to 9 digits")
	}
	if len(num) > 4 && num[0] == '0' {
		return fail(ErrInvalidSequence, "leading zero beyond 4 digits")
	}
	seq, _ = strconv.Atoi(num)
	if seq < 1 {
		return fail(ErrInvalidSequence, "sequence starts at 1")
	}
	return agencyID, day, seq, nil
}

func checkAgencyID(id string) error {
	if id == "" || len(id) > MaxAgencyIDLen {
		return fmt.Errorf("%w: length %d not in 1–%d", ErrInvalidAgencyID, len(id), MaxAgencyIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case '0' <= c && c <= '9', 'A' <= c && c <= 'Z':
		case c == '.':
			if i == 0 || i == len(id)-1 || id[i-1] == '.' {
				return fmt.Errorf("%w: %q has an empty group", ErrInvalidAgencyID, id)
			}
		default:
			return fmt.Errorf("%w: %q: character %q not in 0-9 A-Z .", ErrInvalidAgencyID, id, c)
		}
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
