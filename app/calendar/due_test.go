package calendar

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	def := mustNew(t, Config{})
	c26 := calendar2026(t)
	wd := func(n int) Duration { return Duration{n, WorkingDays} }
	wh := func(n int) Duration { return Duration{n, WorkingHours} }
	cd := func(n int) Duration { return Duration{n, CalendarDays} }
	same := Duration{0, SameDayCutoff}
	tests := []struct {
		name  string
		c     *Calendar
		start time.Time
		d     Duration
		want  time.Time
	}{
		// Working days: N × 8 working hours from the start moment.
		{"1 day across a weekend", def, at(2026, 3, 6, 10, 0), wd(1), at(2026, 3, 9, 10, 0)},
		{"2 days across Tết 16–20/2", c26, at(2026, 2, 13, 10, 0), wd(2), at(2026, 2, 24, 10, 0)},
		{"15 days, three weeks", def, at(2026, 3, 10, 9, 0), wd(15), at(2026, 3, 31, 9, 0)},
		{"from opening ends at closing, same day", def, at(2026, 3, 10, 7, 0), wd(1), at(2026, 3, 10, 17, 0)},
		{"received at lunch counts from 13:30", def, at(2026, 3, 10, 12, 0), wd(1), at(2026, 3, 11, 11, 30)},
		{"received 18:00 counts from next morning", def, at(2026, 3, 10, 18, 0), wd(1), at(2026, 3, 11, 17, 0)},
		{"received on Sunday", def, at(2026, 3, 15, 10, 0), wd(1), at(2026, 3, 16, 17, 0)},
		{"working Saturday 22/8/2026 from override", c26, at(2026, 8, 21, 14, 0), wd(1), at(2026, 8, 22, 14, 0)},
		{"same without override", def, at(2026, 8, 21, 14, 0), wd(1), at(2026, 8, 24, 14, 0)},
		{"swapped Monday 31/8 and Quốc khánh", c26, at(2026, 8, 28, 10, 0), wd(1), at(2026, 9, 3, 10, 0)},
		{"31/8 is a working day without override", def, at(2026, 8, 28, 10, 0), wd(1), at(2026, 8, 31, 10, 0)},
		{"24/11/2026 is a holiday", def, at(2026, 11, 23, 10, 0), wd(1), at(2026, 11, 25, 10, 0)},
		{"24/11/2025 is not", def, at(2025, 11, 21, 10, 0), wd(1), at(2025, 11, 24, 10, 0)},
		{"nghỉ bù Giỗ Tổ Mon 27/4/2026", def, at(2026, 4, 24, 10, 0), wd(1), at(2026, 4, 28, 10, 0)},
		{"postal: postmark arrival on Saturday", def, at(2026, 3, 14, 9, 0), wd(3), at(2026, 3, 18, 17, 0)},
		// Working hours.
		{"4 h across lunch", def, at(2026, 3, 10, 10, 0), wh(4), at(2026, 3, 10, 16, 0)},
		{"4 h overnight", def, at(2026, 3, 10, 16, 0), wh(4), at(2026, 3, 11, 10, 0)},
		{"4 h from 11:30", def, at(2026, 3, 10, 11, 30), wh(4), at(2026, 3, 11, 7, 30)},
		{"1 h from lunch", def, at(2026, 3, 10, 12, 0), wh(1), at(2026, 3, 10, 14, 30)},
		{"4 h over a weekend", def, at(2026, 3, 13, 16, 0), wh(4), at(2026, 3, 16, 10, 0)},
		{"8 h = the whole day", def, at(2026, 3, 10, 7, 0), wh(8), at(2026, 3, 10, 17, 0)},
		// Calendar days (Civil Code: from the next day; non-working end → next working day).
		{"3 days", def, at(2026, 3, 10, 10, 0), cd(3), at(2026, 3, 13, 17, 0)},
		{"5 days ending on Sunday", def, at(2026, 3, 10, 10, 0), cd(5), at(2026, 3, 16, 17, 0)},
		{"5 days ending in Tết", c26, at(2026, 2, 12, 10, 0), cd(5), at(2026, 2, 23, 17, 0)},
		{"30 days across a month", def, at(2026, 3, 10, 10, 0), cd(30), at(2026, 4, 9, 17, 0)},
		{"received 18:00 counts the same date", def, at(2026, 3, 10, 18, 0), cd(1), at(2026, 3, 11, 17, 0)},
		// Same day with the 15:00 cutoff.
		{"14:59", def, at(2026, 3, 10, 14, 59), same, at(2026, 3, 10, 17, 0)},
		{"15:00", def, at(2026, 3, 10, 15, 0), same, at(2026, 3, 11, 17, 0)},
		{"15:30", def, at(2026, 3, 10, 15, 30), same, at(2026, 3, 11, 17, 0)},
		{"before opening", def, at(2026, 3, 10, 6, 30), same, at(2026, 3, 10, 17, 0)},
		{"18:00", def, at(2026, 3, 10, 18, 0), same, at(2026, 3, 11, 17, 0)},
		{"Friday after 15:00 → Monday", def, at(2026, 3, 13, 15, 10), same, at(2026, 3, 16, 17, 0)},
		{"Sunday", def, at(2026, 3, 15, 9, 0), same, at(2026, 3, 16, 17, 0)},
		{"day before 30/4 after 15:00", def, at(2026, 4, 29, 15, 30), same, at(2026, 5, 4, 17, 0)},
		{"day before 30/4 before 15:00", def, at(2026, 4, 29, 14, 0), same, at(2026, 4, 29, 17, 0)},
		{"working Saturday", c26, at(2026, 8, 22, 10, 0), same, at(2026, 8, 22, 17, 0)},
		{"ordinary Saturday", def, at(2026, 8, 22, 10, 0), same, at(2026, 8, 24, 17, 0)},
		{"amount 1 is accepted", def, at(2026, 3, 10, 9, 0), Duration{1, SameDayCutoff}, at(2026, 3, 10, 17, 0)},
		// The start may come in any zone.
		{"start given in UTC", def, time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC), wh(1), at(2026, 3, 10, 10, 0)},
	}
	for _, tt := range tests {
		got, err := tt.c.Due(tt.start, tt.d)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("%s: Due(%s, %v) = %s, %v; want %s", tt.name, tt.start.Format(time.DateTime), tt.d,
				got.Format(time.DateTime+" Mon"), err, tt.want.Format(time.DateTime+" Mon"))
		}
		if err == nil && got.Location() != tt.c.Location() {
			t.Errorf("%s: result in %v, want the calendar's zone", tt.name, got.Location())
		}
	}
}

