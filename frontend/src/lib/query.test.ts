import { describe, expect, it } from 'vitest'
import { buildHash, matchPath, parseRoute, queryString } from './query'

describe('parseRoute', () => {
  it('splits path and parameters', () => {
    const r = parseRoute('#/ho-so?list=overdue&q=Nguy%E1%BB%85n')
    expect(r.path).toBe('/ho-so')
    expect(r.params.get('list')).toBe('overdue')
    expect(r.params.get('q')).toBe('Nguyễn')
  })
  it('handles an empty or bare hash', () => {
    expect(parseRoute('').path).toBe('')
    expect(parseRoute('#/').path).toBe('/')
    expect(parseRoute('#/tiep-nhan').params.toString()).toBe('')
  })
})

describe('queryString / buildHash', () => {
  it('drops empty values and encodes the rest', () => {
    expect(queryString({ list: 'all', q: '', cursor: undefined, limit: 50 })).toBe('?list=all&limit=50')
    expect(queryString({ q: 'Hương 2' })).toBe('?q=H%C6%B0%C6%A1ng+2')
    expect(queryString({})).toBe('')
    expect(buildHash('/ho-so', { list: 'overdue', q: '' })).toBe('#/ho-so?list=overdue')
  })
  it('round-trips through parseRoute', () => {
    const r = parseRoute(buildHash('/ho-so', { q: 'Nguyễn & Lê' }))
    expect(r.params.get('q')).toBe('Nguyễn & Lê')
  })
})

describe('matchPath', () => {
  it('extracts and decodes parameters', () => {
    expect(matchPath('/ho-so/:id', '/ho-so/abc%2F1')).toEqual({ id: 'abc/1' })
    expect(matchPath('/ho-so/:id', '/ho-so/')).toBeNull()
    expect(matchPath('/ho-so/:id', '/ho-so')).toBeNull()
    expect(matchPath('/ho-so/:id', '/tiep-nhan/x')).toBeNull()
  })
})
