package forms

import (
	"fmt"
	"time"
)

// Blanks printed where a value is missing, so the clerk can write it by hand.
const (
	blank      = "……………"
	blankClock = "…… giờ …… phút, ngày ……/……/………"
	blankDate  = "……/……/………"
)

func (r *Renderer) in(t time.Time) time.Time {
	if r.loc != nil {
		return t.In(r.loc)
	}
	return t
}

// clock formats t the way the forms ask for it: "…giờ…phút, ngày…".
func (r *Renderer) clock(t time.Time) string {
	if t.IsZero() {
		return blankClock
	}
	t = r.in(t)
	return fmt.Sprintf("%02d giờ %02d phút, ngày %s", t.Hour(), t.Minute(), t.Format("02/01/2006"))
}

func (r *Renderer) date(t time.Time) string {
	if t.IsZero() {
		return blankDate
	}
	return r.in(t).Format("02/01/2006")
}

// dateTime is the compact form used in table cells: "05/03/2026 09:15".
func (r *Renderer) dateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return r.in(t).Format("02/01/2006 15:04")
}

// placeDate is the line under the national motto. Nghị định 30/2020/NĐ-CP pads
// days below 10 and the months 1 and 2 with a zero, and nothing else.
func (r *Renderer) placeDate(t time.Time) string {
	place := r.office.Place
	if place == "" {
		place = "………"
	}
	if t.IsZero() {
		return place + ", ngày …… tháng …… năm ………"
	}
	t = r.in(t)
	month := fmt.Sprint(int(t.Month()))
	if t.Month() <= 2 {
		month = "0" + month
	}
	return fmt.Sprintf("%s, ngày %02d tháng %s năm %d", place, t.Day(), month, t.Year())
}

// count prints copy counts the way forms do: "01", "02"; zero is left empty.
func count(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf("%02d", n)
}