func TestDueErrors(t *testing.T) {
	c := mustNew(t, Config{})
	tests := []struct {
		start time.Time
		d     Duration
		want  error
	}{
		{at(2026, 3, 10, 9, 0), Duration{0, WorkingDays}, ErrInvalidDuration},
		{at(2026, 3, 10, 9, 0), Duration{-2, WorkingHours}, ErrInvalidDuration},
		{at(2026, 3, 10, 9, 0), Duration{maxAmount + 1, CalendarDays}, ErrInvalidDuration},
		{at(2026, 3, 10, 9, 0), Duration{2, SameDayCutoff}, ErrInvalidDuration},
		{at(2026, 3, 10, 9, 0), Duration{1, "weeks"}, ErrInvalidDuration},
		{at(2026, 3, 10, 9, 0), Duration{}, ErrInvalidDuration},
		{time.Time{}, Duration{1, WorkingDays}, ErrOutOfRange}, // a start never set
	}
	for _, tt := range tests {
		if _, err := c.Due(tt.start, tt.d); !errors.Is(err, tt.want) {
			t.Errorf("Due(%v, %v) error = %v, want %v", tt.start, tt.d, err, tt.want)
		}
	}
}

func TestReschedule(t *testing.T) {
	c := mustNew(t, Config{})
	five := Duration{5, WorkingDays}
	received := at(2026, 3, 2, 9, 0)
	due, err := c.Due(received, five)
	if err != nil || !due.Equal(at(2026, 3, 9, 9, 0)) {
		t.Fatalf("Due = %v, %v", due, err)
	}
	tests := []struct {
		name              string
		policy            SupplementPolicy
		due, pause, resum time.Time
		wantDue           time.Time
		wantPaused        time.Duration
	}{
		// Paused Wed 10:00 → Mon 08:00: 5 h + 8 h + 8 h + 1 h = 22 working hours.
		{"pause and shift", PauseAndShift, due, at(2026, 3, 4, 10, 0), at(2026, 3, 9, 8, 0), at(2026, 3, 11, 17, 0), 22 * time.Hour},
		{"restart", Restart, due, at(2026, 3, 4, 10, 0), at(2026, 3, 9, 8, 0), at(2026, 3, 16, 8, 0), 22 * time.Hour},
		{"pause outside office hours shifts nothing", PauseAndShift, at(2026, 3, 10, 17, 0), at(2026, 3, 9, 18, 0), at(2026, 3, 10, 6, 0), at(2026, 3, 10, 17, 0), 0},
		{"shift from a 17:00 due date", PauseAndShift, at(2026, 3, 10, 17, 0), at(2026, 3, 9, 16, 30), at(2026, 3, 10, 7, 0), at(2026, 3, 11, 7, 30), 30 * time.Minute},
		// Paused Thu 5/2 09:00 (6 h that day), Fri, Mon–Thu, Fri 13/2 to 16:00 (7 h);
		// restarting 5 days from Fri 16:00 skips Tết 16–20/2.
		{"restart after a long pause over Tết", Restart, at(2026, 2, 10, 9, 0), at(2026, 2, 5, 9, 0), at(2026, 2, 13, 16, 0), at(2026, 2, 27, 16, 0), (6 + 8 + 4*8 + 7) * time.Hour},
	}
	for _, tt := range tests {
		r, err := c.Reschedule(tt.policy, five, tt.due, tt.pause, tt.resum)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !r.NewDue.Equal(tt.wantDue) || !r.PreviousDue.Equal(tt.due) || r.Paused != tt.wantPaused || r.Policy != tt.policy {
			t.Errorf("%s: got new %s previous %s paused %v; want new %s previous %s paused %v", tt.name,
				r.NewDue.Format(time.DateTime), r.PreviousDue.Format(time.DateTime), r.Paused,
				tt.wantDue.Format(time.DateTime), tt.due.Format(time.DateTime), tt.wantPaused)
		}
	}
}

