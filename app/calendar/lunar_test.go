package calendar

import (
	"errors"
	"testing"
)

// Tết (mùng 1 tháng Giêng) from published Vietnamese calendars.
func TestTet(t *testing.T) {
	tests := []struct {
		year int
		want Date
	}{
		// UTC+7 cases where Vietnam differs from China (UTC+8).
		{1968, date(1968, 1, 29)}, // China 30/1: the North switched to UTC+7 in 1967
		{1985, date(1985, 1, 21)}, // China 20/2: a whole month apart
		{2007, date(2007, 2, 17)}, // China 18/2
		{2024, date(2024, 2, 10)},
		{2025, date(2025, 1, 29)},
		{2026, date(2026, 2, 17)},
		{2027, date(2027, 2, 6)},
		{2028, date(2028, 1, 26)},
		{2029, date(2029, 2, 13)},
		// The new moon is at 23:07 on 2 February UTC+7 (00:07 on the 3rd in
		// China), so Vietnamese Tết is 2 February; 3 February is China's.
		{2030, date(2030, 2, 2)},
	}
	for _, tt := range tests {
		got, err := FromLunar(LunarDate{Year: tt.year, Month: 1, Day: 1})
		if err != nil || got != tt.want {
			t.Errorf("Tết %d = %v, %v; want %v", tt.year, got, err, tt.want)
		}
		if l := ToLunar(tt.want); l != (LunarDate{Year: tt.year, Month: 1, Day: 1}) {
			t.Errorf("ToLunar(%v) = %v, want 1/1/%d", tt.want, l, tt.year)
		}
	}
}

// Giỗ Tổ Hùng Vương, 10/3 lunar. 2023 has a leap month 2 before it.
func TestHungKingsDay(t *testing.T) {
	tests := []struct {
		year int
		want Date
	}{
		{2020, date(2020, 4, 2)},
		{2023, date(2023, 4, 29)},
		{2024, date(2024, 4, 18)},
		{2025, date(2025, 4, 7)},
		{2026, date(2026, 4, 26)},
		{2027, date(2027, 4, 16)},
		{2028, date(2028, 4, 4)},
		{2029, date(2029, 4, 23)},
		{2030, date(2030, 4, 12)},
	}
	for _, tt := range tests {
		got, err := FromLunar(LunarDate{Year: tt.year, Month: 3, Day: 10})
		if err != nil || got != tt.want {
			t.Errorf("10/3/%d = %v, %v; want %v", tt.year, got, err, tt.want)
		}
	}
}

func TestLeapMonth(t *testing.T) {
	tests := []struct{ year, want int }{
		{2017, 6}, {2020, 4}, {2023, 2}, {2024, 0}, {2025, 6}, {2026, 0}, {2028, 5},
		{2033, 11}, // the "2033 problem": the leap month falls after month 11
	}
	for _, tt := range tests {
		if got := LeapMonth(tt.year); got != tt.want {
			t.Errorf("LeapMonth(%d) = %d, want %d", tt.year, got, tt.want)
		}
	}
}

func TestLeapMonthDates(t *testing.T) {
	tests := []struct {
		lunar LunarDate
		want  Date
	}{
		{LunarDate{Year: 2023, Month: 2, Day: 1, Leap: true}, date(2023, 3, 22)},
		{LunarDate{Year: 2020, Month: 4, Day: 1, Leap: true}, date(2020, 5, 23)},
		{LunarDate{Year: 2025, Month: 6, Day: 1, Leap: true}, date(2025, 7, 25)},
	}
	for _, tt := range tests {
		got, err := FromLunar(tt.lunar)
		if err != nil || got != tt.want {
			t.Errorf("FromLunar(%v) = %v, %v; want %v", tt.lunar, got, err, tt.want)
		}
		if l := ToLunar(tt.want); l != tt.lunar {
			t.Errorf("ToLunar(%v) = %v, want %v", tt.want, l, tt.lunar)
		}
	}
}

