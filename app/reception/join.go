package reception

import (
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"motcua/app/store"
)

// A filtered list whose words are each common (more than maxCandidates
// dossiers) intersects their posting lists. The lists are sorted by dossier
// ID — UUIDv7, so by creation time — and walked from the newest with a
// leapfrog join: each list seeks to the highest ID not above the others'
// lowest, so the join reads about as many keys as the rarest list has,
// often far fewer, and never loads a dossier that lacks a word.

// Cursor kinds of a join page: continue below an ID, or at an ID.
const (
	joinAfter = 0xFE
	joinAt    = 0xFD
)

// joinBudget bounds the seeks of one page, and searchTime its time; past
// either the page ends with a cursor where the join stopped. Words that are
// each common but rarely together (procedure-name words of different
// procedures) would otherwise make a search read most of the index.
var (
	joinBudget = 20000
	searchTime = 25 * time.Millisecond
)

// maxPrefixIDs bounds the dossiers a word being typed may match for it to
// take part in the join; beyond, the word is checked on loaded dossiers.
const maxPrefixIDs = 2000

type postings interface {
	seek(id string) // to the highest ID ≤ id
	valid() bool
	id() string
	next()
	close()
}

// termPostings are the dossiers with one exact word.
type termPostings struct {
	it     *store.KeyIter
	prefix []byte
}

func newTermPostings(x *store.Txn, word string) *termPostings {
	p := store.PrefixDossierTerm(word + "\x00")
	return &termPostings{it: x.ReverseKeys(p), prefix: p}
}

func (t *termPostings) seek(id string) {
	t.it.SeekAtMost(append(t.prefix[:len(t.prefix):len(t.prefix)], id...))
}
func (t *termPostings) valid() bool { return t.it.Valid() }
func (t *termPostings) id() string  { return string(t.it.Suffix()) }
func (t *termPostings) next()       { t.it.Next() }
func (t *termPostings) close()      { t.it.Close() }

// idPostings are IDs held in memory, sorted newest first.
type idPostings struct {
	ids []string
	i   int
}

func (p *idPostings) seek(id string) {
	// ids descend: the first index whose ID is ≤ id.
	p.i, _ = slices.BinarySearchFunc(p.ids, id, func(a, b string) int { return -strings.Compare(a, b) })
}
func (p *idPostings) valid() bool { return p.i < len(p.ids) }
func (p *idPostings) id() string  { return p.ids[p.i] }
func (p *idPostings) next()       { p.i++ }
func (p *idPostings) close()      {}

// prefixIDs collects the dossiers with a word starting with prefix, newest
// first, or reports that there are too many.
func prefixIDs(x *store.Txn, prefix string, deadline time.Time) ([]string, bool, error) {
	seen := map[string]bool{}
	err := x.Scan(store.PrefixDossierTerm(prefix), nil, false, true, func(k, _ []byte) (bool, error) {
		seen[store.DossierTermID(k)] = true
		if len(seen)%256 == 0 && time.Now().After(deadline) {
			seen[""] = true // out of time: as good as too many
			return false, nil
		}
		return len(seen) <= maxPrefixIDs, nil
	})
	if err != nil || len(seen) > maxPrefixIDs || seen[""] {
		return nil, false, err
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	slices.Reverse(ids)
	return ids, true, nil
}

// joinList answers a filtered recent/all list page by the leapfrog join.
// It reports false when it cannot (a lone word being typed that matches
// too much), for the caller to walk the list instead.
func joinList(x *store.Txn, q ListQuery, f *wordFilter, cursor []byte, page *Page, deadline time.Time) (bool, error) {
	var lists []postings
	defer func() {
		for _, l := range lists {
			l.close()
		}
	}()
	for _, w := range f.exact {
		lists = append(lists, newTermPostings(x, w))
	}
	checkPrefix := true
	ids, ok, err := prefixIDs(x, f.prefix, deadline)
	if err != nil {
		return false, err
	}
	if ok {
		lists = append(lists, &idPostings{ids: ids})
		checkPrefix = false
	}
	if len(lists) == 0 {
		return false, nil
	}
	target, skip := "\U0010FFFF", ""
	if len(cursor) > 0 {
		switch cursor[0] {
		case joinAfter:
			target, skip = string(cursor[1:]), string(cursor[1:])
		case joinAt:
			target = string(cursor[1:])
		default:
			return true, ErrBadList
		}
	}
	for _, l := range lists {
		l.seek(target)
		if skip != "" && l.valid() && l.id() == skip {
			l.next()
		}
	}
	last := ""
	for steps := 0; ; steps++ {
		if steps > joinBudget || (steps%32 == 31 && time.Now().After(deadline)) {
			page.Next = base64.RawURLEncoding.EncodeToString(append([]byte{joinAt}, target...))
			return true, nil
		}
		// The highest ID every list may still have is the lowest of
		// their current IDs.
		low, same := "", true
		for i, l := range lists {
			if !l.valid() {
				return true, nil
			}
			id := l.id()
			if i == 0 || id < low {
				if i > 0 {
					same = false
				}
				low = id
			} else if id != low {
				same = false
			}
		}
		target = low
		if !same {
			for _, l := range lists {
				if l.id() > low {
					l.seek(low)
				}
			}
			continue
		}
		var d Dossier
		if err := x.GetJSON(store.KeyDossier(low), &d); err != nil {
			return true, err
		}
		if !checkPrefix || f.passPrefix(&d) {
			if len(page.Items) == q.Limit {
				page.Next = base64.RawURLEncoding.EncodeToString(append([]byte{joinAfter}, last...))
				return true, nil
			}
			page.Items = append(page.Items, d)
			last = low
		}
		for _, l := range lists {
			l.next()
		}
	}
}
