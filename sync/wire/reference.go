package wire

import (
	"fmt"
	"regexp"
	"strconv"
)

// ReferenceDoc is a document the province publishes to every commune: the
// procedure catalog, or one year's holiday override file. Every pull answer
// lists them; a desk fetches one (GET /v1/reference/{name}) when its SHA-256
// differs from the one it last installed, and installs it with the same
// rules as an admin importing the file at the desk.
type ReferenceDoc struct {
	Name   string `json:"name"` // catalog.json, calendar-2027.json
	Kind   string `json:"kind"` // ReferenceCatalog or ReferenceCalendar
	Year   int    `json:"year,omitempty"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Reference document kinds.
const (
	ReferenceCatalog  = "catalog"
	ReferenceCalendar = "calendar"
)

// MaxReferenceBytes bounds one reference document.
const MaxReferenceBytes = 16 << 20

var calendarName = regexp.MustCompile(`^calendar-(\d{4})\.json$`)

// ParseReferenceName says what a reference document's file name holds:
// "catalog.json", or "calendar-YYYY.json"; ok is false for anything else.
func ParseReferenceName(name string) (kind string, year int, ok bool) {
	if name == "catalog.json" {
		return ReferenceCatalog, 0, true
	}
	if m := calendarName.FindStringSubmatch(name); m != nil {
		y, _ := strconv.Atoi(m[1])
		if y >= 2000 && y <= 2200 {
			return ReferenceCalendar, y, true
		}
	}
	return "", 0, false
}

// ReferenceName is the file name of a kind (and year) of document.
func ReferenceName(kind string, year int) string {
	if kind == ReferenceCalendar {
		return fmt.Sprintf("calendar-%04d.json", year)
	}
	return "catalog.json"
}
