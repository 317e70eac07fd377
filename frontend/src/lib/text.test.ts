import { describe, expect, it } from 'vitest'
import { fold, matchesFolded, nfc } from './text'

describe('fold', () => {
  it('strips Vietnamese diacritics and đ', () => {
    expect(fold('Nguyễn Thị Hương')).toBe('nguyen thi huong')
    expect(fold('ĐẶNG  Văn   Đức')).toBe('dang van duc')
    expect(fold('Chứng thực bản sao')).toBe('chung thuc ban sao')
  })
  it('treats decomposed input like composed input', () => {
    const decomposed = 'Hương'.normalize('NFD')
    expect(decomposed).not.toBe('Hương')
    expect(fold(decomposed)).toBe('huong')
    expect(nfc(decomposed)).toBe('Hương')
  })
})

describe('matchesFolded', () => {
  it('matches every word anywhere, without diacritics', () => {
    expect(matchesFolded('Chứng thực bản sao từ bản chính', 'ban sao chung thuc')).toBe(true)
    expect(matchesFolded('Chứng thực bản sao từ bản chính', 'khai sinh')).toBe(false)
    expect(matchesFolded('anything', '  ')).toBe(true)
  })
})
