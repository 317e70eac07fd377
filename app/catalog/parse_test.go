package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"motcua/app/dossier"
)

// sample returns a small valid catalog with two procedures.
func sample() *Catalog {
	return &Catalog{
		Version:   3,
		Source:    "Thử nghiệm",
		UpdatedAt: time.Date(2026, 1, 5, 8, 0, 0, 0, time.FixedZone("", 7*3600)),
		Procedures: []Procedure{
			{
				Code: "2.000815", Name: "Chứng thực bản sao từ bản chính", Field: "Chứng thực", Level: LevelCommune,
				ProcessingTime: ProcessingTime{
					Duration: Duration{0, SameDayCutoff},
					Extended: &Extension{Duration{2, WorkingDays}, "Bản chính có nhiều trang"},
				},
				SupplementPolicy: SupplementPauseShift,
				Fees: []Fee{{Name: "Phí chứng thực", Amount: 2000, Per: "trang",
					Tiers: []Tier{{3, 1000}}, MaxPerCopy: 200000}},
				Components: []Component{{Name: "Bản chính", Originals: 1, Required: true, Presented: true}},
				Results:    []string{"Bản sao được chứng thực"},
				Channels:   []dossier.Channel{dossier.ChannelInPerson, dossier.ChannelOnline},
				Active:     true,
			},
			{
				Code: "1.004873.000.00.00.H14", Name: "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân", Field: "Hộ tịch",
				Level: LevelCommune,
				ProcessingTime: ProcessingTime{Duration: Duration{3, WorkingDays}, Provisional: true,
					Note: "Cần tỉnh xác nhận"},
				SupplementPolicy: SupplementRestart,
				SupplementWindow: &Duration{7, WorkingDays},
				Channels:         []dossier.Channel{dossier.ChannelInPerson},
				Active:           true,
			},
		},
	}
}

func encode(t testing.TB, c *Catalog) []byte {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRoundTrip(t *testing.T) {
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*Catalog{"sample": sample(), "default": def} {
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("%s: Marshal = %v", name, err)
		}
		back, err := Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("%s: Parse(Marshal) = %v", name, err)
		}
		again, err := back.Marshal()
		if err != nil || !bytes.Equal(out, again) {
			t.Errorf("%s: round trip changed the catalog:\n%s\n---\n%s", name, out, again)
		}
		if !back.UpdatedAt.Equal(c.UpdatedAt) || len(back.Procedures) != len(c.Procedures) {
			t.Errorf("%s: round trip lost data", name)
		}
	}
}

