package calendar

import (
	"fmt"
	"time"
)

// Unit is the time unit of a procedure's processing time.
type Unit string

const (
	// WorkingHours counts giờ làm việc inside office hours.
	WorkingHours Unit = "working_hours"
	// WorkingDays counts ngày làm việc as Amount × one day of office hours
	// (8 h by default) from the start moment; the result is an exact time.
	WorkingDays Unit = "working_days"
	// CalendarDays counts ngày: all days, Civil Code style (see Due).
	CalendarDays Unit = "calendar_days"
	// SameDayCutoff is "ngay trong ngày, hoặc ngày làm việc tiếp theo nếu
	// tiếp nhận sau 15 giờ". Amount must be 0 or 1 and is ignored.
	SameDayCutoff Unit = "same_day_cutoff"
)

var unitLabels = map[Unit]string{
	WorkingHours:  "giờ làm việc",
	WorkingDays:   "ngày làm việc",
	CalendarDays:  "ngày",
	SameDayCutoff: "trong ngày",
}

// Valid reports whether u is a defined unit.
func (u Unit) Valid() bool { _, ok := unitLabels[u]; return ok }

// UnmarshalText rejects unknown units so a bad catalog entry fails on load.
func (u *Unit) UnmarshalText(b []byte) error {
	v := Unit(b)
	if !v.Valid() {
		return fmt.Errorf("%w: unknown unit %q", ErrInvalidDuration, string(b))
	}
	*u = v
	return nil
}

// maxAmount bounds durations to about twenty years of working days: far
// beyond any procedure, small enough that a typo cannot stall the desk.
const maxAmount = 5000

// Duration is a procedure's legal processing time, e.g. {3, WorkingDays}.
// The procedure catalog embeds it; in JSON: {"amount":3,"unit":"working_days"}.
type Duration struct {
	Amount int  `json:"amount"`
	Unit   Unit `json:"unit"`
}

// Validate returns ErrInvalidDuration for an unknown unit or an amount out of
// range (1–5000, or 0–1 for SameDayCutoff).
func (d Duration) Validate() error {
	switch {
	case !d.Unit.Valid():
		return fmt.Errorf("%w: unknown unit %q", ErrInvalidDuration, string(d.Unit))
	case d.Unit == SameDayCutoff && (d.Amount < 0 || d.Amount > 1):
		return fmt.Errorf("%w: %s takes amount 0 or 1, got %d", ErrInvalidDuration, d.Unit, d.Amount)
	case d.Unit != SameDayCutoff && (d.Amount < 1 || d.Amount > maxAmount):
		return fmt.Errorf("%w: amount %d out of range 1–%d", ErrInvalidDuration, d.Amount, maxAmount)
	}
	return nil
}

func (d Duration) String() string { return fmt.Sprintf("%d %s", d.Amount, d.Unit) }

// Label returns the Vietnamese wording for forms, e.g. "3 ngày làm việc".
func (d Duration) Label() string {
	if d.Unit == SameDayCutoff {
		return "Trong ngày"
	}
	return fmt.Sprintf("%d %s", d.Amount, unitLabels[d.Unit])
}

// Due returns the due moment of a dossier whose counting starts at start.
//
// start is passed explicitly because it is not always the desk's clock: for
// postal receipts it is the postmark-arrival moment (theo dấu bưu điện đến),
// for online ones the moment the system recorded the dossier.
//
//   - WorkingHours, WorkingDays: working time counted from start; if start is
//     outside office hours counting begins at the next period start. A result
//     that ends exactly at the close of a period stays there (17:00).
//   - CalendarDays: following Civil Code 2015 Điều 147–148, the day of start
//     is not counted, the period ends with the Amount-th day after it, and if
//     that day is not a working day the period ends with the next working
//     day. "End of day" is the close of office hours (17:00), when the
//     result can still be handed over at the desk.
//   - SameDayCutoff: received on a working day before the cutoff (15:00) →
//     close of that day; at or after the cutoff, or on a non-working day →
//     close of the next working day.
//
// The result is in the calendar's location.
func (c *Calendar) Due(start time.Time, d Duration) (time.Time, error) {
	if err := d.Validate(); err != nil {
		return time.Time{}, err
	}
	if err := c.checkRange(start); err != nil {
		return time.Time{}, err
	}
	switch d.Unit {
	case WorkingHours:
		return c.addWorking(start, time.Duration(d.Amount)*time.Hour), nil
	case WorkingDays:
		return c.addWorking(start, time.Duration(d.Amount)*c.dayLen), nil
	case CalendarDays:
		j, _ := c.split(start)
		j += d.Amount
		for c.offDay(j) {
			j++
		}
		return c.join(j, c.closing()), nil
	default: // SameDayCutoff
		j, tod := c.split(start)
		if c.offDay(j) || tod >= c.cutoff {
			j++
			for c.offDay(j) {
				j++
			}
		}
		return c.join(j, c.closing()), nil
	}
}