func TestRescheduleErrors(t *testing.T) {
	c := mustNew(t, Config{})
	due := at(2026, 3, 9, 9, 0)
	if _, err := c.Reschedule(PauseAndShift, Duration{}, due, at(2026, 3, 5, 9, 0), at(2026, 3, 4, 9, 0)); !errors.Is(err, ErrInvalidInterval) {
		t.Errorf("resume before pause: %v", err)
	}
	if _, err := c.Reschedule("freeze", Duration{1, WorkingDays}, due, at(2026, 3, 4, 9, 0), at(2026, 3, 5, 9, 0)); !errors.Is(err, ErrUnknownPolicy) {
		t.Errorf("unknown policy: %v", err)
	}
	if _, err := c.Reschedule(Restart, Duration{}, due, at(2026, 3, 4, 9, 0), at(2026, 3, 5, 9, 0)); !errors.Is(err, ErrInvalidDuration) {
		t.Errorf("restart without duration: %v", err)
	}
	if _, err := c.Reschedule(PauseAndShift, Duration{}, time.Time{}, at(2026, 3, 4, 9, 0), at(2026, 3, 5, 9, 0)); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("zero due: %v", err)
	}
}

// Shifting the due date by the paused working time is the same as giving
// back, from the resume moment, the working time that was left at the pause.
func TestPauseAndShiftKeepsRemainingTime(t *testing.T) {
	c := calendar2026(t)
	rng := rand.New(rand.NewPCG(1, 2))
	base := at(2026, 1, 1, 0, 0)
	for i := 0; i < 2000; i++ {
		received := base.Add(time.Duration(rng.IntN(300*24*60)) * time.Minute)
		due, err := c.Due(received, Duration{1 + rng.IntN(20), WorkingDays})
		if err != nil {
			t.Fatal(err)
		}
		pause := received.Add(time.Duration(rng.Int64N(int64(due.Sub(received)))))
		resume := pause.Add(time.Duration(rng.IntN(20*24*60)) * time.Minute)
		left := c.workingTime(pause, due)
		r, err := c.Reschedule(PauseAndShift, Duration{}, due, pause, resume)
		if err != nil {
			t.Fatal(err)
		}
		if left <= 0 || r.Paused <= 0 {
			continue
		}
		if want := c.addWorking(resume, left); !r.NewDue.Equal(want) {
			t.Fatalf("received %v due %v pause %v resume %v: shifted to %v, remaining-time rule gives %v",
				received, due, pause, resume, r.NewDue, want)
		}
		if got := c.workingTime(resume, r.NewDue); got != left {
			t.Fatalf("after resume %v working time left, want %v", got, left)
		}
	}
}

