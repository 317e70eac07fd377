package calendar

import (
	"slices"
	"testing"
	"unicode"
)

// The default adjacent day of Quốc khánh reproduces the PM's decisions.
func TestNationalDayDefault(t *testing.T) {
	tests := []struct {
		year int
		want []Date
	}{
		{2021, []Date{date(2021, 9, 2), date(2021, 9, 3)}}, // Thu → Fri bridge
		{2022, []Date{date(2022, 9, 1), date(2022, 9, 2)}},
		{2023, []Date{date(2023, 9, 1), date(2023, 9, 2)}},
		{2024, []Date{date(2024, 9, 2), date(2024, 9, 3)}}, // 1/9 is a Sunday
		{2025, []Date{date(2025, 9, 1), date(2025, 9, 2)}},
		{2026, []Date{date(2026, 9, 1), date(2026, 9, 2)}},
	}
	for _, tt := range tests {
		if got := nationalDays(tt.year); !slices.Equal(got, tt.want) {
			t.Errorf("Quốc khánh %d = %v, want %v", tt.year, got, tt.want)
		}
	}
}

func TestHolidays2026Default(t *testing.T) {
	c := mustNew(t, Config{})
	want := []Holiday{
		{date(2026, 1, 1), "Tết Dương lịch", Statutory, NewYear},
		{date(2026, 2, 16), "Tết Nguyên đán", Statutory, LunarNewYear},
		{date(2026, 2, 17), "Tết Nguyên đán", Statutory, LunarNewYear},
		{date(2026, 2, 18), "Tết Nguyên đán", Statutory, LunarNewYear},
		{date(2026, 2, 19), "Tết Nguyên đán", Statutory, LunarNewYear},
		{date(2026, 2, 20), "Tết Nguyên đán", Statutory, LunarNewYear},
		{date(2026, 4, 26), "Giỗ Tổ Hùng Vương", Statutory, HungKings}, // Sunday
		{date(2026, 4, 27), "Nghỉ bù Giỗ Tổ Hùng Vương", Compensatory, HungKings},
		{date(2026, 4, 30), "Ngày Chiến thắng", Statutory, VictoryDay},
		{date(2026, 5, 1), "Ngày Quốc tế lao động", Statutory, LabourDay},
		{date(2026, 9, 1), "Quốc khánh", Statutory, NationalDay},
		{date(2026, 9, 2), "Quốc khánh", Statutory, NationalDay},
		{date(2026, 11, 24), "Ngày Văn hóa Việt Nam", Statutory, CultureDay},
	}
	if got := c.Holidays(2026); !slices.Equal(got, want) {
		t.Errorf("Holidays(2026) =\n%v\nwant\n%v", got, want)
	}
	if got := c.MakeUpDays(2026); len(got) != 0 {
		t.Errorf("MakeUpDays(2026) = %v, want none", got)
	}
}

func TestHolidays2026WithOverride(t *testing.T) {
	c := calendar2026(t)
	hs := c.Holidays(2026)
	var swap *Holiday
	for i := range hs {
		if hs[i].Date == date(2026, 8, 31) {
			swap = &hs[i]
		}
	}
	if swap == nil || swap.Kind != DayOff || swap.Name != "Nghỉ hoán đổi dịp Quốc khánh" {
		t.Errorf("31/8/2026 in Holidays = %+v, want the override's day off", swap)
	}
	want := []Holiday{{date(2026, 8, 22), "Làm bù ngày 31/8/2026", MakeUp, ""}}
	if got := c.MakeUpDays(2026); !slices.Equal(got, want) {
		t.Errorf("MakeUpDays(2026) = %v, want %v", got, want)
	}
	if len(hs) != len(mustNew(t, Config{}).Holidays(2026))+1 {
		t.Errorf("override should add exactly one day off; got %v", hs)
	}
}

