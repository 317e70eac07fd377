package digitize

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"motcua/app/audit"
	"motcua/app/store"
	"motcua/app/vntext"
)

// The OCR text index is an inverted index in the store (prefixScanTerm):
// one key per distinct folded word of a page. Badger rather than a search
// library because the index holds personal data and must be encrypted at
// rest, backed up and restored with the store, and written in the same
// transaction as the page — a separate index (bleve's own files) would be
// none of these. See docs/ARCHITECTURE.md.

// indexPage replaces the words of page n of job in the index.
func indexPage(x *store.Txn, job string, n int, oldText *string, text string) error {
	old := map[string]bool{}
	if oldText != nil {
		for _, w := range vntext.Tokens(*oldText) {
			old[w] = true
		}
	}
	seen := map[string]bool{}
	for _, w := range vntext.Tokens(text) {
		if seen[w] || len(w) > 64 {
			continue
		}
		seen[w] = true
		if old[w] {
			continue
		}
		if err := x.Set(store.KeyScanTerm(w, job, n), nil); err != nil {
			return err
		}
	}
	for w := range old {
		if !seen[w] {
			if err := x.Delete(store.KeyScanTerm(w, job, n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// postingCap bounds the count that chooses the rarest word to walk.
const postingCap = 512

type posting struct {
	job  string
	page int
}

// searchBudget and searchTime bound the postings one search examines and
// its time: words that are each common but rarely together would otherwise
// walk a whole list.
var (
	searchBudget = 20000
	searchTime   = 25 * time.Millisecond
)

// Search finds pages whose OCR text has every word of q (diacritics and
// case ignored; the last word may be the start of a word), newest scans
// first, with a snippet around the first match. partial says the search
// stopped at its budget: there may be more pages than it found.
func (s *Service) Search(ctx context.Context, q string, limit int) (hits []Hit, partial bool, err error) {
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	terms := uniq(vntext.Tokens(q))
	hits = []Hit{}
	if len(terms) == 0 {
		return hits, false, nil
	}
	err = s.st.View(func(x *store.Txn) error {
		exact := make([]bool, len(terms))
		for i := range exact {
			exact[i] = true
		}
		counts := make([]int, len(terms))
		for i, t := range terms {
			n, err := countPostings(x, t, true)
			if err != nil {
				return err
			}
			if n == 0 && i == len(terms)-1 {
				// The word being typed: match it as a prefix.
				exact[i] = false
				if n, err = countPostings(x, t, false); err != nil {
					return err
				}
			}
			if n == 0 {
				return nil
			}
			counts[i] = n
		}
		drive := 0
		for i := range terms {
			if counts[i] < counts[drive] {
				drive = i
			}
		}
		// The other exact words are checked with one descending iterator
		// each rather than a point lookup per candidate: candidates come
		// in descending key order when the driving word is exact, so each
		// iterator mostly steps to the next key, where a lookup would
		// search every table of the store again (and on an encrypted store
		// fetch each table's index from the cache to do so).
		probes := make([]*store.KeyIter, len(terms))
		defer func() {
			for _, it := range probes {
				if it != nil {
					it.Close()
				}
			}
		}()
		has := func(i int, job string, page int) bool {
			if probes[i] == nil {
				probes[i] = x.ReverseKeys(store.PrefixScanTerm(terms[i], true))
			}
			key := store.KeyScanTerm(terms[i], job, page)
			probes[i].SeekAtMost(key)
			return probes[i].At(key)
		}
		var found []posting
		seen := map[posting]bool{}
		examined, started := 0, time.Now()
		err := x.Scan(store.PrefixScanTerm(terms[drive], exact[drive]), nil, true, true, func(k, _ []byte) (bool, error) {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			if examined++; examined > searchBudget || (examined%64 == 0 && time.Since(started) > searchTime) {
				partial = true
				return false, nil
			}
			_, job, page, ok := store.ScanTermPosting(k)
			p := posting{job, page}
			if !ok || seen[p] {
				return true, nil
			}
			seen[p] = true
			for i, t := range terms {
				if i == drive {
					continue
				}
				if exact[i] {
					if !has(i, job, page) {
						return true, nil
					}
				} else if ok, err := pageHasPrefix(x, job, page, t); err != nil || !ok {
					return err == nil, err
				}
			}
			found = append(found, p)
			// More than asked, so that phrase matches further down can
			// be ranked up.
			return len(found) < 3*limit, nil
		})
		if err != nil {
			return err
		}
		// Newest scan first, its pages in order.
		slices.SortStableFunc(found, func(a, b posting) int {
			if a.job != b.job {
				return strings.Compare(b.job, a.job)
			}
			return a.page - b.page
		})
		jobs := map[string]*Job{}
		type cand struct {
			hit    Hit
			words  pageWords
			phrase bool
		}
		var cands []cand
		for _, p := range found {
			j := jobs[p.job]
			if j == nil {
				j = new(Job)
				if err := s.getJob(x, p.job, j); err != nil {
					if errors.Is(err, ErrNotFound) {
						continue
					}
					return err
				}
				jobs[p.job] = j
			}
			v, err := x.Get(store.KeyScanPage(p.job, p.page))
			if err != nil {
				return err
			}
			pg, err := decodePage(v)
			if err != nil {
				return err
			}
			pw := splitWords(pg.Text)
			cands = append(cands, cand{hit: Hit{JobID: j.ID, Name: j.Name, Page: p.page, PDFPage: pg.PDFPage,
				DossierID: j.DossierID, DossierCode: j.DossierCode, BatchID: j.BatchID}, words: pw, phrase: pw.hasPhrase(terms, exact)})
		}
		// Pages with the words in the order typed first.
		slices.SortStableFunc(cands, func(a, b cand) int {
			switch {
			case a.phrase == b.phrase:
				return 0
			case a.phrase:
				return -1
			}
			return 1
		})
		for _, c := range cands[:min(len(cands), limit)] {
			c.hit.Snippet = c.words.snippet(terms, exact)
			hits = append(hits, c.hit)
		}
		return nil
	})
	return hits, partial, err
}

func countPostings(x *store.Txn, term string, exact bool) (int, error) {
	n := 0
	err := x.Scan(store.PrefixScanTerm(term, exact), nil, false, true, func(_, _ []byte) (bool, error) {
		n++
		return n < postingCap, nil
	})
	return n, err
}

func pageHasPrefix(x *store.Txn, job string, page int, prefix string) (bool, error) {
	v, err := x.Get(store.KeyScanPage(job, page))
	if err != nil {
		return false, err
	}
	p, err := decodePage(v)
	if err != nil {
		return false, err
	}
	for _, w := range vntext.Tokens(p.Text) {
		if strings.HasPrefix(w, prefix) {
			return true, nil
		}
	}
	return false, nil
}

func uniq(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// pageWords are the words of a page as written and folded, aligned.
type pageWords struct {
	words  []string   // as written
	folded [][]string // each word's folded tokens (punctuation splits a word)
}

// splitWords folds the text once: folding keeps white space where it is,
// so the written and folded words line up.
func splitWords(text string) pageWords {
	pw := pageWords{words: strings.Fields(text)}
	folded := strings.Fields(vntext.Fold(text))
	pw.folded = make([][]string, len(pw.words))
	for i, w := range pw.words {
		if len(folded) == len(pw.words) {
			pw.folded[i] = strings.FieldsFunc(folded[i], notWordRune)
		} else {
			pw.folded[i] = vntext.Tokens(w)
		}
	}
	return pw
}

func notWordRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
}

// hasPhrase reports whether the page has the terms in a row.
func (pw pageWords) hasPhrase(terms []string, exact []bool) bool {
	if len(terms) < 2 {
		return true
	}
	var toks []string
	for _, f := range pw.folded {
		toks = append(toks, f...)
	}
	for i := 0; i+len(terms) <= len(toks); i++ {
		ok := true
		for k, t := range terms {
			if w := toks[i+k]; w != t && (exact[k] || !strings.HasPrefix(w, t)) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// snippet cuts about twenty words around the first matching word, marking
// every matching word.
func (pw pageWords) snippet(terms []string, exact []bool) []Snippet {
	match := func(i int) bool {
		for _, tok := range pw.folded[i] {
			for k, t := range terms {
				if tok == t || (!exact[k] && strings.HasPrefix(tok, t)) {
					return true
				}
			}
		}
		return false
	}
	first := -1
	marks := make([]bool, len(pw.words))
	for i := range pw.words {
		if match(i) {
			marks[i] = true
			if first < 0 {
				first = i
			}
		}
	}
	first = max(first, 0)
	from, to := max(0, first-8), min(len(pw.words), first+14)
	var out []Snippet
	add := func(text string, hit bool) {
		if n := len(out); n > 0 && out[n-1].Hit == hit {
			out[n-1].Text += " " + text
			return
		}
		if len(out) > 0 {
			// Keep the space between runs in the run before.
			out[len(out)-1].Text += " "
		}
		out = append(out, Snippet{Text: text, Hit: hit})
	}
	if from > 0 {
		add("…", false)
	}
	for i := from; i < to; i++ {
		add(pw.words[i], marks[i])
	}
	if to < len(pw.words) {
		add("…", false)
	}
	if out == nil {
		out = []Snippet{}
	}
	return out
}

// CorrectText replaces the OCR text of a page after review (the index
// follows) and marks the page reviewed. The same text marks it reviewed.
func (s *Service) CorrectText(ctx context.Context, jobID string, n int, text string, by Actor) (Page, error) {
	text = vntext.NFC(strings.TrimSpace(text))
	if len(text) > 200_000 {
		return Page{}, ErrInvalid
	}
	var p Page
	err := s.st.Update(func(x *store.Txn) error {
		v, err := x.Get(store.KeyScanPage(jobID, n))
		if errors.Is(err, store.ErrNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if p, err = decodePage(v); err != nil {
			return err
		}
		old := p.Text
		if p.Flagged && !p.Reviewed {
			var job Job
			if err := s.getJob(x, jobID, &job); err != nil {
				return err
			}
			if job.ReviewCounted && job.ToReview > 0 {
				job.ToReview--
				if err := s.saveJob(x, &job); err != nil {
					return err
				}
			}
		}
		p.Reviewed = true
		if text != old {
			p.Corrected = true
			p.Text = text
			if err := indexPage(x, jobID, n, &old, text); err != nil {
				return err
			}
		}
		if err := x.SetJSON(store.KeyScanPage(jobID, n), &p); err != nil {
			return err
		}
		_, err = audit.Append(x, audit.Entry{At: s.now(), Actor: by.ID, Role: by.Role, Action: "scan_review",
			Object: "scan/" + jobID + "/page", Before: audit.Digest([]byte(old)), After: audit.Digest([]byte(text)),
			Summary: pageSummary(n, p.Corrected)})
		return err
	})
	return p, err
}

func pageSummary(n int, corrected bool) string {
	s := "trang " + strconv.Itoa(n)
	if corrected {
		s += " (đã sửa)"
	}
	return s
}
