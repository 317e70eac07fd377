package calendar

import (
	"fmt"
	"math"
	"sync"
)

// The Vietnamese lunisolar calendar, computed with the method published by
// Hồ Ngọc Đức (new moons and solar longitude from Jean Meeus's formulas,
// evaluated for UTC+7):
//   - a month starts on the local day of a new moon;
//   - month 11 is the month that contains the winter solstice;
//   - a span from one month 11 to the next with 13 months has a leap month:
//     the first month after month 11 that contains no major solar term
//     (a multiple of 30° of solar longitude). It takes the number of the
//     month before it.
// Using UTC+7 instead of China's UTC+8 is what makes Vietnamese dates differ
// in some years (e.g. Tết 1985 and 2007).

// MinYear and MaxYear bound the years the package promises to be correct for.
const (
	MinYear = 1900
	MaxYear = 2199
)

const (
	vietnamUTCOffsetHours = 7.0
	// Julian date of the new moon numbered 0 (6 January 1900) and the mean
	// synodic month, used to number new moons.
	newMoonEpoch = 2415021.076998695
	synodicMonth = 29.530588853
)

// LunarDate is a date of the Vietnamese lunar calendar (âm lịch).
type LunarDate struct {
	Year  int  `json:"year"`
	Month int  `json:"month"` // 1–12
	Day   int  `json:"day"`   // 1–30
	Leap  bool `json:"leap,omitempty"`
}

// String formats as day/month/year the way Vietnamese forms write it, with
// "nhuận" after a leap month, e.g. "10/3/2026", "1/2 nhuận/2023".
func (l LunarDate) String() string {
	if l.Leap {
		return fmt.Sprintf("%d/%d nhuận/%d", l.Day, l.Month, l.Year)
	}
	return fmt.Sprintf("%d/%d/%d", l.Day, l.Month, l.Year)
}

// ToLunar converts a solar date to the Vietnamese lunar calendar.
// It is exact for MinYear–MaxYear and an extrapolation outside.
func ToLunar(d Date) LunarDate {
	j := d.jdn()
	key := d.Year + 1
	s := lunarSpanOf(key)
	if j < s.start[0] {
		key = d.Year
		s = lunarSpanOf(key)
	}
	off := s.months - 1
	for off > 0 && s.start[off] > j {
		off--
	}
	m, leap := s.label(off)
	y := key
	if m >= 11 {
		y--
	}
	return LunarDate{Year: y, Month: m, Day: j - s.start[off] + 1, Leap: leap}
}

// FromLunar converts a lunar date to the solar calendar. It returns
// ErrNoSuchLunarDate for a leap month the year does not have or a day 30 in
// a 29-day month, and ErrOutOfRange for lunar years outside
// MinYear-1–MaxYear (January 1900 is still in lunar year 1899).
func FromLunar(l LunarDate) (Date, error) {
	if l.Year < MinYear-1 || l.Year > MaxYear {
		return Date{}, fmt.Errorf("%w: lunar year %d", ErrOutOfRange, l.Year)
	}
	if l.Month < 1 || l.Month > 12 || l.Day < 1 || l.Day > 30 {
		return Date{}, fmt.Errorf("%w: %s", ErrNoSuchLunarDate, l)
	}
	key := l.Year
	if l.Month >= 11 {
		key++ // months 11 and 12 open the span that ends in the next solar year
	}
	s := lunarSpanOf(key)
	for off := 0; off < s.months; off++ {
		m, leap := s.label(off)
		if m != l.Month || leap != l.Leap {
			continue
		}
		if l.Day > s.start[off+1]-s.start[off] {
			return Date{}, fmt.Errorf("%w: %s (month has %d days)", ErrNoSuchLunarDate, l, s.start[off+1]-s.start[off])
		}
		return dateFromJDN(s.start[off] + l.Day - 1), nil
	}
	return Date{}, fmt.Errorf("%w: %s", ErrNoSuchLunarDate, l)
}

// LeapMonth returns the number of the leap month of a lunar year, or 0.
func LeapMonth(lunarYear int) int {
	if s := lunarSpanOf(lunarYear); s.leap >= 0 {
		if m, _ := s.label(s.leap); m <= 10 {
			return m
		}
	}
	if s := lunarSpanOf(lunarYear + 1); s.leap >= 0 {
		if m, _ := s.label(s.leap); m >= 11 {
			return m
		}
	}
	return 0
}

// lunarSpan holds the months from the month 11 that starts in solar year
// key-1 up to (excluding) the month 11 that starts in solar year key: lunar
// months 11 and 12 of lunar year key-1, then 1–10 of lunar year key.
type lunarSpan struct {
	months int     // 12 or 13
	leap   int     // offset of the leap month, -1 if none
	start  [14]int // JDN of each month's first day; start[months] is the next month 11
}

// label returns the month number of the month at offset off.
func (s *lunarSpan) label(off int) (month int, leap bool) {
	m := off + 11
	if s.leap >= 0 && off >= s.leap {
		m--
	}
	if m > 12 {
		m -= 12
	}
	return m, off == s.leap
}

var lunarSpans struct {
	sync.RWMutex
	m map[int]*lunarSpan
}