func (c *Calendar) closing() time.Duration { return c.periods[len(c.periods)-1].end }

// checkRange refuses moments outside MinYear–MaxYear; a zero time.Time
// (a start that was never set) lands here.
func (c *Calendar) checkRange(ts ...time.Time) error {
	for _, t := range ts {
		if y := t.In(c.loc).Year(); y < MinYear || y > MaxYear {
			return fmt.Errorf("%w: %s", ErrOutOfRange, t.Format(time.RFC3339))
		}
	}
	return nil
}

// SupplementPolicy says how a due date changes after the applicant
// supplements a dossier (regulations.md §1.2: national rule unconfirmed, so
// it is a per-procedure choice).
type SupplementPolicy string

const (
	// PauseAndShift moves the due date later by the working time that
	// elapsed while the dossier waited for the applicant.
	PauseAndShift SupplementPolicy = "pause_and_shift"
	// Restart counts the full processing time again from the resume moment.
	Restart SupplementPolicy = "restart"
)

// Rescheduled is the outcome of a supplementation: both dates are kept for
// the receipt, the log and the DVCQG sync (NgayHenTraTruoc / NgayHenTraMoi).
type Rescheduled struct {
	Policy      SupplementPolicy `json:"policy"`
	PreviousDue time.Time        `json:"previous_due"`
	NewDue      time.Time        `json:"new_due"`
	// Paused is the working time between the pause and the resume moments.
	Paused time.Duration `json:"paused"`
}

// Reschedule computes the new due date after a pause for supplementation
// from pausedAt (request issued) to resumedAt (complete dossier received).
// d is the procedure's processing time; PauseAndShift does not use it.
func (c *Calendar) Reschedule(p SupplementPolicy, d Duration, previousDue, pausedAt, resumedAt time.Time) (Rescheduled, error) {
	if err := c.checkRange(previousDue, pausedAt, resumedAt); err != nil {
		return Rescheduled{}, err
	}
	if resumedAt.Before(pausedAt) {
		return Rescheduled{}, fmt.Errorf("%w: paused %s, resumed %s", ErrInvalidInterval,
			pausedAt.Format(time.RFC3339), resumedAt.Format(time.RFC3339))
	}
	r := Rescheduled{Policy: p, PreviousDue: previousDue.In(c.loc), Paused: c.workingTime(pausedAt, resumedAt)}
	switch p {
	case PauseAndShift:
		r.NewDue = r.PreviousDue
		if r.Paused > 0 {
			r.NewDue = c.addWorking(previousDue, r.Paused)
		}
	case Restart:
		due, err := c.Due(resumedAt, d)
		if err != nil {
			return Rescheduled{}, err
		}
		r.NewDue = due
	default:
		return Rescheduled{}, fmt.Errorf("%w: %q", ErrUnknownPolicy, string(p))
	}
	return r, nil
}

// WarnFrom returns the moment from which a dossier is "sắp đến hạn": one
// working day before due, matching the provincial rule that the processing
// agency must report a delay at the latest one day before the deadline
// (regulations.md §1.6). A due moment at 17:00 warns from 17:00 of the
// previous working day.
func (c *Calendar) WarnFrom(due time.Time) time.Time {
	return c.subWorking(due, c.dayLen)
}

// Timeliness classifies a completion against its due moment.
type Timeliness string

const (
	Early  Timeliness = "early"   // trước hạn
	OnTime Timeliness = "on_time" // đúng hạn
	Late   Timeliness = "late"    // quá hạn
)

// Label returns the Vietnamese label used in reports.
func (t Timeliness) Label() string {
	switch t {
	case Early:
		return "Trước hạn"
	case OnTime:
		return "Đúng hạn"
	case Late:
		return "Quá hạn"
	}
	return ""
}

// Classify tells whether done was before, on or after the due moment:
// after due → Late; on due's date and not after due → OnTime; on an
// earlier date → Early. Dates are taken in the calendar's zone.
func (c *Calendar) Classify(done, due time.Time) Timeliness {
	switch {
	case done.After(due):
		return Late
	case c.DateOf(done) == c.DateOf(due):
		return OnTime
	}
	return Early
}
