// Syncing with the provincial hub (app/api/sync.go): the status the top bar
// shows, the Outbox screen's items and conflicts, enrolment, and the pure
// helpers that turn them into Vietnamese words and colours.
import { ApiError, request } from './api'
import { formatDateTime, officeParts } from './format'

export interface OutboxCounts {
  pending: number
  uploading: number
  retrying: number
  waiting: number
  parked: number
  bytesLeft: number
  oldest?: string
}

export interface SyncStatus {
  enrolled: boolean
  hubUrl: string
  deviceId?: string
  deviceName?: string
  communeCode?: string
  communeName?: string
  enrolledAt?: string
  online: boolean
  checkedAt?: string
  problem?: string
  problemMessage?: string
  blocked: boolean
  syncing: boolean
  lastPushAt?: string
  lastPullAt?: string
  outbox: OutboxCounts
  conflicts: number
  clockOffsetSeconds: number
  unsynced: number
  message: string
  /** Audit entries the hub does not hold yet, and why they wait. */
  auditPending?: number
  auditSentAt?: string
  auditProblem?: string
  auditMessage?: string
}

export type OutboxState = 'pending' | 'uploading' | 'synced' | 'error' | 'parked'

export interface OutboxItem {
  id: string
  dossierId: string
  dossierCode: string
  kind: string
  action?: string
  label: string
  state: OutboxState
  stateLabel: string
  attempts: number
  nextTry?: string
  waitsForRetry: boolean
  canRetry: boolean
  bytes: number
  bytesLeft: number
  errorCode?: string
  lastError?: string
  enqueuedAt: string
  updatedAt: string
  syncedAt?: string
  hubReceivedAt?: string
}

export interface Conflict {
  changeId: string
  dossierId: string
  dossierCode: string
  problem: string
  localState: string
  recordedAt: string
  message: string
}

export interface Enrolment {
  hubUrl: string
  deviceId: string
  deviceName: string
  communeCode: string
  communeName: string
  enrolledAt: string
}

export function getSyncStatus(): Promise<{ status: SyncStatus }> {
  return request('GET', '/api/sync/status')
}

export function enrol(hubUrl: string, code: string): Promise<{ enrolment: Enrolment; status: SyncStatus }> {
  return request('POST', '/api/sync/enrol', { hubUrl, code })
}

export function listOutbox(opts: { all?: boolean; cursor?: string; limit?: number } = {}): Promise<{ items: OutboxItem[]; next: string }> {
  const q = new URLSearchParams()
  if (opts.all) q.set('all', '1')
  if (opts.limit) q.set('limit', String(opts.limit))
  if (opts.cursor) q.set('cursor', opts.cursor)
  const s = q.toString()
  return request('GET', '/api/sync/outbox' + (s ? '?' + s : ''))
}

export function retryItem(id: string): Promise<{ item: OutboxItem }> {
  return request('POST', `/api/sync/outbox/${encodeURIComponent(id)}/retry`)
}

export function syncNow(): Promise<{ status: SyncStatus }> {
  return request('POST', '/api/sync/now')
}

export function listConflicts(): Promise<{ conflicts: Conflict[] }> {
  return request('GET', '/api/sync/conflicts')
}

// SYNC_CHANGED_EVENT is dispatched on window when the desk learnt a newer
// sync status (its detail) or changed something the status shows (no
// detail: sync now, Gửi lại), so the top bar's indicator follows at once
// instead of at its next poll.
export const SYNC_CHANGED_EVENT = 'motcua:sync-changed'

export function announceSyncChange(status?: SyncStatus): void {
  if (typeof window !== 'undefined') window.dispatchEvent(new CustomEvent(SYNC_CHANGED_EVENT, { detail: status }))
}

// formatBytes renders a size the Vietnamese way, with a decimal comma:
// 0 → "0 B", 1536 → "1,5 KB", 20 971 520 → "20 MB".
export function formatBytes(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n) || n < 0) return ''
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  if (u === 0) return `${Math.round(v)} B`
  // One decimal below 10 (1,5 MB), whole numbers above (24 MB); a trailing
  // ",0" is dropped.
  let s = v < 10 ? (Math.round(v * 10) / 10).toFixed(1) : String(Math.round(v))
  if (s === '1024' && u < units.length - 1) {
    s = '1'
    u++
  }
  s = s.replace(/\.0$/, '').replace('.', ',')
  return `${s} ${units[u]}`
}

export type Tone = 'ok' | 'info' | 'neutral' | 'warn' | 'danger'

// itemTone is the colour of an outbox item's state label.
export function itemTone(it: Pick<OutboxItem, 'state' | 'waitsForRetry'>): Tone {
  switch (it.state) {
    case 'synced':
      return 'ok'
    case 'uploading':
      return 'info'
    case 'pending':
      return 'neutral'
    case 'parked':
      return 'danger'
    case 'error':
      return it.waitsForRetry ? 'danger' : 'warn'
    default:
      return 'neutral'
  }
}

