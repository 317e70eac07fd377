package reception

import (
	"context"
	"errors"
	"strings"
	"time"

	"motcua/app/store"
	"motcua/app/vntext"
)

// upsertApplicant finds the applicant by ID (when the clerk picked one) or
// by ID number, updates what the clerk typed, or creates a new one, and
// keeps the lookup index in step.
func (s *Service) upsertApplicant(x *store.Txn, in ApplicantInput, now time.Time) (Applicant, error) {
	var cur Applicant
	found := false
	if in.ID != "" {
		err := x.GetJSON(store.KeyApplicant(in.ID), &cur)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Applicant{}, err
		}
		found = err == nil
	}
	if !found {
		err := x.Scan(store.PrefixApplicantIndex(store.ApplicantByID, in.IDNumber+"\x00"), nil, false, true,
			func(k, _ []byte) (bool, error) {
				err := x.GetJSON(store.KeyApplicant(store.ApplicantIndexID(k)), &cur)
				found = err == nil
				return false, err
			})
		if err != nil {
			return Applicant{}, err
		}
	}
	next := Applicant{
		ID: cur.ID, Kind: in.Kind, Name: in.Name, IDNumber: in.IDNumber, BirthDate: in.BirthDate,
		Address: in.Address, Phone: in.Phone, Email: in.Email, CreatedAt: cur.CreatedAt, UpdatedAt: now,
	}
	if !found {
		next.ID, next.CreatedAt = s.newID(), now
	} else {
		for _, k := range applicantIndexKeys(cur) {
			if err := x.Delete(k); err != nil {
				return Applicant{}, err
			}
		}
	}
	for _, k := range applicantIndexKeys(next) {
		if err := x.Set(k, nil); err != nil {
			return Applicant{}, err
		}
	}
	return next, x.SetJSON(store.KeyApplicant(next.ID), next)
}

func phoneDigits(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func applicantIndexKeys(a Applicant) [][]byte {
	keys := [][]byte{store.KeyApplicantIndex(store.ApplicantByID, a.IDNumber, a.ID)}
	if p := phoneDigits(a.Phone); p != "" {
		keys = append(keys, store.KeyApplicantIndex(store.ApplicantByPhone, p, a.ID))
	}
	seen := map[string]bool{}
	for _, w := range vntext.Tokens(a.Name) {
		if !seen[w] {
			seen[w] = true
			keys = append(keys, store.KeyApplicantIndex(store.ApplicantByName, w, a.ID))
		}
	}
	return keys
}

// SearchApplicants finds applicants by ID-number prefix, phone-number
// prefix, or name words without diacritics ("nguyen van a").
func (s *Service) SearchApplicants(ctx context.Context, q string, limit int) ([]Applicant, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return []Applicant{}, nil
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	var out []Applicant
	err := s.st.View(func(x *store.Txn) error {
		ids := []string{}
		seen := map[string]bool{}
		collect := func(prefix []byte, onlyIn map[string]bool) (map[string]bool, error) {
			got := map[string]bool{}
			err := x.Scan(prefix, nil, false, true, func(k, _ []byte) (bool, error) {
				id := store.ApplicantIndexID(k)
				if onlyIn == nil || onlyIn[id] {
					got[id] = true
				}
				return len(got) < 5000, nil
			})
			return got, err
		}
		var hits map[string]bool
		var err error
		if digits := phoneDigits(q); digits == strings.ReplaceAll(strings.ReplaceAll(q, " ", ""), ".", "") && len(digits) >= 3 {
			a, err := collect(store.PrefixApplicantIndex(store.ApplicantByID, digits), nil)
			if err != nil {
				return err
			}
			b, err := collect(store.PrefixApplicantIndex(store.ApplicantByPhone, digits), nil)
			if err != nil {
				return err
			}
			for id := range b {
				a[id] = true
			}
			hits = a
		} else {
			// Every word must match (the last one as a prefix, as the
			// clerk is still typing it).
			words := vntext.Tokens(q)
			for i, w := range words {
				prefix := w
				if i < len(words)-1 {
					prefix = w + "\x00"
				}
				hits, err = collect(store.PrefixApplicantIndex(store.ApplicantByName, prefix), hits)
				if err != nil {
					return err
				}
				if len(hits) == 0 {
					break
				}
			}
		}
		for id := range hits {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		for _, id := range ids {
			var a Applicant
			if err := x.GetJSON(store.KeyApplicant(id), &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortApplicants(out)
	if len(out) > limit {
		out = out[:limit]
	}
	if out == nil {
		out = []Applicant{}
	}
	return out, nil
}

// GetApplicant returns one applicant and their dossiers, newest first.
func (s *Service) GetApplicant(ctx context.Context, id string) (Applicant, []Dossier, error) {
	var a Applicant
	var ds []Dossier
	err := s.st.View(func(x *store.Txn) error {
		if err := x.GetJSON(store.KeyApplicant(id), &a); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrNotFound
			}
			return err
		}
		return x.Scan(store.PrefixApplicantDossiers(id), nil, true, true, func(k, _ []byte) (bool, error) {
			var d Dossier
			if err := x.GetJSON(store.KeyDossier(store.ApplicantDossierID(k, id)), &d); err != nil {
				return false, err
			}
			ds = append(ds, d)
			return len(ds) < 100, nil
		})
	})
	return a, ds, err
}
