package catalog

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestNationalCode(t *testing.T) {
	tests := map[string]string{
		"2.000815":               "2.000815",
		"2.000815.000.00.00.H61": "2.000815",
		"2.000815x":              "2.000815x",
		"2.000815.h61":           "2.000815.h61",
		"":                       "",
	}
	for in, want := range tests {
		if got := NationalCode(in); got != want {
			t.Errorf("NationalCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLookup(t *testing.T) {
	c := sample()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		code, want string
	}{
		{"2.000815", "2.000815"},
		{"2.000815.000.00.00.H61", "2.000815"},               // local code finds the national entry
		{"1.004873", "1.004873.000.00.00.H14"},               // national code finds the local entry
		{"1.004873.000.00.00.H14", "1.004873.000.00.00.H14"}, // exact
	}
	for _, tt := range tests {
		p, err := c.Lookup(tt.code)
		if err != nil || p.Code != tt.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", tt.code, p.Code, err, tt.want)
		}
	}
	for _, code := range []string{"", "2.000816", "khai sinh", "1.004873.000.00.00.H15x"} {
		if p, err := c.Lookup(code); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup(%q) = %q, %v; want ErrNotFound", code, p.Code, err)
		}
	}

	// Two provincial variants of one national code: the national code is
	// ambiguous, each local code is not.
	c.Procedures[0].Code = "1.004873.000.00.00.H61"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Lookup("1.004873"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ambiguous Lookup = %v, want ErrNotFound", err)
	}
	if p, err := c.Lookup("1.004873.000.00.00.H61"); err != nil || p.Name != sample().Procedures[0].Name {
		t.Errorf("Lookup(local) = %q, %v", p.Name, err)
	}
}

func TestLookupReturnsCopy(t *testing.T) {
	c := sample()
	p, err := c.Lookup("2.000815")
	if err != nil {
		t.Fatal(err)
	}
	p.Results[0] = "x"
	p.Fees[0].Tiers[0].Amount = 1
	p.ProcessingTime.Extended.Amount = 99
	p.Channels[0] = "x"
	if q := c.Procedures[0]; q.Results[0] == "x" || q.Fees[0].Tiers[0].Amount == 1 ||
		q.ProcessingTime.Extended.Amount == 99 || q.Channels[0] == "x" {
		t.Error("Lookup result shares memory with the catalog")
	}
}

// TestLookupUnvalidated covers a Catalog built by hand, without an index.
func TestLookupUnvalidated(t *testing.T) {
	c := sample()
	if p, err := c.Lookup("1.004873"); err != nil || p.Code != "1.004873.000.00.00.H14" {
		t.Errorf("Lookup = %q, %v", p.Code, err)
	}
	c.Procedures = append(c.Procedures, Procedure{Code: "9.999999", Name: "Mới", Active: true})
	if p, err := c.Lookup("9.999999"); err != nil || p.Name != "Mới" {
		t.Errorf("Lookup after append = %q, %v", p.Name, err)
	}
}

func codes(ps []Procedure) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Code
	}
	return out
}

func TestSearch(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		first string
	}{
		{"khai sinh", "1.001193"},
		{"KHAI SINH", "1.001193"},
		{norm.NFD.String("Đăng ký khai sinh"), "1.001193"},
		{"dang ky khai sinh", "1.001193"},
		{"2.000815", "2.000815"},
		{"2.0008", "2.000815"},
		{"2.000815.000.00.00.H61", "2.000815"}, // a provincial code finds the national entry
		{"chứng thực bản sao", "2.000815"},
		{"chung thuc chu ky", "2.000884"},
		{"di chúc", "2.001019"},
		{"thuong tru", "1.004222"},
		{"ket hon", "1.000894"},
		{"  kết   hôn  ", "1.000894"},
		{"giám hộ", "1.004837"},
		{"khai sinh lưu động", "1.003583"},
		{"xyzzy", ""},
	}
	for _, tt := range tests {
		got := c.Search(tt.query)
		switch {
		case tt.first == "" && len(got) != 0:
			t.Errorf("Search(%q) = %q, want nothing", tt.query, codes(got))
		case tt.first != "" && (len(got) == 0 || got[0].Code != tt.first):
			t.Errorf("Search(%q) = %q, want %s first", tt.query, codes(got), tt.first)
		}
	}

	// Every hit contains all words; every procedure of the field is a hit.
	got := codes(c.Search("hộ tịch"))
	for _, p := range c.Procedures {
		if p.Field == "Hộ tịch" && !slices.Contains(got, p.Code) {
			t.Errorf("Search(hộ tịch) misses %s", p.Code)
		}
	}
	if all := c.Search(""); len(all) != len(c.Procedures) {
		t.Errorf("Search(\"\") = %d procedures, want %d", len(all), len(c.Procedures))
	}
	if !slices.Equal(codes(c.Search("khai sinh")), codes(c.Search("Khai Sinh"))) {
		t.Error("Search is case-sensitive")
	}
}