func TestIsWorkingDay(t *testing.T) {
	def := mustNew(t, Config{})
	c26 := calendar2026(t)
	tests := []struct {
		name string
		c    *Calendar
		d    Date
		want bool
	}{
		{"ordinary Tuesday", def, date(2026, 3, 10), true},
		{"Saturday", def, date(2026, 3, 14), false},
		{"Sunday", def, date(2026, 3, 15), false},
		{"24/11 before Ngày Văn hóa existed", def, date(2025, 11, 24), true},
		{"24/11 from 2026", def, date(2026, 11, 24), false},
		{"Saturday 22/8/2026 without override", def, date(2026, 8, 22), false},
		{"Saturday 22/8/2026 made working", c26, date(2026, 8, 22), true},
		{"Monday 31/8/2026 without override", def, date(2026, 8, 31), true},
		{"Monday 31/8/2026 swapped off", c26, date(2026, 8, 31), false},
		// Nghỉ bù: a holiday on a weekend day moves to the next working day.
		{"1/1/2022 Sat → Mon 3/1", def, date(2022, 1, 3), false},
		{"30/4/2022 Sat → Mon 2/5", def, date(2022, 5, 2), false},
		{"1/5/2022 Sun → Tue 3/5", def, date(2022, 5, 3), false},
		{"4/5/2022 back to work", def, date(2022, 5, 4), true},
		{"2/9/2023 Sat, 1/9 Fri off", def, date(2023, 9, 1), false},
		{"2/9/2023 Sat → Mon 4/9", def, date(2023, 9, 4), false},
		{"5/9/2023 back to work", def, date(2023, 9, 5), true},
		{"Giỗ Tổ 26/4/2026 Sun → Mon 27/4", def, date(2026, 4, 27), false},
		{"28/4/2026 back to work", def, date(2026, 4, 28), true},
		// Tết 2027 (mùng 1 is Saturday 6/2): the weekend days inside the
		// five are compensated after the block.
		{"Tết 2027 last day Fri 5/2", def, date(2027, 2, 5), false},
		{"Tết 2027 Tue 9/2", def, date(2027, 2, 9), false},
		{"Tết 2027 bù Wed 10/2", def, date(2027, 2, 10), false},
		{"Tết 2027 bù Thu 11/2", def, date(2027, 2, 11), false},
		{"Tết 2027 back Fri 12/2", def, date(2027, 2, 12), true},
	}
	for _, tt := range tests {
		if got := tt.c.IsWorkingDay(tt.d); got != tt.want {
			t.Errorf("%s: IsWorkingDay(%v) = %v, want %v", tt.name, tt.d, got, tt.want)
		}
	}
}

func TestNextWorkingDay(t *testing.T) {
	c := calendar2026(t)
	tests := []struct{ in, want Date }{
		{date(2026, 3, 10), date(2026, 3, 11)},
		{date(2026, 3, 13), date(2026, 3, 16)},
		{date(2026, 2, 13), date(2026, 2, 23)}, // Tết then a weekend
		{date(2026, 8, 21), date(2026, 8, 22)}, // working Saturday
		{date(2026, 8, 28), date(2026, 9, 3)},  // 29–30/8 weekend, 31/8 swap, 1–2/9 Quốc khánh
	}
	for _, tt := range tests {
		if got := c.NextWorkingDay(tt.in); got != tt.want {
			t.Errorf("NextWorkingDay(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// Every year of the range has the right number of statutory days, all in
// that year, and every name is precomposed (NFC) Vietnamese.
func TestHolidaysAllYears(t *testing.T) {
	c := mustNew(t, Config{})
	for y := MinYear; y <= MaxYear; y++ {
		stat, onWeekend, comp := 0, 0, 0
		for _, h := range c.Holidays(y) {
			if h.Date.Year != y {
				t.Fatalf("Holidays(%d) contains %v", y, h)
			}
			if h.Kind == Statutory {
				stat++
			}
			if !h.ID.Known() || h.Name == "" {
				t.Fatalf("Holidays(%d): %+v has no known group or name", y, h)
			}
			for _, r := range h.Name {
				if unicode.Is(unicode.Mn, r) {
					t.Fatalf("name %q has combining mark U+%04X (not NFC)", h.Name, r)
				}
			}
			switch {
			case h.Kind == Statutory && c.weekend[h.Date.Weekday()]:
				onWeekend++
			case h.Kind == Compensatory:
				comp++
				if c.weekend[h.Date.Weekday()] {
					t.Fatalf("compensatory day %v falls on a weekend", h)
				}
			}
		}
		if comp != onWeekend {
			t.Fatalf("year %d: %d statutory days on a weekend but %d compensatory days", y, onWeekend, comp)
		}
		want := 11 // 1 + 5 + 1 + 1 + 1 + 2
		if y >= cultureDayFirstYear {
			want = 12
		}
		if stat != want {
			t.Fatalf("year %d has %d statutory days, want %d", y, stat, want)
		}
	}
}

func TestHolidayNames(t *testing.T) {
	for _, id := range holidayIDs {
		if id.Name() == "" {
			t.Errorf("%s has no name", id)
		}
	}
	if HolidayID("xmas").Known() {
		t.Error("unknown id reported as known")
	}
}
