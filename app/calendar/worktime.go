package calendar

import "time"

// Working time is counted only inside office hours of working days. These
// helpers walk day by day through the cached year tables; a due date a few
// months out costs a few microseconds.

// addWorking returns the earliest moment at which dur of working time has
// elapsed since t. A result that lands on the end of a period stays there
// (17:00, not 07:00 the next day). dur must be positive.
func (c *Calendar) addWorking(t time.Time, dur time.Duration) time.Time {
	j, tod := c.split(t)
	rem := dur
	for ; ; j, tod = j+1, 0 {
		if c.offDay(j) {
			continue
		}
		for _, p := range c.periods {
			if tod >= p.end {
				continue
			}
			from := max(tod, p.start)
			avail := p.end - from
			if rem <= avail {
				return c.join(j, from+rem)
			}
			rem -= avail
			tod = p.end
		}
	}
}

// subWorking returns the earliest moment s with dur of working time between
// s and t, so a result on a period boundary is the end of the earlier period
// (17:00 the day before, not 07:00): the mirror of addWorking.
func (c *Calendar) subWorking(t time.Time, dur time.Duration) time.Time {
	j, tod := c.split(t)
	rem := dur
	for ; ; j, tod = j-1, 24*time.Hour {
		if c.offDay(j) {
			continue
		}
		for i := len(c.periods) - 1; i >= 0; i-- {
			p := c.periods[i]
			if tod <= p.start {
				continue
			}
			to := min(tod, p.end)
			if rem == 0 {
				return c.join(j, to)
			}
			avail := to - p.start
			if rem < avail {
				return c.join(j, to-rem)
			}
			rem -= avail
			tod = p.start
		}
	}
}

// workingTime returns the working time in [from, to], negative if to is
// before from.
func (c *Calendar) workingTime(from, to time.Time) time.Duration {
	if to.Before(from) {
		return -c.workingTime(to, from)
	}
	ja, ta := c.split(from)
	jb, tb := c.split(to)
	var total time.Duration
	for j := ja; j <= jb; j++ {
		if c.offDay(j) {
			continue
		}
		lo, hi := time.Duration(0), 24*time.Hour
		if j == ja {
			lo = ta
		}
		if j == jb {
			hi = tb
		}
		for _, p := range c.periods {
			if a, b := max(lo, p.start), min(hi, p.end); b > a {
				total += b - a
			}
		}
	}
	return total
}

// WorkingMinutes returns the working time between two moments in whole
// minutes (truncated), negative if to is before from: elapsed time since
// receipt, or time remaining until a due moment (negative once overdue).
func (c *Calendar) WorkingMinutes(from, to time.Time) int {
	return int(c.workingTime(from, to) / time.Minute)
}
