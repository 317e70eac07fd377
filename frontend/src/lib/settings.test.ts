import { describe, expect, it } from 'vitest'
import { formatUpdated, quickCheck, type Settings } from './settings'

const base: Settings = {
  province: '',
  parentAgency: 'UBND xã Hòa Bình',
  unitName: 'Trung tâm Phục vụ hành chính công xã Hòa Bình',
  communeName: 'Hòa Bình',
  agencyCode: '000.17.22.H56',
  address: '',
  phone: '',
  email: '',
  formSet: '03/2025',
  hours: { morningStart: '07:00', morningEnd: '11:30', afternoonStart: '13:30', afternoonEnd: '17:00' },
}

describe('quickCheck', () => {
  it('accepts a complete form', () => {
    expect(quickCheck(base)).toEqual({})
  })
  it('flags every missing required field', () => {
    const got = quickCheck({ ...base, unitName: ' ', agencyCode: '' })
    expect(Object.keys(got).sort()).toEqual(['agencyCode', 'unitName'])
    expect(got.unitName).toBe('Tên đơn vị tiếp nhận không được để trống.')
  })
  it('accepts a lowercase agency code the server will upper-case, rejects spaces', () => {
    expect(quickCheck({ ...base, agencyCode: '000.17.22.h56' })).toEqual({})
    expect(quickCheck({ ...base, agencyCode: '000 17' }).agencyCode).toContain('chữ in hoa')
  })
})

describe('formatUpdated', () => {
  it('formats in Vietnamese order', () => {
    const d = new Date(2026, 10, 24, 8, 5)
    expect(formatUpdated(d.toISOString())).toBe('08 giờ 05 phút, ngày 24/11/2026')
  })
  it('returns empty for garbage', () => {
    expect(formatUpdated('không phải ngày')).toBe('')
    expect(formatUpdated(undefined)).toBe('')
  })
})