func TestMarshalIsReadable(t *testing.T) {
	out, err := sample().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n  \"version\": 3,", "Chứng thực bản sao", `"unit": "same_day_cutoff"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("Marshal output lacks %q:\n%s", want, out)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	mutate := func(f func(c *Catalog)) []byte {
		c := sample()
		f(c)
		return encode(t, c)
	}
	p0 := func(f func(p *Procedure)) []byte { return mutate(func(c *Catalog) { f(&c.Procedures[0]) }) }
	valid := string(encode(t, sample()))

	tests := []struct {
		name  string
		input []byte
		want  error
		index int // procedure named in the error, or -1
	}{
		{"not json", []byte("{"), ErrMalformed, -1},
		{"empty", nil, ErrMalformed, -1},
		{"array", []byte("[]"), ErrMalformed, -1},
		{"unknown top-level field", []byte(strings.Replace(valid, `"version"`, `"extra":1,"version"`, 1)), ErrMalformed, -1},
		{"unknown procedure field", []byte(strings.Replace(valid, `"code"`, `"codes":"x","code"`, 1)), ErrMalformed, -1},
		{"trailing data", []byte(valid + `{}`), ErrMalformed, -1},
		{"wrong type", []byte(strings.Replace(valid, `"version":3`, `"version":"3"`, 1)), ErrMalformed, -1},
		{"version 0", mutate(func(c *Catalog) { c.Version = 0 }), ErrInvalid, -1},
		{"no source", mutate(func(c *Catalog) { c.Source = "" }), ErrInvalid, -1},
		{"no date", mutate(func(c *Catalog) { c.UpdatedAt = time.Time{} }), ErrInvalid, -1},
		{"no procedures", mutate(func(c *Catalog) { c.Procedures = nil }), ErrInvalid, -1},
		{"code too short", p0(func(p *Procedure) { p.Code = "2.00815" }), ErrInvalid, 0},
		{"code without dot", p0(func(p *Procedure) { p.Code = "2000815" }), ErrInvalid, 0},
		{"code trailing dot", p0(func(p *Procedure) { p.Code = "2.000815." }), ErrInvalid, 0},
		{"code lower-case suffix", p0(func(p *Procedure) { p.Code = "2.000815.h61" }), ErrInvalid, 0},
		{"code with space", p0(func(p *Procedure) { p.Code = "2.000815 " }), ErrInvalid, 0},
		{"code empty", p0(func(p *Procedure) { p.Code = "" }), ErrInvalid, 0},
		{"name empty", p0(func(p *Procedure) { p.Name = "" }), ErrInvalid, 0},
		{"name NFD", p0(func(p *Procedure) { p.Name = "Chu\u031bng thu\u031bc" }), ErrInvalid, 0},
		{"name padded", p0(func(p *Procedure) { p.Name += " " }), ErrInvalid, 0},
		{"name with newline", p0(func(p *Procedure) { p.Name = "Chứng\nthực" }), ErrInvalid, 0},
		{"name too long", p0(func(p *Procedure) { p.Name = strings.Repeat("a", maxTextLen+1) }), ErrInvalid, 0},
		{"field empty", p0(func(p *Procedure) { p.Field = "" }), ErrInvalid, 0},
		{"note NFD", p0(func(p *Procedure) { p.Note = "Ghi chu\u0301" }), ErrInvalid, 0},
		{"level unknown", p0(func(p *Procedure) { p.Level = "village" }), ErrInvalid, 0},
		{"unit unknown", p0(func(p *Procedure) { p.ProcessingTime.Unit = "weeks" }), ErrInvalid, 0},
		{"same day with amount", p0(func(p *Procedure) { p.ProcessingTime.Amount = 1 }), ErrInvalid, 0},
		{"zero working days", p0(func(p *Procedure) { p.ProcessingTime.Duration = Duration{0, WorkingDays} }), ErrInvalid, 0},
		{"negative days", p0(func(p *Procedure) { p.ProcessingTime.Duration = Duration{-2, CalendarDays} }), ErrInvalid, 0},
		{"absurd days", p0(func(p *Procedure) { p.ProcessingTime.Duration = Duration{maxDuration + 1, CalendarDays} }), ErrInvalid, 0},
		{"same-day extension", p0(func(p *Procedure) { p.ProcessingTime.Extended.Duration = Duration{0, SameDayCutoff} }), ErrInvalid, 0},
		{"extension without condition", p0(func(p *Procedure) { p.ProcessingTime.Extended.Condition = "" }), ErrInvalid, 0},
		{"provisional time without note", p0(func(p *Procedure) { p.ProcessingTime.Provisional = true }), ErrInvalid, 0},
		{"policy unknown", p0(func(p *Procedure) { p.SupplementPolicy = "ignore" }), ErrInvalid, 0},
		{"same-day supplement window", p0(func(p *Procedure) { p.SupplementWindow = &Duration{0, SameDayCutoff} }), ErrInvalid, 0},
		{"no channels", p0(func(p *Procedure) { p.Channels = nil }), ErrInvalid, 0},
		{"unknown channel", p0(func(p *Procedure) { p.Channels = []dossier.Channel{"fax"} }), ErrInvalid, 0},
		{"channel twice", p0(func(p *Procedure) { p.Channels = append(p.Channels, dossier.ChannelOnline) }), ErrInvalid, 0},
		{"negative fee", p0(func(p *Procedure) { p.Fees[0].Amount = -2000 }), ErrInvalid, 0},
		{"fee tier from 1", p0(func(p *Procedure) { p.Fees[0].Tiers[0].From = 1 }), ErrInvalid, 0},
		{"fee without unit", p0(func(p *Procedure) { p.Fees[0].Per = "" }), ErrInvalid, 0},
		{"component without name", p0(func(p *Procedure) { p.Components[0].Name = "" }), ErrInvalid, 0},
		{"component negative count", p0(func(p *Procedure) { p.Components[0].Copies = -1 }), ErrInvalid, 0},
		{"empty result", p0(func(p *Procedure) { p.Results = append(p.Results, "") }), ErrInvalid, 0},
		{"second procedure bad", mutate(func(c *Catalog) { c.Procedures[1].Field = "" }), ErrInvalid, 1},
		{"duplicate code", mutate(func(c *Catalog) { c.Procedures[1].Code = c.Procedures[0].Code }), ErrDuplicateCode, 1},
	}
	for _, tt := range tests {
		c, err := Parse(bytes.NewReader(tt.input))
		if !errors.Is(err, tt.want) || c != nil {
			t.Errorf("%s: Parse = %v, %v; want error %v", tt.name, c, err, tt.want)
			continue
		}
		var pe *ProcedureError
		switch {
		case tt.index < 0 && errors.As(err, &pe):
			t.Errorf("%s: error %v names a procedure", tt.name, err)
		case tt.index >= 0 && !errors.As(err, &pe):
			t.Errorf("%s: error %v does not name the procedure", tt.name, err)
		case tt.index >= 0 && pe.Index != tt.index:
			t.Errorf("%s: error names procedure %d, want %d", tt.name, pe.Index, tt.index)
		case tt.index >= 0 && !strings.Contains(err.Error(), pe.Code):
			t.Errorf("%s: error %q does not show the code %q", tt.name, err, pe.Code)
		}
	}
}

func TestParseAcceptsLocalCodes(t *testing.T) {
	for _, code := range []string{"2.000815", "2.000815.000.00.00.H61", "1.004222.000.00.00.H56", "3.000722.X"} {
		c := sample()
		c.Procedures[0].Code = code
		if _, err := Parse(bytes.NewReader(encode(t, c))); err != nil {
			t.Errorf("code %q: Parse = %v", code, err)
		}
	}
}

func TestParseTooLarge(t *testing.T) {
	big := io.MultiReader(strings.NewReader(`{"source":"`), strings.NewReader(strings.Repeat("a", MaxSize)))
	if c, err := Parse(big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse(oversized) = %v, %v; want ErrTooLarge", c, err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestParseReadError(t *testing.T) {
	if _, err := Parse(failingReader{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Parse(failing reader) = %v, want the read error", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(encode(f, sample()))
	f.Add(communeJSON)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"source":"x","updated_at":"2026-01-01T00:00:00Z","procedures":[{}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data))
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned a catalog with error %v", err)
			}
			return
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed catalog: %v", err)
		}
		back, err := Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("Parse(Marshal(Parse(x))) = %v\n%s", err, out)
		}
		again, err := back.Marshal()
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("round trip not stable:\n%s\n---\n%s", out, again)
		}
		active := 0
		for _, p := range c.Procedures {
			got, err := c.Lookup(p.Code)
			if err != nil || got.Code != p.Code {
				t.Fatalf("Lookup(%q) = %q, %v", p.Code, got.Code, err)
			}
			if p.Active {
				active++
			}
		}
		if n := len(c.Search("")); n != active {
			t.Fatalf("Search(\"\") = %d procedures, %d are active", n, active)
		}
	})
}
