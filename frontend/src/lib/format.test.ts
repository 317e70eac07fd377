import { describe, expect, it } from 'vitest'
import {
  formatDate,
  formatDateTime,
  formatDue,
  formatMoney,
  officeParts,
  officeToday,
  parseDate,
  parseDateTime,
} from './format'

describe('formatDue', () => {
  it('renders the receipt wording in office time', () => {
    expect(formatDue('2026-11-24T16:00:00+07:00')).toBe('16 giờ 00 phút, ngày 24/11/2026')
  })
  it('converts other offsets to office time (UTC+7)', () => {
    expect(formatDue('2026-11-24T09:05:00Z')).toBe('16 giờ 05 phút, ngày 24/11/2026')
    // 20:30 UTC is already the next day in Vietnam.
    expect(formatDue('2026-12-31T20:30:00Z')).toBe('03 giờ 30 phút, ngày 01/01/2027')
  })
  it('is empty for missing or bad input', () => {
    expect(formatDue(undefined)).toBe('')
    expect(formatDue('not a time')).toBe('')
  })
})

describe('formatDateTime / formatDate', () => {
  it('renders compact forms', () => {
    expect(formatDateTime('2026-03-05T07:30:00+07:00')).toBe('05/03/2026 07:30')
    expect(formatDate('1985-03-15')).toBe('15/03/1985')
    expect(formatDate('2026-03-05T23:30:00Z')).toBe('06/03/2026')
    expect(formatDate('')).toBe('')
  })
})

describe('officeParts / officeToday', () => {
  it('gives the weekday in office time', () => {
    // 2026-11-22 is a Sunday; 18:00 UTC is already Monday in Vietnam.
    expect(officeParts('2026-11-22T10:00:00Z')?.weekday).toBe(0)
    expect(officeParts('2026-11-22T18:00:00Z')?.weekday).toBe(1)
  })
  it('takes the office date, not the PC date', () => {
    expect(officeToday(Date.parse('2026-11-22T18:00:00Z'))).toBe('2026-11-23')
    expect(officeToday(Date.parse('2026-11-22T16:59:00Z'))).toBe('2026-11-22')
  })
})

describe('parseDate', () => {
  it('accepts the ways clerks type a date', () => {
    expect(parseDate('15/03/1985')).toBe('1985-03-15')
    expect(parseDate('5-3-1985')).toBe('1985-03-05')
    expect(parseDate('15.03.1985')).toBe('1985-03-15')
    expect(parseDate('15031985')).toBe('1985-03-15')
    expect(parseDate(' 29/02/2024 ')).toBe('2024-02-29')
  })
  it('rejects impossible dates and junk', () => {
    expect(parseDate('29/02/2023')).toBeNull()
    expect(parseDate('31/04/2026')).toBeNull()
    expect(parseDate('00/01/2026')).toBeNull()
    expect(parseDate('1985-03-15')).toBeNull()
    expect(parseDate('abc')).toBeNull()
    expect(parseDate('')).toBeNull()
  })
})

describe('parseDateTime', () => {
  it('returns RFC 3339 in office time', () => {
    expect(parseDateTime('24/11/2026 16:00')).toBe('2026-11-24T16:00:00+07:00')
    expect(parseDateTime('24/11/2026 7:05')).toBe('2026-11-24T07:05:00+07:00')
    expect(parseDateTime('24112026 1600')).toBe('2026-11-24T16:00:00+07:00')
    expect(parseDateTime('24/11/2026 16 giờ 30 phút')).toBe('2026-11-24T16:30:00+07:00')
  })
  it('rejects a missing time or out-of-range values', () => {
    expect(parseDateTime('24/11/2026')).toBeNull()
    expect(parseDateTime('24/11/2026 24:00')).toBeNull()
    expect(parseDateTime('24/11/2026 16:60')).toBeNull()
    expect(parseDateTime('31/11/2026 16:00')).toBeNull()
  })
})

describe('formatMoney', () => {
  it('groups thousands with dots and appends đ', () => {
    expect(formatMoney(10000)).toBe('10.000 đ')
    expect(formatMoney(2000)).toBe('2.000 đ')
    expect(formatMoney(0)).toBe('0 đ')
    expect(formatMoney(1234567)).toBe('1.234.567 đ')
    expect(formatMoney(-50000)).toBe('-50.000 đ')
    expect(formatMoney(999)).toBe('999 đ')
  })
  it('is empty for no amount', () => {
    expect(formatMoney(undefined)).toBe('')
    expect(formatMoney(NaN)).toBe('')
  })
})
