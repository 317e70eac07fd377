// Vietnamese text helpers: NFC normalisation and diacritic folding, the
// same idea as the backend's app/vntext ("nguyen van a" finds "Nguyễn Văn A").

// nfc normalises input from any IME (some type decomposed diacritics).
export function nfc(s: string): string {
  return s.normalize('NFC')
}

// fold lower-cases s and strips Vietnamese diacritics, đ included, and
// collapses white space.
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
}

// matchesFolded reports whether every word of query occurs in text, both
// folded.
export function matchesFolded(text: string, query: string): boolean {
  const t = fold(text)
  return fold(query)
    .split(' ')
    .filter((w) => w !== '')
    .every((w) => t.includes(w))
}
