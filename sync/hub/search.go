package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

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

// searchWords are the words a dossier is found by.
func searchWords(code, procedureCode, applicant, procedure string) []string {
	var out []string
	for _, s := range []string{code, procedureCode, applicant, procedure} {
		for _, w := range vntext.Tokens(s) {
			if !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	if out == nil {
		out = []string{} // the column is NOT NULL
	}
	return out
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

// searchCond is the inbox condition for query q. Tokens are letters, digits
// and marks only, so the prefix needs no LIKE escaping; starts_with is used
// anyway to keep it plain.
func searchCond(q string, arg func(any) string) (string, bool) {
	exact, prefix, ok := searchQuery(q)
	if !ok {
		return "", false
	}
	conds := []string{"EXISTS (SELECT 1 FROM unnest(d.search_words) w WHERE starts_with(w, " + arg(prefix) + "))"}
	if len(exact) > 0 {
		conds = append([]string{"d.search_words @> " + arg(exact) + "::text[]"}, conds...)
	}
	return strings.Join(conds, " AND "), true
}

// backfillSearchWords fills search_words of the dossiers stored before
// migration 0008, in its transaction, a thousand at a time.
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
