import { describe, expect, it } from 'vitest'
import { ApiError } from './api'
import { availableForms, storedNothing, feeSummary, isProvisional, newRequestId, outcomeForm, type DossierEvent, type Procedure } from './desk'
import { formatMoney } from './format'

function ev(action: string): DossierEvent {
  return { id: action, action, actionLabel: '', from: '', to: '', fromLabel: '', toLabel: '', actor: '', actorName: '', at: '' }
}

describe('availableForms', () => {
  it('offers the receipt and control slip once received', () => {
    expect(availableForms([ev('receive_complete')])).toEqual(['receipt', 'control'])
  })
  it('offers only the notice of an unreceived dossier', () => {
    expect(availableForms([ev('receive_incomplete')])).toEqual(['supplement'])
    expect(availableForms([ev('refuse')])).toEqual(['refusal'])
  })
  it('adds each notice after its action', () => {
    expect(
      availableForms([ev('receive_complete'), ev('request_supplement'), ev('apologize_extend'), ev('stop')]),
    ).toEqual(['receipt', 'supplement', 'apology', 'stop', 'control'])
  })
})

describe('outcomeForm', () => {
  it('maps each reception outcome to its slip', () => {
    expect(outcomeForm('complete')).toBe('receipt')
    expect(outcomeForm('incomplete')).toBe('supplement')
    expect(outcomeForm('refused')).toBe('refusal')
  })
})

const proc = (over: Partial<Procedure>): Procedure => ({
  code: '2.000815',
  name: 'Chứng thực bản sao từ bản chính',
  field: 'Chứng thực',
  processingTime: { amount: 0, unit: 'same_day_cutoff', label: 'Trong ngày' },
  fees: [],
  components: [],
  results: [],
  channels: [],
  ...over,
})

describe('feeSummary / isProvisional', () => {
  it('summarises fees', () => {
    expect(feeSummary([{ name: 'Phí', amount: 2000, per: 'trang' }], formatMoney)).toBe('2.000 đ/trang')
    expect(feeSummary([{ name: 'Lệ phí', amount: 0 }], formatMoney)).toBe('Miễn phí')
    expect(feeSummary(null, formatMoney)).toBe('Không thu phí')
  })
  it('flags provisional time or fees', () => {
    expect(isProvisional(proc({}))).toBe(false)
    expect(isProvisional(proc({ fees: [{ name: 'x', amount: 1, provisional: true }] }))).toBe(true)
    expect(isProvisional(proc({ processingTime: { amount: 1, unit: 'working_days', label: '1 ngày', provisional: true } }))).toBe(true)
  })
})

describe('newRequestId', () => {
  it('mints distinct UUIDs', () => {
    const a = newRequestId()
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(newRequestId()).not.toBe(a)
  })
  it('works without randomUUID (plain http on the LAN)', () => {
    // A non-secure context has no crypto.randomUUID.
    const orig = crypto.randomUUID
    Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true })
    try {
      expect(crypto.randomUUID).toBeUndefined()
      const id = newRequestId()
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(newRequestId()).not.toBe(id)
    } finally {
      Object.defineProperty(crypto, 'randomUUID', { value: orig, configurable: true })
    }
  })
})

describe('storedNothing', () => {
  it('allows a fresh requestId only after a definite refusal', () => {
    expect(storedNothing(new ApiError(422, 'validation_failed', 'x'))).toBe(true)
    expect(storedNothing(new ApiError(409, 'invalid_transition', 'x'))).toBe(true)
    expect(storedNothing(new ApiError(409, 'duplicate_request', 'x'))).toBe(false)
    expect(storedNothing(new ApiError(0, 'network', 'x'))).toBe(false)
    expect(storedNothing(new ApiError(500, 'internal', 'x'))).toBe(false)
    expect(storedNothing(new ApiError(503, 'store_unavailable', 'x'))).toBe(false)
  })
})
