package reception

import (
	"slices"
	"strings"
)

// sortApplicants orders by name as folded (Vietnamese without marks), then
// by most recently updated.
func sortApplicants(as []Applicant) {
	slices.SortFunc(as, func(a, b Applicant) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return b.UpdatedAt.Compare(a.UpdatedAt)
	})
}