// lunarSpanOf memoizes spans: each costs a few dozen trigonometric series,
// and the holiday and conversion code asks for the same few years repeatedly.
func lunarSpanOf(key int) *lunarSpan {
	lunarSpans.RLock()
	s := lunarSpans.m[key]
	lunarSpans.RUnlock()
	if s != nil {
		return s
	}
	s = computeLunarSpan(key)
	lunarSpans.Lock()
	if lunarSpans.m == nil {
		lunarSpans.m = make(map[int]*lunarSpan)
	}
	lunarSpans.m[key] = s
	lunarSpans.Unlock()
	return s
}

func computeLunarSpan(key int) *lunarSpan {
	a := month11Start(key - 1)
	b := month11Start(key)
	k := int(math.Floor((float64(a)-newMoonEpoch)/synodicMonth + 0.5))
	s := &lunarSpan{months: 12, leap: -1}
	if b-a > 365 {
		s.months = 13
	}
	for i := 0; i < s.months; i++ {
		s.start[i] = newMoonDay(k + i)
	}
	s.start[s.months] = b
	if s.months == 13 {
		// The month at offset 0 holds the solstice, so the leap month is
		// the first later month whose start and end fall in the same
		// 30° sector of solar longitude.
		for off := 1; off < 13; off++ {
			if termSector(s.start[off]) == termSector(s.start[off+1]) {
				s.leap = off
				break
			}
		}
	}
	return s
}

// month11Start returns the JDN of the first day of the lunar month 11 that
// contains the winter solstice of the given solar year.
func month11Start(year int) int {
	dec31 := Date{year, 12, 31}.jdn()
	k := int(math.Floor((float64(dec31) - newMoonEpoch) / synodicMonth))
	nm := newMoonDay(k)
	// Sector 9 begins at 270°, the winter solstice: if it is already
	// passed when this month begins, the solstice is in the month before.
	if termSector(nm) >= 9 {
		nm = newMoonDay(k - 1)
	}
	return nm
}

// newMoonDay returns the JDN of the local (UTC+7) day of new moon k.
func newMoonDay(k int) int {
	return int(math.Floor(newMoonJD(k) + 0.5 + vietnamUTCOffsetHours/24))
}

// termSector returns which 30° sector of solar longitude (0–11) the sun is
// in at local midnight starting day j.
func termSector(j int) int {
	jd := float64(j) - 0.5 - vietnamUTCOffsetHours/24
	return int(math.Floor(sunLongitude(jd) / math.Pi * 6))
}

// newMoonJD returns the Julian date (UT) of new moon number k counted from
// 6 January 1900, after Meeus.
func newMoonJD(k int) float64 {
	const rad = math.Pi / 180
	kf := float64(k)
	t := kf / 1236.85 // Julian centuries from 1900
	t2 := t * t
	t3 := t2 * t
	mean := 2415020.75933 + 29.53058868*kf + 0.0001178*t2 - 0.000000155*t3 +
		0.00033*math.Sin((166.56+132.87*t-0.009173*t2)*rad)
	sunAnomaly := (359.2242 + 29.10535608*kf - 0.0000333*t2 - 0.00000347*t3) * rad
	moonAnomaly := (306.0253 + 385.81691806*kf + 0.0107306*t2 + 0.00001236*t3) * rad
	latitude := (21.2964 + 390.67050646*kf - 0.0016528*t2 - 0.00000239*t3) * rad
	corr := (0.1734-0.000393*t)*math.Sin(sunAnomaly) +
		0.0021*math.Sin(2*sunAnomaly) -
		0.4068*math.Sin(moonAnomaly) +
		0.0161*math.Sin(2*moonAnomaly) -
		0.0004*math.Sin(3*moonAnomaly) +
		0.0104*math.Sin(2*latitude) -
		0.0051*math.Sin(sunAnomaly+moonAnomaly) -
		0.0074*math.Sin(sunAnomaly-moonAnomaly) +
		0.0004*math.Sin(2*latitude+sunAnomaly) -
		0.0004*math.Sin(2*latitude-sunAnomaly) -
		0.0006*math.Sin(2*latitude+moonAnomaly) +
		0.0010*math.Sin(2*latitude-moonAnomaly) +
		0.0005*math.Sin(2*moonAnomaly+sunAnomaly)
	// ΔT (TT − UT) in days.
	var deltaT float64
	if t < -11 {
		deltaT = 0.001 + 0.000839*t + 0.0002261*t2 - 0.00000845*t3 - 0.000000081*t*t3
	} else {
		deltaT = -0.000278 + 0.000265*t + 0.000262*t2
	}
	return mean + corr - deltaT
}

// sunLongitude returns the sun's apparent longitude in radians, in [0, 2π),
// at Julian date jd, after Meeus.
func sunLongitude(jd float64) float64 {
	const rad = math.Pi / 180
	t := (jd - 2451545.0) / 36525 // Julian centuries from J2000
	t2 := t * t
	anomaly := (357.52910 + 35999.05030*t - 0.0001559*t2 - 0.00000048*t*t2) * rad
	mean := 280.46645 + 36000.76983*t + 0.0003032*t2
	center := (1.914600-0.004817*t-0.000014*t2)*math.Sin(anomaly) +
		(0.019993-0.000101*t)*math.Sin(2*anomaly) +
		0.000290*math.Sin(3*anomaly)
	l := (mean + center) * rad
	return l - 2*math.Pi*math.Floor(l/(2*math.Pi))
}
