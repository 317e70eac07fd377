package calendar

import (
	"slices"
	"time"
)

// HolidayID names a statutory holiday group of Labor Code 2019 Điều 112 (and
// Ngày Văn hóa Việt Nam). Overrides use it to replace a group's days.
type HolidayID string

const (
	NewYear      HolidayID = "new_year"       // Tết Dương lịch, 01/01
	LunarNewYear HolidayID = "lunar_new_year" // Tết Nguyên đán, 5 days
	HungKings    HolidayID = "hung_kings"     // Giỗ Tổ Hùng Vương, 10/3 lunar
	VictoryDay   HolidayID = "victory_day"    // Ngày Chiến thắng, 30/4
	LabourDay    HolidayID = "labour_day"     // Ngày Quốc tế lao động, 01/5
	NationalDay  HolidayID = "national_day"   // Quốc khánh, 02/9 + 1 adjacent day
	CultureDay   HolidayID = "culture_day"    // Ngày Văn hóa Việt Nam, 24/11 from 2026
)

// holidayNames holds the legal Vietnamese names (NFC).
var holidayNames = map[HolidayID]string{
	NewYear:      "Tết Dương lịch",
	LunarNewYear: "Tết Nguyên đán",
	HungKings:    "Giỗ Tổ Hùng Vương",
	VictoryDay:   "Ngày Chiến thắng",
	LabourDay:    "Ngày Quốc tế lao động",
	NationalDay:  "Quốc khánh",
	CultureDay:   "Ngày Văn hóa Việt Nam",
}

// Name returns the Vietnamese name of the holiday, or "" for an unknown ID.
func (id HolidayID) Name() string { return holidayNames[id] }

// Known reports whether id is one of the defined holiday groups.
func (id HolidayID) Known() bool { _, ok := holidayNames[id]; return ok }

// cultureDayFirstYear: Nghị quyết 28/2026/QH16 makes 24/11 a paid holiday
// from 01/7/2026, so the first 24/11 off is in 2026.
const cultureDayFirstYear = 2026

// HolidayKind tells why a day is special.
type HolidayKind string

const (
	Statutory    HolidayKind = "statutory"    // a day named by law, or its replacement by an override
	Compensatory HolidayKind = "compensatory" // nghỉ bù: a statutory day fell on a weekend day
	DayOff       HolidayKind = "day_off"      // extra day off from an override (e.g. a swap)
	MakeUp       HolidayKind = "make_up"      // working day from an override (làm bù), e.g. a Saturday
)

// Holiday is a named special day of the working calendar.
type Holiday struct {
	Date Date        `json:"date"`
	Name string      `json:"name"` // Vietnamese, NFC
	Kind HolidayKind `json:"kind"`
	ID   HolidayID   `json:"id,omitempty"` // group, for Statutory and Compensatory days
}

// statutoryDays returns the default days of each holiday group for a year,
// before compensation and overrides.
func statutoryDays(year int) map[HolidayID][]Date {
	days := map[HolidayID][]Date{
		NewYear:     {{year, time.January, 1}},
		VictoryDay:  {{year, time.April, 30}},
		LabourDay:   {{year, time.May, 1}},
		NationalDay: nationalDays(year),
	}
	if tet, err := FromLunar(LunarDate{Year: year, Month: 1, Day: 1}); err == nil {
		// The last day of the old lunar year (29 or 30 tháng Chạp) and
		// mùng 1–4: the pattern the PM has decided in most years.
		days[LunarNewYear] = []Date{tet.AddDays(-1), tet, tet.AddDays(1), tet.AddDays(2), tet.AddDays(3)}
	}
	if d, err := FromLunar(LunarDate{Year: year, Month: 3, Day: 10}); err == nil {
		days[HungKings] = []Date{d}
	}
	if year >= cultureDayFirstYear {
		days[CultureDay] = []Date{{year, time.November, 24}}
	}
	return days
}

// nationalDays returns 2/9 and the adjacent day. The law leaves the choice
// of 1/9 or 3/9 to the PM; the default reproduces the decisions of
// 2021–2026: 1/9, except 3/9 when that makes a bridge to the weekend
// (2/9 on Thursday) or when 1/9 is a Sunday (2/9 on Monday).
func nationalDays(year int) []Date {
	second := Date{year, time.September, 2}
	switch second.Weekday() {
	case time.Thursday, time.Monday:
		return []Date{second, second.AddDays(1)}
	}
	return []Date{second.AddDays(-1), second}
}

// holidayIDs lists the groups in a fixed order for deterministic output.
var holidayIDs = []HolidayID{NewYear, LunarNewYear, HungKings, VictoryDay, LabourDay, NationalDay, CultureDay}

func sortHolidays(hs []Holiday) {
	slices.SortStableFunc(hs, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
}