func TestWarnFrom(t *testing.T) {
	def := mustNew(t, Config{})
	c26 := calendar2026(t)
	tests := []struct {
		c        *Calendar
		due      time.Time
		want     time.Time
		describe string
	}{
		{def, at(2026, 3, 11, 17, 0), at(2026, 3, 10, 17, 0), "17:00 → 17:00 the day before"},
		{def, at(2026, 3, 16, 10, 0), at(2026, 3, 13, 10, 0), "Monday → Friday"},
		{def, at(2026, 3, 10, 7, 30), at(2026, 3, 9, 7, 30), "early morning"},
		{def, at(2026, 3, 10, 14, 0), at(2026, 3, 9, 14, 0), "afternoon"},
		{def, at(2026, 5, 4, 9, 0), at(2026, 4, 29, 9, 0), "across 30/4–1/5 and a weekend"},
		{c26, at(2026, 9, 3, 10, 0), at(2026, 8, 28, 10, 0), "across Quốc khánh and the swap"},
	}
	for _, tt := range tests {
		got := tt.c.WarnFrom(tt.due)
		if !got.Equal(tt.want) {
			t.Errorf("%s: WarnFrom(%s) = %s, want %s", tt.describe, tt.due.Format(time.DateTime), got.Format(time.DateTime), tt.want.Format(time.DateTime))
		}
	}
	// Property: exactly one working day separates the warning and the due moment.
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 1000; i++ {
		start := at(2026, 1, 1, 0, 0).Add(time.Duration(rng.IntN(360*24*60)) * time.Minute)
		due, err := c26.Due(start, Duration{1 + rng.IntN(40), WorkingHours})
		if err != nil {
			t.Fatal(err)
		}
		if got := c26.WorkingMinutes(c26.WarnFrom(due), due); got != 480 {
			t.Fatalf("due %v: %d working minutes after WarnFrom, want 480", due, got)
		}
	}
}

func TestClassify(t *testing.T) {
	c := mustNew(t, Config{})
	due := at(2026, 3, 10, 17, 0)
	hourDue := at(2026, 3, 10, 10, 0)
	tests := []struct {
		done, due time.Time
		want      Timeliness
		label     string
	}{
		{at(2026, 3, 9, 16, 0), due, Early, "Trước hạn"},
		{at(2026, 3, 10, 8, 0), due, OnTime, "Đúng hạn"},
		{due, due, OnTime, "Đúng hạn"},
		{due.Add(time.Minute), due, Late, "Quá hạn"},
		{at(2026, 3, 11, 9, 0), due, Late, "Quá hạn"},
		{at(2026, 3, 10, 9, 0), hourDue, OnTime, "Đúng hạn"},
		{hourDue.Add(time.Second), hourDue, Late, "Quá hạn"},
		{time.Date(2026, 3, 9, 23, 0, 0, 0, time.UTC), due, OnTime, "Đúng hạn"}, // 06:00 on 10/3 in UTC+7
	}
	for _, tt := range tests {
		got := c.Classify(tt.done, tt.due)
		if got != tt.want || got.Label() != tt.label {
			t.Errorf("Classify(%v, %v) = %s %q, want %s %q", tt.done, tt.due, got, got.Label(), tt.want, tt.label)
		}
	}
}

func TestWorkingMinutes(t *testing.T) {
	c := calendar2026(t)
	tests := []struct {
		from, to time.Time
		want     int
	}{
		{at(2026, 3, 10, 10, 0), at(2026, 3, 11, 10, 0), 480},
		{at(2026, 3, 11, 10, 0), at(2026, 3, 10, 10, 0), -480},
		{at(2026, 3, 10, 11, 0), at(2026, 3, 10, 14, 0), 60},
		{at(2026, 3, 13, 16, 0), at(2026, 3, 16, 8, 0), 120},
		{at(2026, 3, 14, 8, 0), at(2026, 3, 15, 16, 0), 0},
		{at(2026, 2, 13, 10, 0), at(2026, 2, 23, 10, 0), 480},
		{at(2026, 8, 22, 7, 0), at(2026, 8, 22, 17, 0), 480}, // working Saturday
		{at(2026, 3, 10, 10, 0), at(2026, 3, 10, 10, 0).Add(59 * time.Second), 0},
	}
	for _, tt := range tests {
		if got := c.WorkingMinutes(tt.from, tt.to); got != tt.want {
			t.Errorf("WorkingMinutes(%s, %s) = %d, want %d", tt.from.Format(time.DateTime), tt.to.Format(time.DateTime), got, tt.want)
		}
	}
	// Property: a due date N working hours out is N×60 working minutes away.
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 1000; i++ {
		start := at(2026, 1, 1, 0, 0).Add(time.Duration(rng.IntN(360*24*60)) * time.Minute)
		n := 1 + rng.IntN(100)
		due, err := c.Due(start, Duration{n, WorkingHours})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.WorkingMinutes(start, due); got != n*60 {
			t.Fatalf("start %v + %d h = %v, but %d working minutes apart", start, n, due, got)
		}
	}
}