func TestSearchSkipsInactive(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Procedures {
		if c.Procedures[i].Code == "1.001193" {
			c.Procedures[i].Active = false
		}
	}
	if slices.Contains(codes(c.Search("khai sinh")), "1.001193") {
		t.Error("Search returns an inactive procedure")
	}
	if _, err := c.Lookup("1.001193"); err != nil {
		t.Errorf("Lookup of an inactive procedure = %v", err)
	}
}

func TestMerge(t *testing.T) {
	old := sample() // version 3: 2.000815, 1.004873.000.00.00.H14
	if err := old.Validate(); err != nil {
		t.Fatal(err)
	}
	before, _ := old.Marshal()

	next := sample()
	next.Version = 4
	next.Procedures[0].Name = "Chứng thực bản sao từ bản chính giấy tờ, văn bản"
	next.Procedures[1] = Procedure{Code: "2.000884", Name: "Chứng thực chữ ký", Field: "Chứng thực", Level: LevelCommune,
		ProcessingTime: ProcessingTime{Duration: Duration{0, SameDayCutoff}}, SupplementPolicy: SupplementPauseShift,
		Channels: next.Procedures[0].Channels, Active: true}
	nextBefore, _ := next.Marshal()

	merged, err := old.Merge(next)
	if err != nil {
		t.Fatalf("Merge = %v", err)
	}
	if merged.Version != 4 {
		t.Errorf("merged version %d, want 4", merged.Version)
	}
	want := []struct {
		code   string
		active bool
		name   string
	}{
		{"2.000815", true, next.Procedures[0].Name},
		{"2.000884", true, "Chứng thực chữ ký"},
		{"1.004873.000.00.00.H14", false, old.Procedures[1].Name},
	}
	if len(merged.Procedures) != len(want) {
		t.Fatalf("merged has %q, want 3 procedures", codes(merged.Procedures))
	}
	for i, w := range want {
		p := merged.Procedures[i]
		if p.Code != w.code || p.Active != w.active || p.Name != w.name {
			t.Errorf("merged[%d] = %s active %v %q, want %s active %v %q", i, p.Code, p.Active, p.Name, w.code, w.active, w.name)
		}
	}
	if _, err := merged.Lookup("1.004873"); err != nil {
		t.Errorf("retired procedure not found: %v", err)
	}
	if slices.Contains(codes(merged.Search("")), "1.004873.000.00.00.H14") {
		t.Error("retired procedure still offered")
	}
	after, _ := old.Marshal()
	nextAfter, _ := next.Marshal()
	if !bytes.Equal(before, after) || !bytes.Equal(nextBefore, nextAfter) {
		t.Error("Merge modified its inputs")
	}

	// The hub may deliver the same release again after a retry.
	replay, err := merged.Merge(next)
	if err != nil {
		t.Fatalf("replayed Merge = %v", err)
	}
	m1, _ := merged.Marshal()
	m2, _ := replay.Marshal()
	if !bytes.Equal(m1, m2) {
		t.Errorf("replayed Merge changed the catalog")
	}

	replaced, err := old.Replace(next)
	if err != nil || !slices.Equal(codes(replaced.Procedures), []string{"2.000815", "2.000884"}) {
		t.Errorf("Replace = %v, %v", codes(replaced.Procedures), err)
	}
}

func TestMergeVersions(t *testing.T) {
	installed := sample()
	older := sample()
	older.Version = 2
	same := sample()
	changed := sample()
	changed.Procedures[0].Name = "Tên khác"
	invalid := sample()
	invalid.Version = 9
	invalid.Procedures[0].Code = "bad"

	for _, op := range []struct {
		name string
		fn   func(*Catalog) (*Catalog, error)
	}{{"Merge", installed.Merge}, {"Replace", installed.Replace}} {
		if got, err := op.fn(older); !errors.Is(err, ErrOlderVersion) || got != nil {
			t.Errorf("%s(older) = %v, %v; want ErrOlderVersion", op.name, got, err)
		}
		if got, err := op.fn(changed); !errors.Is(err, ErrVersionConflict) || got != nil {
			t.Errorf("%s(same version, other content) = %v, %v; want ErrVersionConflict", op.name, got, err)
		}
		if got, err := op.fn(invalid); !errors.Is(err, ErrInvalid) || got != nil {
			t.Errorf("%s(invalid) = %v, %v; want ErrInvalid", op.name, got, err)
		}
		if got, err := op.fn(nil); !errors.Is(err, ErrInvalid) || got != nil {
			t.Errorf("%s(nil) = %v, %v; want ErrInvalid", op.name, got, err)
		}
		got, err := op.fn(same)
		if err != nil {
			t.Fatalf("%s(same) = %v; a replayed import must be a no-op", op.name, err)
		}
		a, _ := got.Marshal()
		b, _ := installed.Marshal()
		if !bytes.Equal(a, b) {
			t.Errorf("%s(same) changed the catalog", op.name)
		}
	}
}
