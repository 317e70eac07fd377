package catalog

import (
	"fmt"
	"math"

	"motcua/app/dossier"
)

// MaxFeeAmount bounds any single rate or cap, in VND; larger values are
// data errors, and the bound keeps Compute far from overflow.
const MaxFeeAmount = 1_000_000_000

// MaxQuantity bounds the units and copies Compute accepts.
const MaxQuantity = 1_000_000

// Fee is one fee or charge (phí, lệ phí) of a procedure.
//
// The rate is Amount VND per Per (e.g. "trang", "bản", "giao dịch",
// "trường hợp"). Tiers lower or raise the rate from a given unit on, and
// MaxPerCopy caps what one copy costs. The chứng thực bản sao scale
// "2.000đ/trang; từ trang thứ 3 trở lên 1.000đ/trang; tối đa 200.000đ/bản"
// is Amount 2000, Per "trang", Tiers [{From 3, Amount 1000}], MaxPerCopy
// 200000.
type Fee struct {
	Name       string `json:"name"`
	Amount     int64  `json:"amount"`
	Per        string `json:"per"`
	Tiers      []Tier `json:"tiers,omitempty"`
	MaxPerCopy int64  `json:"max_per_copy,omitempty"`
	// Channel, when set, limits the fee to dossiers submitted that way
	// (several fees are lower online).
	Channel     dossier.Channel `json:"channel,omitempty"`
	Provisional bool            `json:"provisional,omitempty"`
	Note        string          `json:"note,omitempty"`
}

// Tier is the rate per unit from unit number From (1-based, ≥ 2) on.
type Tier struct {
	From   int   `json:"from"`
	Amount int64 `json:"amount"`
}

// Compute returns the fee in VND for copies copies of something measured in
// units of Per each. For the chứng thực bản sao scale, units is the page
// count of the original and copies the number of certified copies. For a
// flat fee per giao dịch or trường hợp, pass the count as units and 1 copy
// (or the reverse: the result is the same).
func (f Fee) Compute(units, copies int) (int64, error) {
	if err := f.validate(); err != nil {
		return 0, err
	}
	if units < 0 || copies < 0 || units > MaxQuantity || copies > MaxQuantity {
		return 0, fmt.Errorf("%w: %d units × %d copies, each must be 0–%d", ErrQuantity, units, copies, MaxQuantity)
	}
	perCopy := int64(0)
	rate, from := f.Amount, 1
	// Walk the tier boundaries instead of the units: fast for big counts.
	for _, t := range f.Tiers {
		if t.From > units {
			break
		}
		perCopy += rate * int64(t.From-from)
		rate, from = t.Amount, t.From
	}
	perCopy += rate * int64(units-from+1)
	if f.MaxPerCopy > 0 && perCopy > f.MaxPerCopy {
		perCopy = f.MaxPerCopy
	}
	if copies > 0 && perCopy > math.MaxInt64/int64(copies) {
		return 0, fmt.Errorf("%w: total overflows", ErrQuantity)
	}
	return perCopy * int64(copies), nil
}

func (f Fee) validate() error {
	if err := checkText("name", f.Name, true); err != nil {
		return err
	}
	if err := checkText("per", f.Per, true); err != nil {
		return err
	}
	if f.Amount < 0 || f.Amount > MaxFeeAmount {
		return fmt.Errorf("%w: amount %d not in 0–%d", ErrInvalid, f.Amount, MaxFeeAmount)
	}
	if f.MaxPerCopy < 0 || f.MaxPerCopy > MaxFeeAmount {
		return fmt.Errorf("%w: max_per_copy %d not in 0–%d", ErrInvalid, f.MaxPerCopy, MaxFeeAmount)
	}
	prev := 1
	for i, t := range f.Tiers {
		if t.From <= prev || t.From > MaxQuantity {
			return fmt.Errorf("%w: tiers[%d] starts at unit %d, want ascending from 2", ErrInvalid, i, t.From)
		}
		if t.Amount < 0 || t.Amount > MaxFeeAmount {
			return fmt.Errorf("%w: tiers[%d] amount %d not in 0–%d", ErrInvalid, i, t.Amount, MaxFeeAmount)
		}
		prev = t.From
	}
	if f.Channel != "" && !f.Channel.Valid() {
		return fmt.Errorf("%w: unknown channel %q", ErrInvalid, f.Channel)
	}
	return checkProvisional(f.Provisional, f.Note)
}
