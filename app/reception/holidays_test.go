package reception

import (
	"context"
	"errors"
	"os"
	"testing"

	"motcua/app/calendar"
)

func TestHolidayOverrideShiftsDueDates(t *testing.T) {
	// Friday 21/8/2026, 16:00: 2 working days. Without the 2026 swap the
	// days count Mon 24 and Tue 25; with it Saturday 22/8 is a working day.
	f := newFixture(t, "2026-08-21 16:00")
	ctx := context.Background()
	before := f.receive(t, reception("2.001035"))
	raw, err := os.ReadFile("../calendar/testdata/override-2026.json")
	if err != nil {
		t.Fatal(err)
	}
	yc, err := f.svc.SetHolidayOverride(ctx, 2026, raw, clerk)
	if err != nil {
		t.Fatal(err)
	}
	if yc.Override == nil || len(yc.MakeUpDays) != 1 || yc.MakeUpDays[0].Date.String() != "2026-08-22" {
		t.Fatalf("calendar after override: %+v", yc)
	}
	after := f.receive(t, reception("2.001035"))
	if !after.DueAt.Before(*before.DueAt) {
		t.Fatalf("the working Saturday did not bring the due date forward: %v then %v", before.DueAt.In(ict), after.DueAt.In(ict))
	}
	// A file for another year, or garbage, changes nothing.
	if _, err := f.svc.SetHolidayOverride(ctx, 2027, raw, clerk); !errors.Is(err, ErrOverrideYear) {
		t.Fatalf("wrong year: %v", err)
	}
	if _, err := f.svc.SetHolidayOverride(ctx, 2026, []byte(`{"year":2026,"days_off":[{"date":"2026-13-01"}]}`), clerk); err == nil {
		t.Fatal("bad date accepted")
	}
	yc, _ = f.svc.HolidayCalendar(ctx, 2026)
	if yc.Override == nil || yc.Override.Source == "" {
		t.Fatal("a refused file replaced the installed one")
	}
	// Removing it restores the default calendar.
	if yc, err = f.svc.SetHolidayOverride(ctx, 2026, nil, clerk); err != nil || yc.Override != nil || len(yc.MakeUpDays) != 0 {
		t.Fatalf("remove: %+v %v", yc, err)
	}
	if _, err := f.svc.HolidayCalendar(ctx, 1800); !errors.Is(err, calendar.ErrOutOfRange) {
		t.Fatalf("year 1800: %v", err)
	}
}
