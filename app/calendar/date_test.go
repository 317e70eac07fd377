package calendar

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want Date
		ok   bool
	}{
		{"2026-02-17", date(2026, 2, 17), true},
		{"2024-02-29", date(2024, 2, 29), true},
		{"2025-02-29", Date{}, false},
		{"2026-02-30", Date{}, false},
		{"2026-2-17", Date{}, false},
		{"17/02/2026", Date{}, false},
		{"", Date{}, false},
		{"2026-02-17T00:00:00Z", Date{}, false},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidDate) {
			t.Errorf("ParseDate(%q) error %v is not ErrInvalidDate", tt.in, err)
		}
	}
}

func TestNewDate(t *testing.T) {
	if _, err := NewDate(2026, time.February, 29); !errors.Is(err, ErrInvalidDate) {
		t.Errorf("NewDate(2026-02-29) error = %v, want ErrInvalidDate", err)
	}
	if d, err := NewDate(2000, time.February, 29); err != nil || d != date(2000, 2, 29) {
		t.Errorf("NewDate(2000-02-29) = %v, %v", d, err)
	}
}

// Day numbers and weekdays must agree with the time package everywhere the
// calendar is used.
func TestDayNumbersMatchTimePackage(t *testing.T) {
	start := time.Date(1899, 1, 1, 12, 0, 0, 0, time.UTC)
	base := DateOf(start).jdn()
	for i := 0; i < 303*366; i++ {
		tm := start.AddDate(0, 0, i)
		d := DateOf(tm)
		if j := d.jdn(); j != base+i {
			t.Fatalf("%v: jdn %d, want %d", d, j, base+i)
		}
		if back := dateFromJDN(base + i); back != d {
			t.Fatalf("dateFromJDN(%d) = %v, want %v", base+i, back, d)
		}
		if d.Weekday() != tm.Weekday() {
			t.Fatalf("%v: weekday %v, want %v", d, d.Weekday(), tm.Weekday())
		}
	}
}

func TestDateJSON(t *testing.T) {
	b, err := json.Marshal(struct{ D Date }{date(2026, 8, 22)})
	if err != nil || string(b) != `{"D":"2026-08-22"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var v struct{ D Date }
	if err := json.Unmarshal([]byte(`{"D":"2026-08-22"}`), &v); err != nil || v.D != date(2026, 8, 22) {
		t.Fatalf("Unmarshal = %v, %v", v.D, err)
	}
	if err := json.Unmarshal([]byte(`{"D":"2026-13-01"}`), &v); !errors.Is(err, ErrInvalidDate) {
		t.Fatalf("Unmarshal bad date error = %v", err)
	}
}