func TestFromLunarErrors(t *testing.T) {
	tests := []struct {
		lunar LunarDate
		want  error
	}{
		{LunarDate{Year: 2024, Month: 2, Day: 1, Leap: true}, ErrNoSuchLunarDate}, // 2024 has no leap month
		{LunarDate{Year: 2023, Month: 3, Day: 1, Leap: true}, ErrNoSuchLunarDate}, // 2023's leap month is 2
		{LunarDate{Year: 2026, Month: 13, Day: 1}, ErrNoSuchLunarDate},
		{LunarDate{Year: 2026, Month: 1, Day: 31}, ErrNoSuchLunarDate},
		{LunarDate{Year: 2026, Month: 1, Day: 0}, ErrNoSuchLunarDate},
		{LunarDate{Year: 1898, Month: 1, Day: 1}, ErrOutOfRange},
		{LunarDate{Year: 2200, Month: 1, Day: 1}, ErrOutOfRange},
	}
	for _, tt := range tests {
		if _, err := FromLunar(tt.lunar); !errors.Is(err, tt.want) {
			t.Errorf("FromLunar(%v) error = %v, want %v", tt.lunar, err, tt.want)
		}
	}
}

// Day 30 exists exactly in the months that are 30 days long.
func TestDay30(t *testing.T) {
	short := 0
	for y := 2020; y <= 2030; y++ {
		for m := 1; m <= 12; m++ {
			first, err := FromLunar(LunarDate{Year: y, Month: m, Day: 1})
			if err != nil {
				t.Fatal(err)
			}
			long := ToLunar(first.AddDays(29)).Day == 30
			_, err = FromLunar(LunarDate{Year: y, Month: m, Day: 30})
			if long != (err == nil) {
				t.Errorf("%d/%d: day 30 error %v, but month long=%v", m, y, err, long)
			}
			if !long {
				short++
				if !errors.Is(err, ErrNoSuchLunarDate) {
					t.Errorf("%d/%d: error %v, want ErrNoSuchLunarDate", m, y, err)
				}
			}
		}
	}
	if short == 0 {
		t.Error("no 29-day month found in 2020–2030")
	}
}

// Every day of the supported range converts to lunar and back, and
// consecutive days form a well-formed lunar calendar.
func TestLunarRoundTripAndStructure(t *testing.T) {
	first := date(MinYear, 1, 1).jdn()
	last := date(MaxYear, 12, 31).jdn()
	prev := ToLunar(dateFromJDN(first - 1))
	monthsInYear, fullYear := 0, false
	for j := first; j <= last; j++ {
		d := dateFromJDN(j)
		l := ToLunar(d)
		back, err := FromLunar(l)
		if err != nil || back != d {
			t.Fatalf("%v → %v → %v, %v", d, l, back, err)
		}
		switch {
		case l.Day == prev.Day+1:
			if l.Year != prev.Year || l.Month != prev.Month || l.Leap != prev.Leap {
				t.Fatalf("%v: %v follows %v within a month", d, l, prev)
			}
		case l.Day == 1:
			if prev.Day != 29 && prev.Day != 30 {
				t.Fatalf("%v: month %v ends on day %d", d, prev, prev.Day)
			}
			monthsInYear++
			next := prev.Month + 1
			if l.Leap {
				next = prev.Month
				if LeapMonth(l.Year) != l.Month {
					t.Fatalf("%v: leap month %v but LeapMonth(%d) = %d", d, l, l.Year, LeapMonth(l.Year))
				}
			}
			if next == 13 {
				next = 1
				if l.Year != prev.Year+1 {
					t.Fatalf("%v: year does not advance at Tết: %v after %v", d, l, prev)
				}
				// monthsInYear counted the new Tết too.
				if fullYear && monthsInYear-1 != 12+boolInt(LeapMonth(prev.Year) != 0) {
					t.Fatalf("lunar year %d has %d months, leap month %d", prev.Year, monthsInYear-1, LeapMonth(prev.Year))
				}
				monthsInYear, fullYear = 1, true
			}
			if l.Month != next {
				t.Fatalf("%v: %v follows %v", d, l, prev)
			}
		default:
			t.Fatalf("%v: %v follows %v", d, l, prev)
		}
		prev = l
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestLunarString(t *testing.T) {
	if s := (LunarDate{Year: 2023, Month: 2, Day: 1, Leap: true}).String(); s != "1/2 nhuận/2023" {
		t.Errorf("String = %q", s)
	}
	if s := (LunarDate{Year: 2026, Month: 3, Day: 10}).String(); s != "10/3/2026" {
		t.Errorf("String = %q", s)
	}
}

func BenchmarkToLunar(b *testing.B) {
	d := date(2026, 4, 26)
	for b.Loop() {
		ToLunar(d)
	}
}
