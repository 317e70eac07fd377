import { describe, expect, it } from 'vitest'
import { hasRole, splitSetupErrors, type User } from './session'

const u: User = {
  id: '1', username: 'tiepnhan', fullName: 'Trần Thị Mai', roles: ['clerk'], roleLabels: ['Công chức tiếp nhận'],
  mustChangePassword: false, disabled: false,
}

describe('session helpers', () => {
  it('checks roles', () => {
    expect(hasRole(u, 'clerk', 'leader')).toBe(true)
    expect(hasRole(u, 'admin')).toBe(false)
    expect(hasRole(null, 'clerk')).toBe(false)
  })
  it('splits setup field errors by form part', () => {
    const got = splitSetupErrors({ 'settings.unitName': 'a', 'settings.hours.morningStart': 'b', 'admin.password': 'c', other: 'd' })
    expect(got).toEqual({ settings: { unitName: 'a', 'hours.morningStart': 'b' }, admin: { password: 'c' } })
  })
})
