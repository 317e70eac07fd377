package reception

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"motcua/app/audit"
	"motcua/app/calendar"
	"motcua/app/office"
	"motcua/app/store"
)

// ErrOverrideYear is returned when an override file is for another year
// than the one it is installed under.
var ErrOverrideYear = errors.New("override file is for another year")

func (s *Service) loadOverrides() ([]calendar.Override, error) {
	var out []calendar.Override
	err := s.st.View(func(x *store.Txn) error {
		return x.Scan(store.PrefixCalendarOverrides(), nil, false, false, func(_, v []byte) (bool, error) {
			o, err := calendar.ParseOverride(v)
			if err != nil {
				return false, fmt.Errorf("stored calendar override: %w", err)
			}
			out = append(out, o)
			return true, nil
		})
	})
	return out, err
}

// YearCalendar is one year's days off and make-up working days.
type YearCalendar struct {
	Year       int                `json:"year"`
	Holidays   []calendar.Holiday `json:"holidays"`
	MakeUpDays []calendar.Holiday `json:"makeUpDays"`
	Override   *calendar.Override `json:"override"`
}

// HolidayCalendar returns the year's holidays as the desk counts them.
func (s *Service) HolidayCalendar(ctx context.Context, year int) (YearCalendar, error) {
	if year < calendar.MinYear || year > calendar.MaxYear {
		return YearCalendar{}, fmt.Errorf("year %d: %w", year, calendar.ErrOutOfRange)
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return YearCalendar{}, err
	}
	yc := YearCalendar{Year: year, Holidays: cal.Holidays(year), MakeUpDays: cal.MakeUpDays(year)}
	if yc.Holidays == nil {
		yc.Holidays = []calendar.Holiday{}
	}
	if yc.MakeUpDays == nil {
		yc.MakeUpDays = []calendar.Holiday{}
	}
	overrides, err := s.loadOverrides()
	if err != nil {
		return YearCalendar{}, err
	}
	for i := range overrides {
		if overrides[i].Year == year {
			yc.Override = &overrides[i]
		}
	}
	return yc, nil
}

// SetHolidayOverride installs (raw != nil) or removes the override file of
// a year. The new calendar is built before anything is stored, so a file
// that contradicts the calendar changes nothing.
func (s *Service) SetHolidayOverride(ctx context.Context, year int, raw []byte, by Actor) (YearCalendar, error) {
	var o calendar.Override
	if raw != nil {
		var err error
		if o, err = calendar.ParseOverride(raw); err != nil {
			return YearCalendar{}, err
		}
		if o.Year != year {
			return YearCalendar{}, fmt.Errorf("%w: file %d, installing %d", ErrOverrideYear, o.Year, year)
		}
	}
	set, err := s.settings.Settings(ctx)
	if err != nil && !errors.Is(err, office.ErrNotConfigured) {
		return YearCalendar{}, err
	}
	current, err := s.loadOverrides()
	if err != nil {
		return YearCalendar{}, err
	}
	var next []calendar.Override
	for _, c := range current {
		if c.Year != year {
			next = append(next, c)
		}
	}
	if raw != nil {
		next = append(next, o)
	}
	if _, err := buildCalendar(set.Hours, next); err != nil {
		return YearCalendar{}, err
	}
	err = s.st.Update(func(x *store.Txn) error {
		before, err := x.Get(store.KeyCalendarOverride(year))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var after []byte
		if raw != nil {
			after, _ = json.Marshal(o)
			err = x.Set(store.KeyCalendarOverride(year), after)
		} else {
			err = x.Delete(store.KeyCalendarOverride(year))
		}
		if err != nil {
			return err
		}
		_, err = audit.Append(x, audit.Entry{At: s.now(), Actor: by.ID, Role: by.Role, Action: "set_holiday_override",
			Object: fmt.Sprintf("calendar/%d", year), Before: audit.Digest(before), After: audit.Digest(after), Summary: o.Source})
		return err
	})
	if err != nil {
		return YearCalendar{}, err
	}
	s.mu.Lock()
	s.cal = nil // rebuilt with the new overrides on next use
	s.mu.Unlock()
	return s.HolidayCalendar(ctx, year)
}
