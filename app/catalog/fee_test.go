package catalog

import (
	"errors"
	"testing"
)

func TestFeeCompute(t *testing.T) {
	// Chứng thực bản sao: 2.000đ/trang, từ trang thứ 3 1.000đ/trang, tối đa 200.000đ/bản.
	copyScale := Fee{Name: "Phí chứng thực bản sao", Amount: 2000, Per: "trang",
		Tiers: []Tier{{From: 3, Amount: 1000}}, MaxPerCopy: 200000}
	flat := Fee{Name: "Phí chứng thực chữ ký", Amount: 10000, Per: "trường hợp"}
	free := Fee{Name: "Lệ phí", Amount: 0, Per: "trường hợp"}
	steps := Fee{Name: "Bậc", Amount: 5, Per: "trang", Tiers: []Tier{{From: 2, Amount: 3}, {From: 5, Amount: 1}}}

	tests := []struct {
		name          string
		fee           Fee
		units, copies int
		want          int64
	}{
		{"no pages", copyScale, 0, 1, 0},
		{"no copies", copyScale, 5, 0, 0},
		{"1 page", copyScale, 1, 1, 2000},
		{"2 pages", copyScale, 2, 1, 4000},
		{"3 pages: third at the lower rate", copyScale, 3, 1, 5000},
		{"10 pages", copyScale, 10, 1, 12000},
		{"197 pages, just under the cap", copyScale, 197, 1, 199000},
		{"198 pages reach the cap", copyScale, 198, 1, 200000},
		{"199 pages stay capped", copyScale, 199, 1, 200000},
		{"cap is per copy", copyScale, 1000, 3, 600000},
		{"3 pages, 2 copies", copyScale, 3, 2, 10000},
		{"flat, 1 case", flat, 1, 1, 10000},
		{"flat, 3 cases", flat, 3, 1, 30000},
		{"flat, counted as copies", flat, 1, 3, 30000},
		{"free", free, 7, 2, 0},
		{"two tiers, 1 unit", steps, 1, 1, 5},
		{"two tiers, 4 units", steps, 4, 1, 5 + 3*3},
		{"two tiers, 6 units", steps, 6, 1, 5 + 3*3 + 2*1},
		{"largest quantity", flat, MaxQuantity, MaxQuantity, 10000 * MaxQuantity * MaxQuantity},
	}
	for _, tt := range tests {
		got, err := tt.fee.Compute(tt.units, tt.copies)
		if err != nil || got != tt.want {
			t.Errorf("%s: Compute(%d, %d) = %d, %v; want %d", tt.name, tt.units, tt.copies, got, err, tt.want)
		}
	}
}

// TestFeeComputeMatchesPageByPage checks the tier arithmetic against the
// obvious per-page sum.
func TestFeeComputeMatchesPageByPage(t *testing.T) {
	f := Fee{Name: "x", Amount: 2000, Per: "trang", Tiers: []Tier{{3, 1000}, {10, 500}}, MaxPerCopy: 30000}
	for pages := 0; pages <= 60; pages++ {
		var want int64
		for p := 1; p <= pages; p++ {
			switch {
			case p >= 10:
				want += 500
			case p >= 3:
				want += 1000
			default:
				want += 2000
			}
		}
		want = min(want, 30000)
		if got, err := f.Compute(pages, 1); err != nil || got != want {
			t.Errorf("Compute(%d, 1) = %d, %v; want %d", pages, got, err, want)
		}
	}
}

func TestFeeComputeErrors(t *testing.T) {
	ok := Fee{Name: "Phí", Amount: 1000, Per: "trang"}
	with := func(f func(*Fee)) Fee { g := ok; f(&g); return g }
	tests := []struct {
		name          string
		fee           Fee
		units, copies int
		want          error
	}{
		{"negative units", ok, -1, 1, ErrQuantity},
		{"negative copies", ok, 1, -1, ErrQuantity},
		{"too many units", ok, MaxQuantity + 1, 1, ErrQuantity},
		{"too many copies", ok, 1, MaxQuantity + 1, ErrQuantity},
		{"negative amount", with(func(f *Fee) { f.Amount = -1 }), 1, 1, ErrInvalid},
		{"huge amount", with(func(f *Fee) { f.Amount = MaxFeeAmount + 1 }), 1, 1, ErrInvalid},
		{"no name", with(func(f *Fee) { f.Name = "" }), 1, 1, ErrInvalid},
		{"no unit", with(func(f *Fee) { f.Per = "" }), 1, 1, ErrInvalid},
		{"tier from 1", with(func(f *Fee) { f.Tiers = []Tier{{1, 500}} }), 1, 1, ErrInvalid},
		{"tiers not ascending", with(func(f *Fee) { f.Tiers = []Tier{{5, 500}, {5, 100}} }), 1, 1, ErrInvalid},
		{"negative tier", with(func(f *Fee) { f.Tiers = []Tier{{3, -1}} }), 1, 1, ErrInvalid},
		{"negative cap", with(func(f *Fee) { f.MaxPerCopy = -1 }), 1, 1, ErrInvalid},
		{"unknown channel", with(func(f *Fee) { f.Channel = "fax" }), 1, 1, ErrInvalid},
		{"provisional without note", with(func(f *Fee) { f.Provisional = true }), 1, 1, ErrInvalid},
	}
	for _, tt := range tests {
		if got, err := tt.fee.Compute(tt.units, tt.copies); !errors.Is(err, tt.want) {
			t.Errorf("%s: Compute = %d, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}
