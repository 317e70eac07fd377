// Package catalog is the list of administrative procedures (thủ tục hành
// chính, TTHC) a desk can receive: names, legal processing times, fees,
// required papers and channels. A default commune-level catalog is embedded;
// provinces publish newer versions that replace or merge into it.
//
// Catalog data is Vietnamese and must be NFC. Values the sources did not
// give are marked Provisional with a note saying the province must confirm
// them; the UI should show that mark.
package catalog

import (
	"errors"
	"fmt"
	"time"

	"motcua/app/dossier"
)

// Errors returned by Parse, Validate, Lookup, Merge and Fee.Compute.
var (
	ErrMalformed       = errors.New("malformed catalog")
	ErrTooLarge        = errors.New("catalog too large")
	ErrInvalid         = errors.New("invalid catalog")
	ErrDuplicateCode   = errors.New("duplicate procedure code")
	ErrNotFound        = errors.New("procedure not found")
	ErrOlderVersion    = errors.New("catalog version older than the installed one")
	ErrVersionConflict = errors.New("catalog version already installed with different content")
	ErrQuantity        = errors.New("invalid fee quantity")
)

// Unit is how a processing time is counted. The values match the calendar
// package's units, so the due-date engine can take a Duration as is.
type Unit string

// Units of processing time.
const (
	WorkingHours Unit = "working_hours"
	WorkingDays  Unit = "working_days"
	CalendarDays Unit = "calendar_days"
	// SameDayCutoff is "ngay trong ngày; sau 15 giờ thì trong ngày làm việc
	// tiếp theo". Its Amount is always 0.
	SameDayCutoff Unit = "same_day_cutoff"
)

func (u Unit) valid() bool {
	switch u {
	case WorkingHours, WorkingDays, CalendarDays, SameDayCutoff:
		return true
	}
	return false
}

// Duration is an amount of a Unit.
type Duration struct {
	Amount int  `json:"amount"`
	Unit   Unit `json:"unit"`
}

// Extension is a longer time limit that applies only under Condition, such
// as "cần xác minh" or "bản chính có nhiều trang". Its Duration is counted
// from the same start as the base time: it is the whole limit, not an
// amount added to the base.
type Extension struct {
	Duration
	Condition string `json:"condition"`
}

// ProcessingTime is the legal time limit (thời hạn giải quyết).
type ProcessingTime struct {
	Duration
	Extended *Extension `json:"extended,omitempty"`
	// Provisional marks a value chosen without a source; Note says why.
	Provisional bool   `json:"provisional,omitempty"`
	Note        string `json:"note,omitempty"`
}

// Level is the level of government that decides the procedure (cấp thực
// hiện). Districts remain for deployments that still have them.
type Level string

// Levels.
const (
	LevelCommune  Level = "commune"
	LevelDistrict Level = "district"
	LevelProvince Level = "province"
	LevelCentral  Level = "central"
)

func (l Level) valid() bool {
	switch l {
	case LevelCommune, LevelDistrict, LevelProvince, LevelCentral:
		return true
	}
	return false
}

// SupplementPolicy says what a supplement (bổ sung) does to the legal clock
// once the dossier was received; national rules leave it open (regulations
// §1.2), so it is set per procedure.
type SupplementPolicy string

// Supplement policies.
const (
	// SupplementPauseShift stops the clock while the applicant supplements
	// and shifts the due date by the pause.
	SupplementPauseShift SupplementPolicy = "pause_shift"
	// SupplementRestart computes a new due date from the day the
	// supplemented dossier is received, as if it were received anew.
	SupplementRestart SupplementPolicy = "restart"
)

func (p SupplementPolicy) valid() bool {
	return p == SupplementPauseShift || p == SupplementRestart
}

