package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"motcua/app/vntext"
)

// Free-text search of the staff inbox. A dossier is found by the folded
// words (vntext.Tokens, the desk's rules: no diacritics, đ → d, lower
// case) of its code, its applicant's name and its procedure's name and
// code, kept in dossiers.search_words (migration 0008). As on the desk
// (app/reception), every word of the query must be a word of the dossier,
// the last one as a prefix, as the official may still be typing it.
//
// The words are plain text beside the record, which the hub keeps in clear
// in PostgreSQL already (docs/SECURITY.md): they add no new exposure.

// Bounds of a search query: long enough for a code and a full name with the
// procedure, short enough that a query stays a handful of index probes.
const (
	MaxSearchRunes = 200
	MaxSearchWords = 12
)

// prefixMark starts the entries of search_words that are prefixes of a
// word rather than words (migration 0009): the word being typed is then one
// more element the GIN index finds, instead of a scan of every dossier in
// scope. Tokens hold letters, digits and marks only, so no word starts
// with it.
const prefixMark = ">"

// searchWords are the words a dossier is found by, and every prefix of each
// (marked), the whole word included.
func searchWords(code, procedureCode, applicant, procedure string) []string {
	var words, prefixes []string
	for _, s := range []string{code, procedureCode, applicant, procedure} {
		for _, w := range vntext.Tokens(s) {
			if slices.Contains(words, w) {
				continue
			}
			words = append(words, w)
			for i := range w {
				if i > 0 {
					prefixes = append(prefixes, prefixMark+w[:i])
				}
			}
			prefixes = append(prefixes, prefixMark+w)
		}
	}
	out := append(words, prefixes...)
	slices.Sort(out)
	return slices.Compact(out) // never nil: the column is NOT NULL
}

// searchQuery splits a typed query into the words that must match whole
// and the last one, matched as a prefix. ok is false when the query has no
// word.
func searchQuery(q string) (exact []string, prefix string, ok bool) {
	if r := []rune(q); len(r) > MaxSearchRunes {
		q = string(r[:MaxSearchRunes])
	}
	words := vntext.Tokens(q)
	if len(words) == 0 {
		return nil, "", false
	}
	if len(words) > MaxSearchWords {
		words = words[:MaxSearchWords]
	}
	last := words[len(words)-1]
	for _, w := range words[:len(words)-1] {
		if !slices.Contains(exact, w) {
			exact = append(exact, w)
		}
	}
	return exact, last, true
}

// searchCond is the inbox condition for query q: one containment the GIN
// index answers — the whole words, and the last one as a marked prefix.
func searchCond(q string, arg func(any) string) (string, bool) {
	exact, prefix, ok := searchQuery(q)
	if !ok {
		return "", false
	}
	return "d.search_words @> " + arg(append(exact, prefixMark+prefix)) + "::text[]", true
}

// backfillSearchWords fills search_words of the dossiers stored before
// migration 0008 (and again for 0009's prefixes), in its transaction, a
// thousand at a time.
func backfillSearchWords(ctx context.Context, tx pgx.Tx) error {
	after := ""
	for {
		rows, err := tx.Query(ctx, `
			SELECT id, code, procedure_code, coalesce(record -> 'applicant' ->> 'name', ''),
				coalesce(record -> 'procedure' ->> 'name', '')
			FROM dossiers WHERE id > $1 ORDER BY id LIMIT 1000`, after)
		if err != nil {
			return fmt.Errorf("search words: %w", err)
		}
		words := map[string][]string{}
		for rows.Next() {
			var id, code, proc, applicant, procName string
			if err := rows.Scan(&id, &code, &proc, &applicant, &procName); err != nil {
				rows.Close()
				return fmt.Errorf("search words: %w", err)
			}
			words[id], after = searchWords(code, proc, applicant, procName), id
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("search words: %w", err)
		}
		if len(words) == 0 {
			return nil
		}
		batch, err := json.Marshal(words)
		if err != nil {
			return fmt.Errorf("search words: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE dossiers d SET search_words = ARRAY(SELECT jsonb_array_elements_text(x.value))
			FROM jsonb_each($1::jsonb) x WHERE d.id = x.key`, batch); err != nil {
			return fmt.Errorf("search words: %w", err)
		}
	}
}
