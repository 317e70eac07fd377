import { describe, expect, it } from 'vitest'
import { applyEdit, checkEdit, overrideYear, parseJsonFile, timeLabel, toEdit, weekday, type CatalogProcedure } from './catalog'

const proc: CatalogProcedure = {
  code: '2.000884',
  name: 'Chứng thực chữ ký trong các giấy tờ, văn bản',
  field: 'Chứng thực',
  level: 'commune',
  processing_time: { amount: 0, unit: 'same_day_cutoff', note: 'Ngay trong ngày', extended: { amount: 2, unit: 'working_days', condition: 'x' } },
  supplement_policy: 'pause_shift',
  fees: [{ name: 'Phí chứng thực chữ ký', amount: 10000, per: 'trường hợp', provisional: true }],
  components: [{ name: 'Giấy tờ tùy thân', originals: 1, certified: 0, copies: 0, required: true }],
  channels: ['in_person'],
  active: true,
}

describe('timeLabel', () => {
  it('words each unit like the API views', () => {
    expect(timeLabel({ amount: 4, unit: 'working_hours' })).toBe('4 giờ làm việc')
    expect(timeLabel({ amount: 3, unit: 'working_days' })).toBe('3 ngày làm việc')
    expect(timeLabel({ amount: 15, unit: 'calendar_days' })).toBe('15 ngày')
    expect(timeLabel({ amount: 0, unit: 'same_day_cutoff' })).toBe('Trong ngày (sau 15 giờ: ngày làm việc tiếp theo)')
    expect(timeLabel({ amount: 1, unit: 'fortnights' })).toBe('')
  })
})

describe('applyEdit', () => {
  it('changes only the edited values and keeps every other field', () => {
    const e = toEdit(proc)
    e.unit = 'working_hours'
    e.amount = 4
    e.note = '  Áp dụng từ 01/01/2027 '
    const out = applyEdit(proc, e)
    expect(out.processing_time).toEqual({ amount: 4, unit: 'working_hours', note: 'Ngay trong ngày', extended: proc.processing_time.extended })
    expect(out.note).toBe('Áp dụng từ 01/01/2027')
    expect(out.components).toEqual(proc.components)
    expect(out.channels).toEqual(['in_person'])
    expect(out.level).toBe('commune')
    // An unchanged fee keeps its provisional mark; the input is not mutated.
    expect(out.fees?.[0].provisional).toBe(true)
    expect(proc.processing_time.unit).toBe('same_day_cutoff')
  })

  it('drops the provisional mark of a value the admin set', () => {
    const e = toEdit(proc)
    e.fees[0] = 15000
    e.active = false
    e.supplementPolicy = 'restart'
    const out = applyEdit(proc, e)
    expect(out.fees?.[0]).toEqual({ name: 'Phí chứng thực chữ ký', amount: 15000, per: 'trường hợp' })
    expect(out.active).toBe(false)
    expect(out.supplement_policy).toBe('restart')
  })

  it('sends amount 0 for the same-day unit', () => {
    const e = toEdit({ ...proc, processing_time: { amount: 3, unit: 'working_days' } })
    e.unit = 'same_day_cutoff'
    expect(applyEdit(proc, e).processing_time.amount).toBe(0)
  })
})

describe('checkEdit', () => {
  it('rejects a non-positive amount and negative fees in Vietnamese', () => {
    const e = toEdit(proc)
    e.unit = 'working_days'
    e.amount = 0
    e.fees = [-1]
    const errs = checkEdit(e)
    expect(errs.amount).toMatch(/số nguyên dương/)
    expect(errs.fee0).toMatch(/không âm/)
    expect(checkEdit(toEdit(proc))).toEqual({})
  })
})

describe('files and dates', () => {
  it('parses JSON files, with a Vietnamese error otherwise', () => {
    expect(parseJsonFile('\uFEFF{"year":2026}', 'x')).toEqual({ year: 2026 })
    expect(() => parseJsonFile('{year', 'danh mục')).toThrow('Tệp danh mục không phải JSON hợp lệ.')
    expect(overrideYear({ year: 2026 })).toBe(2026)
    expect(overrideYear({ year: '2026' })).toBeNull()
    expect(overrideYear(null)).toBeNull()
  })

  it('names the weekday', () => {
    expect(weekday('2026-08-22')).toBe('Thứ Bảy')
    expect(weekday('2026-08-31')).toBe('Thứ Hai')
    expect(weekday('bad')).toBe('')
  })
})