// Component is one paper of the dossier (thành phần hồ sơ) and how many of
// each kind the applicant brings.
type Component struct {
	Name      string `json:"name"`
	Originals int    `json:"originals"` // bản chính
	Certified int    `json:"certified"` // bản sao có chứng thực
	Copies    int    `json:"copies"`    // bản sao, bản chụp
	Required  bool   `json:"required"`
	// Presented papers are only shown (xuất trình) and handed back; they are
	// not kept and not digitised (TT 03/2025 Điều 5).
	Presented bool   `json:"presented,omitempty"`
	Note      string `json:"note,omitempty"`
}

// Procedure is one administrative procedure as the desk uses it.
type Procedure struct {
	// Code is the national TTHC code "d.dddddd", possibly with a provincial
	// suffix such as "2.000815.000.00.00.H61".
	Code  string `json:"code"`
	Name  string `json:"name"`
	Field string `json:"field"` // lĩnh vực
	Level Level  `json:"level"`

	ProcessingTime   ProcessingTime   `json:"processing_time"`
	SupplementPolicy SupplementPolicy `json:"supplement_policy"`
	// SupplementWindow is how long the applicant has to supplement before
	// processing stops, where the procedure sets one.
	SupplementWindow *Duration `json:"supplement_window,omitempty"`

	Fees       []Fee             `json:"fees,omitempty"`
	Components []Component       `json:"components,omitempty"`
	Results    []string          `json:"results,omitempty"`
	Channels   []dossier.Channel `json:"channels"`
	// Competence names the deciding agency when it is not the commune's
	// own one-stop, such as Công an xã for residence registration.
	Competence string `json:"competence,omitempty"`
	// Active procedures are offered at the desk. Retired ones stay in the
	// catalog so that old dossiers still resolve their procedure.
	Active bool   `json:"active"`
	Note   string `json:"note,omitempty"`
}

// Catalog is a versioned list of procedures. A Catalog returned by Parse,
// Default, Merge or Replace is valid and indexed; do not modify its
// Procedures afterwards without calling Validate again.
type Catalog struct {
	Version    int         `json:"version"`
	Source     string      `json:"source"`
	UpdatedAt  time.Time   `json:"updated_at"`
	Procedures []Procedure `json:"procedures"`

	index *index
}

func (p Procedure) clone() Procedure {
	q := p
	if p.ProcessingTime.Extended != nil {
		e := *p.ProcessingTime.Extended
		q.ProcessingTime.Extended = &e
	}
	if p.SupplementWindow != nil {
		w := *p.SupplementWindow
		q.SupplementWindow = &w
	}
	q.Fees = cloneSlice(p.Fees)
	for i := range q.Fees {
		q.Fees[i].Tiers = cloneSlice(q.Fees[i].Tiers)
	}
	q.Components = cloneSlice(p.Components)
	q.Results = cloneSlice(p.Results)
	q.Channels = cloneSlice(p.Channels)
	return q
}

// cloneSlice copies s, keeping nil as nil so JSON output does not change.
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}

func (c *Catalog) clone() *Catalog {
	d := &Catalog{Version: c.Version, Source: c.Source, UpdatedAt: c.UpdatedAt}
	d.Procedures = make([]Procedure, len(c.Procedures))
	for i, p := range c.Procedures {
		d.Procedures[i] = p.clone()
	}
	return d
}

// Label names the duration in Vietnamese, as the desk shows it: "3 ngày làm
// việc". Printed forms (onForm) write amounts with two digits, as official
// documents do, and spell the same-day rule out in full.
func (d Duration) Label(onForm bool) string {
	n := fmt.Sprint(d.Amount)
	if onForm {
		n = fmt.Sprintf("%02d", d.Amount)
	}
	switch d.Unit {
	case SameDayCutoff:
		if !onForm {
			return "Trong ngày (sau 15 giờ: ngày làm việc tiếp theo)"
		}
		return "Trong ngày (tiếp nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo)"
	case WorkingHours:
		return n + " giờ làm việc"
	case WorkingDays:
		return n + " ngày làm việc"
	case CalendarDays:
		return n + " ngày"
	}
	return ""
}
