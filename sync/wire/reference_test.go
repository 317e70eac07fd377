package wire

import "testing"

func TestReferenceNames(t *testing.T) {
	for name, want := range map[string]struct {
		kind string
		year int
		ok   bool
	}{
		"catalog.json":       {ReferenceCatalog, 0, true},
		"calendar-2027.json": {ReferenceCalendar, 2027, true},
		"calendar-27.json":   {"", 0, false},
		"calendar-1999.json": {"", 0, false},
		"../catalog.json":    {"", 0, false},
		"catalog.json.bak":   {"", 0, false},
	} {
		kind, year, ok := ParseReferenceName(name)
		if kind != want.kind || year != want.year || ok != want.ok {
			t.Errorf("%s: %s %d %v", name, kind, year, ok)
		}
		if ok && ReferenceName(kind, year) != name {
			t.Errorf("%s: name round trip gives %s", name, ReferenceName(kind, year))
		}
	}
}
