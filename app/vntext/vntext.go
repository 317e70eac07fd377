// Package vntext normalises and folds Vietnamese text.
//
// Stored text is kept in NFC (the form Vietnamese keyboards and most
// documents produce), while search and lookups compare folded text, so that
// "Nguyễn Văn Đức", "nguyen van duc" and a decomposed (NFD) copy pasted from
// a PDF all find each other.
package vntext

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// NFC returns s in Unicode Normalization Form C.
func NFC(s string) string { return norm.NFC.String(s) }

// Echo returns text someone else chose (a field name in a rejected request,
// say) as a message may repeat it: valid UTF-8, NFC like every message, and
// at most max runes, cut with an ellipsis.
func Echo(s string, max int) string {
	s = NFC(strings.ToValidUTF8(s, "\uFFFD"))
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}

// IsNFC reports whether s is already in NFC, so validators can reject
// data that would otherwise compare unequal byte-wise.
func IsNFC(s string) bool { return norm.NFC.IsNormalString(s) }

// Fold returns the search key of s: compatibility-decomposed, lowercased,
// without diacritics (đ and Đ become d), without format and control
// characters, with runs of white space collapsed to one ASCII space and no
// leading or trailing space. Fold is idempotent, and canonically equivalent
// inputs (NFC, NFD) fold equal. Invalid UTF-8 sequences become U+FFFD.
func Fold(s string) string {
	// NFKD rather than NFD so full-width forms and ligatures that come out
	// of OCR and office software fold to their plain letters too. Invalid
	// bytes are replaced first: norm leaves the rune after one undecomposed.
	d := norm.NFKD.String(strings.ToValidUTF8(s, "\uFFFD"))
	f := folder{}
	f.b.Grow(len(d))
	for _, r := range d {
		f.add(r)
	}
	return f.b.String()
}

type folder struct {
	b            strings.Builder
	pendingSpace bool
}

func (f *folder) add(r rune) {
	switch {
	case unicode.IsSpace(r):
		f.pendingSpace = f.b.Len() > 0
		return
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Cc, r):
		// Tone and vowel marks are Mn after decomposition; soft hyphens and
		// zero-width joiners (Cf) hide inside pasted text.
		return
	case r == 'đ' || r == 'Đ':
		// đ has no decomposition, so it needs its own rule.
		r = 'd'
	default:
		lower := unicode.ToLower(r)
		if lower != r && !norm.NFKD.IsNormalString(string(lower)) {
			// Guard for idempotence: the unicode and norm packages ship
			// their own Unicode tables, and if a letter that survived NFKD
			// lower-cases to one that decomposes, fold that decomposition.
			for _, q := range norm.NFKD.String(string(lower)) {
				f.add(q)
			}
			return
		}
		r = lower
	}
	if f.pendingSpace {
		f.b.WriteByte(' ')
		f.pendingSpace = false
	}
	f.b.WriteRune(r)
}

// Tokens returns the words of the folded s: maximal runs of letters, digits
// and spacing marks. Punctuation separates words, so "2.000815" yields
// ["2", "000815"]. It returns nil when s has no word.
func Tokens(s string) []string {
	f := strings.FieldsFunc(Fold(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	if len(f) == 0 {
		return nil
	}
	return f
}

// Clean is how typed text is stored: NFC, with runs of white space
// collapsed to one space and none at either end.
func Clean(s string) string { return strings.Join(strings.Fields(NFC(s)), " ") }
