import { describe, expect, it } from 'vitest'
import { cleanIdNumber, idNumberError } from './idnumber'

describe('idNumberError', () => {
  it('accepts 12 digits, spaces ignored', () => {
    expect(idNumberError('056190001234')).toBe('')
    expect(idNumberError('056 190 001 234')).toBe('')
    expect(cleanIdNumber('056 190 001 234')).toBe('056190001234')
  })
  it('explains what is wrong in Vietnamese', () => {
    expect(idNumberError('')).toBe('Số định danh cá nhân không được để trống.')
    expect(idNumberError('', false)).toBe('')
    expect(idNumberError('05619000123')).toBe('Số định danh cá nhân phải có đủ 12 chữ số (đang có 11).')
    expect(idNumberError('0561900012345')).toContain('đang có 13')
    expect(idNumberError('05619000123A')).toBe('Số định danh cá nhân chỉ gồm chữ số.')
  })
})
