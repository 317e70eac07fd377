import { describe, expect, it } from 'vitest'
import { ApiError } from './api'
import { enrolErrors, formatBytes, formatWhen, indicator, itemStateLabel, itemTone, kindLabel, lastSyncAt, type SyncStatus } from './sync'

function status(over: Partial<SyncStatus> = {}): SyncStatus {
  return {
    enrolled: true,
    hubUrl: 'https://dongbo.khanhhoa.gov.vn',
    online: true,
    checkedAt: '2026-11-24T09:00:00Z',
    blocked: false,
    syncing: false,
    outbox: { pending: 0, uploading: 0, retrying: 0, waiting: 0, parked: 0, bytesLeft: 0 },
    conflicts: 0,
    clockOffsetSeconds: 0,
    unsynced: 0,
    message: '',
    ...over,
  }
}

describe('formatBytes', () => {
  it('uses a decimal comma and drops a trailing ,0', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1024)).toBe('1 KB')
    expect(formatBytes(1536)).toBe('1,5 KB')
    expect(formatBytes(2.25 * 1024 * 1024)).toBe('2,3 MB')
    expect(formatBytes(20 * 1024 * 1024)).toBe('20 MB')
    expect(formatBytes(3 * 1024 ** 3)).toBe('3 GB')
  })
  it('rounds up to the next unit instead of showing 1024', () => {
    expect(formatBytes(1024 * 1024 - 1)).toBe('1 MB')
  })
  it('is empty for nonsense', () => {
    expect(formatBytes(undefined)).toBe('')
    expect(formatBytes(-1)).toBe('')
    expect(formatBytes(Number.NaN)).toBe('')
  })
})

describe('item state', () => {
  it('colours each state', () => {
    expect(itemTone({ state: 'synced', waitsForRetry: false })).toBe('ok')
    expect(itemTone({ state: 'uploading', waitsForRetry: false })).toBe('info')
    expect(itemTone({ state: 'pending', waitsForRetry: false })).toBe('neutral')
    expect(itemTone({ state: 'error', waitsForRetry: false })).toBe('warn')
    expect(itemTone({ state: 'error', waitsForRetry: true })).toBe('danger')
    expect(itemTone({ state: 'parked', waitsForRetry: false })).toBe('danger')
  })
  it('prefers the API’s label and has Vietnamese fallbacks', () => {
    expect(itemStateLabel({ state: 'pending', stateLabel: 'Chờ gửi (máy chủ)', waitsForRetry: false })).toBe('Chờ gửi (máy chủ)')
    expect(itemStateLabel({ state: 'pending', stateLabel: '', waitsForRetry: false })).toBe('Chờ gửi')
    expect(itemStateLabel({ state: 'error', stateLabel: '', waitsForRetry: true })).toBe('Chưa gửi được — bấm Gửi lại')
    expect(itemStateLabel({ state: 'parked', stateLabel: '', waitsForRetry: false })).toBe('Bị từ chối — cần xử lý')
  })
  it('names the kinds', () => {
    expect(kindLabel('dossier')).toBe('Hồ sơ')
    expect(kindLabel('event')).toBe('Thao tác')
  })
})

describe('indicator', () => {
  it('says when the device is not enrolled, with the API’s reason', () => {
    const i = indicator(status({ enrolled: false, online: false, checkedAt: undefined, message: 'Máy này chưa đăng ký đồng bộ.' }))
    expect(i).toEqual({ connection: 'unenrolled', label: 'Chưa đăng ký đồng bộ', short: 'Chưa đăng ký', tone: 'warn', reason: 'Máy này chưa đăng ký đồng bộ.' })
  })
  it('is offline with the reason when the hub does not answer', () => {
    const i = indicator(status({ online: false, problem: 'unreachable', message: 'Không kết nối được máy chủ tỉnh.' }))
    expect(i.connection).toBe('offline')
    expect(i.tone).toBe('danger')
    expect(i.reason).toBe('Không kết nối được máy chủ tỉnh.')
  })
  it('never says offline without a reason', () => {
    expect(indicator(status({ online: false })).reason).not.toBe('')
    expect(indicator(status({ blocked: true })).reason).not.toBe('')
  })
  it('waits for the first health check', () => {
    expect(indicator(status({ online: false, checkedAt: undefined })).connection).toBe('checking')
  })
  it('shows blocked, syncing and online', () => {
    expect(indicator(status({ blocked: true, message: 'Máy này đã bị thu hồi quyền đồng bộ.' })).connection).toBe('blocked')
    expect(indicator(status({ syncing: true })).connection).toBe('syncing')
    expect(indicator(status()).tone).toBe('ok')
  })
})

describe('times', () => {
  it('takes the later of push and pull', () => {
    expect(lastSyncAt({})).toBe('')
    expect(lastSyncAt({ lastPushAt: '2026-11-24T09:00:00Z' })).toBe('2026-11-24T09:00:00Z')
    expect(lastSyncAt({ lastPushAt: '2026-11-24T09:00:00Z', lastPullAt: '2026-11-24T09:05:00Z' })).toBe('2026-11-24T09:05:00Z')
  })
  it('shows only the hour for today (office time), else the date', () => {
    const now = Date.parse('2026-11-24T10:00:00Z') // 17:00 in Vietnam
    expect(formatWhen('2026-11-24T09:05:00Z', now)).toBe('16:05')
    expect(formatWhen('2026-11-23T09:05:00Z', now)).toBe('23/11/2026 16:05')
    // 18:00 UTC on the 23rd is already the 24th in Vietnam.
    expect(formatWhen('2026-11-23T18:00:00Z', now)).toBe('01:00')
    expect(formatWhen('', now)).toBe('')
  })
})

describe('enrolErrors', () => {
  it('keeps the API’s field errors', () => {
    const e = new ApiError(422, 'validation_failed', 'Thông tin chưa hợp lệ.', { code: 'Mã đăng ký thiết bị không được để trống.' })
    expect(enrolErrors(e)).toEqual({ code: 'Mã đăng ký thiết bị không được để trống.' })
  })
  it('puts an unreachable hub next to the address and a bad code next to the code', () => {
    expect(enrolErrors(new ApiError(502, 'hub_unreachable', 'Không kết nối được máy chủ tỉnh.'))).toEqual({ hubUrl: 'Không kết nối được máy chủ tỉnh.' })
    expect(enrolErrors(new ApiError(422, 'enrolment_code_used', 'Mã đăng ký đã được dùng.'))).toEqual({ code: 'Mã đăng ký đã được dùng.' })
  })
  it('keeps other failures for the form', () => {
    expect(enrolErrors(new ApiError(409, 'commune_mismatch', 'Mã đăng ký thuộc đơn vị khác.'))).toEqual({ form: 'Mã đăng ký thuộc đơn vị khác.' })
  })
})
