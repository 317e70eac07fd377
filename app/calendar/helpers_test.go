package calendar

import (
	"os"
	"testing"
	"time"
)

// at returns a moment in the default zone (UTC+7).
func at(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, DefaultLocation)
}

func date(y int, m time.Month, d int) Date { return Date{y, m, d} }

func mustNew(t testing.TB, cfg Config) *Calendar {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func override2026(t testing.TB) Override {
	t.Helper()
	data, err := os.ReadFile("testdata/override-2026.json")
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseOverride(data)
	if err != nil {
		t.Fatalf("ParseOverride: %v", err)
	}
	return o
}

// calendar2026 is the default calendar with the 2026 decisions loaded.
func calendar2026(t testing.TB) *Calendar {
	return mustNew(t, Config{Overrides: []Override{override2026(t)}})
}