func TestConfig(t *testing.T) {
	c := mustNew(t, Config{
		OfficeHours: []Period{{ClockOf(7, 30), ClockOf(11, 30)}, {ClockOf(13, 0), ClockOf(17, 0)}},
		Cutoff:      ClockOf(16, 0),
		Location:    time.UTC,
	})
	if c.WorkingDayLength() != 8*time.Hour || c.Location() != time.UTC {
		t.Fatalf("day %v zone %v", c.WorkingDayLength(), c.Location())
	}
	utc := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, time.UTC) }
	tests := []struct {
		start time.Time
		d     Duration
		want  time.Time
	}{
		{utc(10, 15, 30), Duration{0, SameDayCutoff}, utc(10, 17, 0)},
		{utc(10, 16, 0), Duration{0, SameDayCutoff}, utc(11, 17, 0)},
		{utc(10, 7, 0), Duration{1, WorkingDays}, utc(10, 17, 0)},
		{utc(10, 12, 0), Duration{1, WorkingHours}, utc(10, 14, 0)},
		// 09:00 in UTC+7 is 02:00 UTC: before this office opens.
		{at(2026, 3, 10, 9, 0), Duration{1, WorkingHours}, utc(10, 8, 30)},
	}
	for _, tt := range tests {
		if got, err := c.Due(tt.start, tt.d); err != nil || !got.Equal(tt.want) {
			t.Errorf("Due(%v, %v) = %v, %v; want %v", tt.start, tt.d, got, err, tt.want)
		}
	}
	if got := c.OpensAt(date(2026, 3, 10)); !got.Equal(utc(10, 7, 30)) {
		t.Errorf("OpensAt = %v", got)
	}
	if got := c.ClosesAt(date(2026, 3, 10)); !got.Equal(utc(10, 17, 0)) {
		t.Errorf("ClosesAt = %v", got)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"empty period", Config{OfficeHours: []Period{{ClockOf(8, 0), ClockOf(8, 0)}}}},
		{"overlapping periods", Config{OfficeHours: []Period{{ClockOf(7, 0), ClockOf(12, 0)}, {ClockOf(11, 0), ClockOf(17, 0)}}}},
		{"unsorted periods", Config{OfficeHours: []Period{{ClockOf(13, 0), ClockOf(17, 0)}, {ClockOf(7, 0), ClockOf(11, 0)}}}},
		{"past midnight", Config{OfficeHours: []Period{{ClockOf(22, 0), ClockOf(25, 0)}}}},
		{"cutoff past midnight", Config{Cutoff: ClockOf(25, 0)}},
		{"bad weekday", Config{Weekend: []time.Weekday{9}}},
		{"no working weekday", Config{Weekend: []time.Weekday{0, 1, 2, 3, 4, 5, 6}}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: New error = %v, want ErrInvalidConfig", tt.name, err)
		}
	}
}

func TestClockAndDurationJSON(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{{"07:00", true}, {"24:00", true}, {"7:00", false}, {"24:30", false}, {"12:60", false}, {"ab:cd", false}} {
		c, err := ParseClock(tt.in)
		if tt.ok != (err == nil) || (tt.ok && c.String() != tt.in) {
			t.Errorf("ParseClock(%q) = %v, %v", tt.in, c, err)
		}
	}
	var d Duration
	if err := json.Unmarshal([]byte(`{"amount":3,"unit":"working_days"}`), &d); err != nil || d != (Duration{3, WorkingDays}) {
		t.Errorf("Unmarshal = %v, %v", d, err)
	}
	if d.Label() != "3 ngày làm việc" {
		t.Errorf("Label = %q", d.Label())
	}
	if err := json.Unmarshal([]byte(`{"amount":3,"unit":"weeks"}`), &d); !errors.Is(err, ErrInvalidDuration) {
		t.Errorf("unknown unit error = %v", err)
	}
	var p Period
	if err := json.Unmarshal([]byte(`{"start":"07:00","end":"11:30"}`), &p); err != nil || p != (Period{ClockOf(7, 0), ClockOf(11, 30)}) {
		t.Errorf("Period = %v, %v", p, err)
	}
}

// Many goroutines fill the per-year cache at once (run with -race).
func TestConcurrentUse(t *testing.T) {
	c := mustNew(t, Config{})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for y := 2030; y < 2060; y++ {
				if _, err := c.Due(at(y, 3, 10, 9, 0), Duration{10, WorkingDays}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkDue(b *testing.B) {
	c := calendar2026(b)
	start := at(2026, 8, 14, 15, 20)
	d := Duration{15, WorkingDays}
	for b.Loop() {
		if _, err := c.Due(start, d); err != nil {
			b.Fatal(err)
		}
	}
}