// ITEM_STATE_LABELS are the words for a state when the API gave none.
const ITEM_STATE_LABELS: Record<string, string> = {
  pending: 'Chờ gửi',
  uploading: 'Đang gửi',
  synced: 'Đã gửi',
  parked: 'Bị từ chối — cần xử lý',
  error: 'Lỗi — sẽ tự gửi lại',
}

export function itemStateLabel(it: Pick<OutboxItem, 'state' | 'stateLabel' | 'waitsForRetry'>): string {
  if (it.stateLabel) return it.stateLabel
  if (it.state === 'error' && it.waitsForRetry) return 'Chưa gửi được — bấm Gửi lại'
  return ITEM_STATE_LABELS[it.state] ?? it.state
}

// KIND_LABELS name what an outbox item carries.
export function kindLabel(kind: string): string {
  return kind === 'dossier' ? 'Hồ sơ' : kind === 'event' ? 'Thao tác' : kind
}

export type Connection = 'unenrolled' | 'checking' | 'offline' | 'blocked' | 'syncing' | 'online'

export interface Indicator {
  connection: Connection
  label: string
  short: string // for the top bar
  tone: Tone
  // reason is the status's own sentence (why the hub cannot be used), or a
  // short explanation; it goes in the tooltip and on the Outbox screen.
  reason: string
}

// indicator turns the sync status into the top bar's words and colour.
export function indicator(st: SyncStatus): Indicator {
  const reason = st.message || st.problemMessage || ''
  if (!st.enrolled) {
    return { connection: 'unenrolled', label: 'Chưa đăng ký đồng bộ', short: 'Chưa đăng ký', tone: 'warn', reason }
  }
  if (!st.checkedAt) {
    return { connection: 'checking', label: 'Đang kiểm tra kết nối', short: 'Đang kiểm tra', tone: 'neutral', reason: reason || 'Đang kiểm tra kết nối tới máy chủ tỉnh.' }
  }
  if (!st.online) {
    return {
      connection: 'offline',
      label: 'Mất kết nối máy chủ tỉnh',
      short: 'Mất kết nối',
      tone: 'danger',
      reason: reason || 'Không kết nối được máy chủ tỉnh; phần mềm sẽ tự gửi khi có kết nối.',
    }
  }
  if (st.blocked) {
    return { connection: 'blocked', label: 'Tạm dừng gửi', short: 'Tạm dừng gửi', tone: 'danger', reason: reason || 'Máy chủ tỉnh từ chối yêu cầu.' }
  }
  if (st.syncing) {
    return { connection: 'syncing', label: 'Đang đồng bộ', short: 'Đang đồng bộ', tone: 'info', reason: 'Đã kết nối máy chủ tỉnh, đang gửi và nhận dữ liệu.' }
  }
  return { connection: 'online', label: 'Đã kết nối máy chủ tỉnh', short: 'Đã kết nối', tone: 'ok', reason: reason || 'Đã kết nối máy chủ tỉnh.' }
}

// lastSyncAt is the latest time the hub took or gave anything, or ''.
export function lastSyncAt(st: Pick<SyncStatus, 'lastPushAt' | 'lastPullAt'>): string {
  const times = [st.lastPushAt, st.lastPullAt].filter((t): t is string => !!t && !Number.isNaN(Date.parse(t)))
  if (times.length === 0) return ''
  return times.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b))
}

// formatWhen renders a time compactly: "14:05" today (office time), else
// "24/11/2026 14:05".
export function formatWhen(iso: string | undefined | null, now: number = Date.now()): string {
  const p = officeParts(iso)
  if (!p) return ''
  const today = officeParts(new Date(now).toISOString())
  if (today && today.year === p.year && today.month === p.month && today.day === p.day) {
    return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`
  }
  return formatDateTime(iso)
}

// EnrolErrors places an enrolment failure next to the field it is about.
export interface EnrolErrors {
  hubUrl?: string
  code?: string
  form?: string
}

const HUB_URL_CODES = new Set(['hub_unreachable', 'hub_not_found'])
const CODE_CODES = new Set(['enrolment_code_invalid', 'enrolment_code_used', 'enrolment_code_expired', 'public_key_in_use'])

export function enrolErrors(err: ApiError): EnrolErrors {
  const out: EnrolErrors = {}
  if (err.fields.hubUrl) out.hubUrl = err.fields.hubUrl
  if (err.fields.code) out.code = err.fields.code
  if (out.hubUrl || out.code) return out
  if (HUB_URL_CODES.has(err.code)) out.hubUrl = err.message
  else if (CODE_CODES.has(err.code)) out.code = err.message
  else out.form = err.message
  return out
}
