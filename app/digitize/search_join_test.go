package digitize

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"motcua/app/store"
	"motcua/app/vntext"
	"motcua/scanning"
)

// Search finds exactly the pages holding every word, whichever word drives
// and however the postings interleave: pages of random words from a small
// vocabulary, checked against a scan of every page for many queries.
func TestSearchMatchesEveryPageWithAllWords(t *testing.T) {
	f := newFixture(t)
	vocab := []string{"giấy", "khai", "sinh", "hộ", "tịch", "kết", "hôn", "xã", "An", "Bình", "trần", "minh"}
	r := rand.New(rand.NewPCG(3, 4))
	texts := map[posting][]string{}
	now := time.Now()
	for j := range 12 {
		job := Job{ID: fmt.Sprintf("01900000-0000-7000-8000-%012d", j), Name: fmt.Sprintf("so-%02d.pdf", j),
			Kind: scanning.KindPDF, State: StateDone, CreatedAt: now}
		var pages []string
		for n := 1; n <= 12; n++ {
			var words []string
			for _, w := range vocab {
				// Common and rare words: the first ones on most pages.
				if r.Float64() < 0.85-0.07*float64(slices.Index(vocab, w)) {
					words = append(words, w)
				}
			}
			pages = append(pages, strings.Join(words, " "))
			texts[posting{job.ID, n}] = vntext.Tokens(pages[n-1])
		}
		if err := storeOCRJob(f.st, job, pages); err != nil {
			t.Fatal(err)
		}
	}
	for q := range 200 {
		var query []string
		for range 2 + q%3 {
			query = append(query, vocab[r.IntN(len(vocab))])
		}
		terms := uniq(vntext.Tokens(strings.Join(query, " ")))
		var want []string
		for p, words := range texts {
			if !slices.ContainsFunc(terms, func(t string) bool { return !slices.Contains(words, t) }) {
				want = append(want, fmt.Sprintf("%s/%d", p.job, p.page))
			}
		}
		hits, partial, err := f.svc.Search(context.Background(), strings.Join(query, " "), 200)
		if err != nil || partial {
			t.Fatalf("%q: %v, partial %v", query, err, partial)
		}
		var got []string
		for _, h := range hits {
			got = append(got, fmt.Sprintf("%s/%d", h.JobID, h.Page))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%q: %d hits, want %d\ngot  %v\nwant %v", query, len(got), len(want), got, want)
		}
	}
}

// storeOCRJob writes a finished job whose pages hold texts, indexed as the
// scan runner indexes them, in one transaction.
func storeOCRJob(st *store.Store, job Job, texts []string) error {
	return st.Update(func(x *store.Txn) error {
		for i, text := range texts {
			n := i + 1
			pg := Page{N: n, PDFPage: n, Source: scanning.TextOCR, Confidence: 90, Text: text}
			if err := indexPage(x, job.ID, n, nil, text); err != nil {
				return err
			}
			if err := x.SetJSON(store.KeyScanPage(job.ID, n), &pg); err != nil {
				return err
			}
			job.Pages, job.Done = n, n
		}
		if err := x.Set(store.KeyScanTime(job.CreatedAt.UnixNano(), job.ID), nil); err != nil {
			return err
		}
		return x.SetJSON(store.KeyScanJob(job.ID), &job)
	})
}
