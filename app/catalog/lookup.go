package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"motcua/app/vntext"
)

// nationalCodeLen is the length of "d.dddddd".
const nationalCodeLen = 8

// NationalCode returns the national part "d.dddddd" of a procedure code
// with a provincial suffix, or code itself when it has none.
func NationalCode(code string) string {
	if len(code) > nationalCodeLen && code[nationalCodeLen] == '.' && codePattern.MatchString(code) {
		return code[:nationalCodeLen]
	}
	return code
}

type index struct {
	byCode     map[string]int
	byNational map[string][]int
	name       []string // folded names
	haystack   []string // folded code, name and field
}

func buildIndex(ps []Procedure) *index {
	x := &index{
		byCode:     make(map[string]int, len(ps)),
		byNational: make(map[string][]int, len(ps)),
		name:       make([]string, len(ps)),
		haystack:   make([]string, len(ps)),
	}
	for i, p := range ps {
		x.byCode[p.Code] = i
		n := NationalCode(p.Code)
		x.byNational[n] = append(x.byNational[n], i)
		x.name[i] = vntext.Fold(p.Name)
		x.haystack[i] = vntext.Fold(p.Code + " " + p.Name + " " + p.Field)
	}
	return x
}

// idx returns the index, building it for a Catalog assembled by hand. A
// Catalog from Parse, Default, Merge or Replace is already indexed, so
// concurrent reads of it never write here.
func (c *Catalog) idx() *index {
	if c.index == nil || len(c.index.name) != len(c.Procedures) {
		c.index = buildIndex(c.Procedures)
	}
	return c.index
}

// Lookup returns the procedure with the given code. A national code finds
// a procedure stored under a provincial code and the other way round, as
// long as only one procedure matches. Retired procedures are found too, so
// old dossiers keep their procedure. The result is a copy.
func (c *Catalog) Lookup(code string) (Procedure, error) {
	x := c.idx()
	if i, ok := x.byCode[code]; ok {
		return c.Procedures[i].clone(), nil
	}
	n := NationalCode(code)
	if i, ok := x.byCode[n]; ok {
		return c.Procedures[i].clone(), nil
	}
	switch m := x.byNational[n]; len(m) {
	case 0:
		return Procedure{}, fmt.Errorf("%w: %q", ErrNotFound, code)
	case 1:
		return c.Procedures[m[0]].clone(), nil
	default:
		return Procedure{}, fmt.Errorf("%w: %q matches %d provincial codes", ErrNotFound, code, len(m))
	}
}

// Search returns the active procedures whose code, name or field contain
// every word of query, ignoring case and diacritics ("khai sinh" finds
// "Thủ tục đăng ký khai sinh"). Best matches come first: the code (national
// or provincial, either way round), then a code prefix, the query as a phrase in the name, all words in the
// name, and last matches that need the field. Ties keep catalog order. An
// empty query returns every active procedure. Results are copies.
func (c *Catalog) Search(query string) []Procedure {
	x := c.idx()
	q := strings.TrimSpace(query)
	phrase := vntext.Fold(q)
	words := vntext.Tokens(q)
	type hit struct{ rank, i int }
	var hits []hit
	for i, p := range c.Procedures {
		if !p.Active {
			continue
		}
		rank := -1
		switch {
		case q == "":
			rank = 0
		case p.Code == q || NationalCode(p.Code) == NationalCode(q):
			rank = 0
		case strings.HasPrefix(p.Code, q):
			rank = 1
		case strings.Contains(x.name[i], phrase):
			rank = 2
		case containsAll(x.name[i], words):
			rank = 3
		case containsAll(x.haystack[i], words):
			rank = 4
		}
		if rank >= 0 {
			hits = append(hits, hit{rank, i})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.rank - b.rank })
	out := make([]Procedure, len(hits))
	for k, h := range hits {
		out[k] = c.Procedures[h.i].clone()
	}
	return out
}

func containsAll(s string, words []string) bool {
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// Replace returns next as the installed catalog, after checking that it is
// valid and not older than c (see Merge for the version rules).
func (c *Catalog) Replace(next *Catalog) (*Catalog, error) {
	same, err := c.checkUpgrade(next)
	switch {
	case err != nil:
		return nil, err
	case same:
		return c.cloneValid(), nil
	}
	return next.cloneValid(), nil
}

// Merge returns the catalog that results from importing next over c: every
// procedure of next as published, plus the procedures of c that next no
// longer lists, kept but made inactive so dossiers received under them still
// resolve. next must be valid and its Version at least c's: an older version
// fails with ErrOlderVersion, the same version with other content with
// ErrVersionConflict, and re-importing the same version is a no-op, so a
// replayed download is harmless. Neither c nor next is modified.
func (c *Catalog) Merge(next *Catalog) (*Catalog, error) {
	same, err := c.checkUpgrade(next)
	switch {
	case err != nil:
		return nil, err
	case same:
		return c.cloneValid(), nil
	}
	out := next.clone()
	listed := make(map[string]bool, len(next.Procedures))
	for _, p := range next.Procedures {
		listed[p.Code] = true
	}
	for _, p := range c.Procedures {
		if !listed[p.Code] {
			q := p.clone()
			q.Active = false
			out.Procedures = append(out.Procedures, q)
		}
	}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("merged catalog: %w", err)
	}
	return out, nil
}

// checkUpgrade reports whether next is the release c already holds, or why
// it may not be installed over c.
func (c *Catalog) checkUpgrade(next *Catalog) (same bool, err error) {
	if next == nil {
		return false, fmt.Errorf("%w: no catalog", ErrInvalid)
	}
	candidate := next.clone()
	if err := candidate.Validate(); err != nil {
		return false, err
	}
	switch {
	case next.Version < c.Version:
		return false, fmt.Errorf("%w: installed %d, offered %d", ErrOlderVersion, c.Version, next.Version)
	case next.Version > c.Version:
		return false, nil
	case !c.holds(next):
		return false, fmt.Errorf("%w: version %d", ErrVersionConflict, c.Version)
	}
	return true, nil
}

// holds reports whether c is next as installed: same header, every
// procedure of next unchanged, and nothing else but procedures a merge
// retired. So replaying a download after Merge is recognised as a no-op.
func (c *Catalog) holds(next *Catalog) bool {
	if c.Version != next.Version || c.Source != next.Source || !c.UpdatedAt.Equal(next.UpdatedAt) {
		return false
	}
	have := make(map[string]Procedure, len(c.Procedures))
	for _, p := range c.Procedures {
		have[p.Code] = p
	}
	for _, p := range next.Procedures {
		q, ok := have[p.Code]
		if !ok || !sameProcedure(p, q) {
			return false
		}
		delete(have, p.Code)
	}
	for _, q := range have {
		if q.Active {
			return false
		}
	}
	return true
}

// sameProcedure compares by JSON so that nil and empty lists, which the
// file format does not distinguish, compare equal.
func sameProcedure(a, b Procedure) bool {
	x, errX := json.Marshal(a)
	y, errY := json.Marshal(b)
	return errX == nil && errY == nil && bytes.Equal(x, y)
}

func (c *Catalog) cloneValid() *Catalog {
	d := c.clone()
	d.index = buildIndex(d.Procedures)
	return d
}
