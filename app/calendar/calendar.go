package calendar

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Clock is a time of day in minutes after midnight. In JSON it is "15:04".
type Clock int

// ClockOf returns the clock time h:m.
func ClockOf(h, m int) Clock { return Clock(h*60 + m) }

// ParseClock parses "HH:MM" (00:00–24:00).
func ParseClock(s string) (Clock, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%w: clock %q is not HH:MM", ErrInvalidConfig, s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%w: clock %q is not HH:MM", ErrInvalidConfig, s)
	}
	return ClockOf(h, m), nil
}

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// MarshalText implements encoding.TextMarshaler.
func (c Clock) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Clock) UnmarshalText(b []byte) error {
	v, err := ParseClock(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

func (c Clock) offset() time.Duration { return time.Duration(c) * time.Minute }

// Period is one stretch of office hours within a day, [Start, End).
type Period struct {
	Start Clock `json:"start"`
	End   Clock `json:"end"`
}

// Defaults: office hours of the commune one-stop desk (regulations.md §3,
// as in the Thanh Hóa system), which add up to the legal 8-hour day.
var (
	DefaultOfficeHours = []Period{{ClockOf(7, 0), ClockOf(11, 30)}, {ClockOf(13, 30), ClockOf(17, 0)}}
	DefaultCutoff      = ClockOf(15, 0)
	DefaultWeekend     = []time.Weekday{time.Saturday, time.Sunday}
	// DefaultLocation is UTC+7 without DST, i.e. Asia/Ho_Chi_Minh since
	// 1975, and needs no tzdata on the machine.
	DefaultLocation = time.FixedZone("ICT", 7*3600)
)

// Config configures a Calendar. Zero fields take the defaults above.
type Config struct {
	Location    *time.Location
	OfficeHours []Period       // sorted, non-overlapping; one working day = their total
	Cutoff      Clock          // for SameDayCutoff; 0 means DefaultCutoff
	Weekend     []time.Weekday // nil means DefaultWeekend
	Overrides   []Override     // at most one per year
}

// Calendar answers working-day and due-date questions. It is immutable after
// New apart from an internal per-year cache, and safe for concurrent use.
type Calendar struct {
	loc       *time.Location
	periods   []span // office hours as offsets from midnight
	dayLen    time.Duration
	cutoff    time.Duration
	weekend   [7]bool
	overrides map[int]Override

	mu    sync.RWMutex
	years map[int]*yearDays
}

type span struct{ start, end time.Duration }

// yearDays is the cached working calendar of one solar year.
type yearDays struct {
	first    int    // JDN of 1 January
	off      []bool // by day of year: not a working day
	holidays []Holiday
	makeUp   []Holiday
}

// New builds a calendar. Errors wrap ErrInvalidConfig or are *OverrideError.
func New(cfg Config) (*Calendar, error) {
	c := &Calendar{
		loc:       cfg.Location,
		cutoff:    cfg.Cutoff.offset(),
		overrides: make(map[int]Override),
		years:     make(map[int]*yearDays),
	}
	if c.loc == nil {
		c.loc = DefaultLocation
	}
	if cfg.Cutoff == 0 {
		c.cutoff = DefaultCutoff.offset()
	}
	if cfg.Cutoff < 0 || cfg.Cutoff > ClockOf(24, 0) {
		return nil, fmt.Errorf("%w: cutoff %s", ErrInvalidConfig, cfg.Cutoff)
	}
	hours := cfg.OfficeHours
	if len(hours) == 0 {
		hours = DefaultOfficeHours
	}
	var prev Clock
	for i, p := range hours {
		if p.Start < prev || p.End <= p.Start || p.End > ClockOf(24, 0) {
			return nil, fmt.Errorf("%w: office hours period %d (%s–%s) must be non-empty, sorted and within the day", ErrInvalidConfig, i, p.Start, p.End)
		}
		prev = p.End
		c.periods = append(c.periods, span{p.Start.offset(), p.End.offset()})
		c.dayLen += p.End.offset() - p.Start.offset()
	}
	weekend := cfg.Weekend
	if weekend == nil {
		weekend = DefaultWeekend
	}
	for _, w := range weekend {
		if w < time.Sunday || w > time.Saturday {
			return nil, fmt.Errorf("%w: weekday %d", ErrInvalidConfig, w)
		}
		c.weekend[w] = true
	}
	if !slices.Contains(c.weekend[:], false) {
		return nil, fmt.Errorf("%w: every day is a weekend day", ErrInvalidConfig)
	}
	for _, o := range cfg.Overrides {
		if err := o.Validate(); err != nil {
			return nil, err
		}
		if _, dup := c.overrides[o.Year]; dup {
			return nil, &OverrideError{Year: o.Year, Entry: "year", Err: ErrDuplicateOverride}
		}
		c.overrides[o.Year] = o
	}
	// Build override years now so semantic errors surface at start-up.
	for y := range c.overrides {
		yd, err := c.buildYear(y)
		if err != nil {
			return nil, err
		}
		c.years[y] = yd
	}
	return c, nil
}

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// WorkingDayLength returns the working time of one working day.
func (c *Calendar) WorkingDayLength() time.Duration { return c.dayLen }

// DateOf returns the date of t in the calendar's time zone.
func (c *Calendar) DateOf(t time.Time) Date { return DateOf(t.In(c.loc)) }

// IsWorkingDay reports whether d is a working day (not a weekend day unless
// made a working day, not a holiday, compensatory day or extra day off).
func (c *Calendar) IsWorkingDay(d Date) bool { return !c.offDay(d.jdn()) }

// NextWorkingDay returns the first working day after d.
func (c *Calendar) NextWorkingDay(d Date) Date {
	j := d.jdn() + 1
	for c.offDay(j) {
		j++
	}
	return dateFromJDN(j)
}

// Holidays returns the non-working days of a year other than ordinary
// weekend days, sorted by date: statutory days (including those that fall on
// a weekend), compensatory days and extra days off. Days an override made
// working are left out.
func (c *Calendar) Holidays(year int) []Holiday {
	return slices.Clone(c.year(year).holidays)
}

// MakeUpDays returns the days an override made working (làm bù) in a year.
func (c *Calendar) MakeUpDays(year int) []Holiday {
	return slices.Clone(c.year(year).makeUp)
}

// OpensAt returns the start of office hours on day d.
func (c *Calendar) OpensAt(d Date) time.Time { return c.join(d.jdn(), c.periods[0].start) }

// ClosesAt returns the end of office hours on day d.
func (c *Calendar) ClosesAt(d Date) time.Time {
	return c.join(d.jdn(), c.periods[len(c.periods)-1].end)
}

func (c *Calendar) offDay(j int) bool {
	yd := c.year(dateFromJDN(j).Year)
	return yd.off[j-yd.first]
}

func (c *Calendar) year(y int) *yearDays {
	c.mu.RLock()
	yd := c.years[y]
	c.mu.RUnlock()
	if yd != nil {
		return yd
	}
	// Only years with an override can fail, and New built those already.
	yd, err := c.buildYear(y)
	if err != nil {
		panic(fmt.Sprintf("calendar: year %d: %v", y, err))
	}
	c.mu.Lock()
	c.years[y] = yd
	c.mu.Unlock()
	return yd
}

// buildYear applies, in order: statutory days (with replacements), their
// compensatory days, extra days off, working days.
func (c *Calendar) buildYear(y int) (*yearDays, error) {
	first := Date{y, time.January, 1}.jdn()
	n := Date{y + 1, time.January, 1}.jdn() - first
	yd := &yearDays{first: first, off: make([]bool, n)}
	for i := range yd.off {
		yd.off[i] = c.weekend[weekdayOf(first+i)]
	}
	o, hasOverride := c.overrides[y]
	groups := statutoryDays(y)
	for id, ds := range o.Replace {
		groups[id] = ds
	}
	taken := make(map[Date]bool)
	var statutory []Holiday
	for _, id := range holidayIDs {
		for _, d := range groups[id] {
			statutory = append(statutory, Holiday{Date: d, Name: id.Name(), Kind: Statutory, ID: id})
			taken[d] = true
		}
	}
	sortHolidays(statutory)
	hs := statutory
	// Nghỉ bù (Labor Code 2019 Điều 111 k3 / Điều 112): a statutory day on a
	// weekend day moves to the next working day not already off.
	for _, h := range statutory {
		if _, replaced := o.Replace[h.ID]; replaced || !c.weekend[h.Date.Weekday()] {
			continue
		}
		d := h.Date.AddDays(1)
		for c.weekend[d.Weekday()] || taken[d] {
			d = d.AddDays(1)
		}
		taken[d] = true
		hs = append(hs, Holiday{Date: d, Name: "Nghỉ bù " + h.Name, Kind: Compensatory, ID: h.ID})
	}
	for _, e := range o.DaysOff {
		if taken[e.Date] {
			continue // already off for a named reason; keep that name
		}
		taken[e.Date] = true
		hs = append(hs, Holiday{Date: e.Date, Name: nameOr(e.Name, defaultDayOffName), Kind: DayOff})
	}
	for _, h := range hs {
		if h.Date.Year == y { // always true for today's rules; guards future ones
			yd.off[h.Date.jdn()-first] = true
		}
	}
	if hasOverride {
		for i, e := range o.WorkingDays {
			if !yd.off[e.Date.jdn()-first] {
				return nil, &OverrideError{Year: y, Entry: fmt.Sprintf("working_days[%d]", i), Value: e.Date.String(), Err: ErrAlreadyWorkingDay}
			}
		}
		for _, e := range o.WorkingDays {
			yd.off[e.Date.jdn()-first] = false
			hs = slices.DeleteFunc(hs, func(h Holiday) bool { return h.Date == e.Date })
			yd.makeUp = append(yd.makeUp, Holiday{Date: e.Date, Name: nameOr(e.Name, defaultMakeUpName), Kind: MakeUp})
		}
		sortHolidays(yd.makeUp)
	}
	hs = slices.DeleteFunc(hs, func(h Holiday) bool { return h.Date.Year != y })
	sortHolidays(hs)
	yd.holidays = hs
	return yd, nil
}

func nameOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// split returns the day number and the offset from midnight of t in the
// calendar's zone.
func (c *Calendar) split(t time.Time) (int, time.Duration) {
	t = t.In(c.loc)
	h, m, s := t.Clock()
	return DateOf(t).jdn(), time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
}

func (c *Calendar) join(j int, off time.Duration) time.Time {
	d := dateFromJDN(j)
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, int(off), c.loc)
}
