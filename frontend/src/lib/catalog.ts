// Admin calls of the procedure catalog and the working calendar
// (docs/API.md). The catalog travels in its exchange format (snake_case, the
// file provinces publish); an edit takes one procedure of that file, changes
// a few fields and sends the whole procedure back, so fields this screen
// does not know (extended times, components, levels…) are kept as they are.
import { request } from './api'

export type TimeUnit = 'working_hours' | 'working_days' | 'calendar_days' | 'same_day_cutoff'

export interface CatalogFee {
  name: string
  amount: number
  per?: string
  note?: string
  provisional?: boolean
  [key: string]: unknown
}

export interface CatalogProcedure {
  code: string
  name: string
  field: string
  level?: string
  processing_time: {
    amount: number
    unit: TimeUnit | string
    note?: string
    provisional?: boolean
    [key: string]: unknown
  }
  supplement_policy: 'pause_shift' | 'restart' | string
  fees?: CatalogFee[] | null
  active: boolean
  note?: string
  [key: string]: unknown
}

export interface CatalogFile {
  version: number
  source: string
  updated_at: string
  procedures: CatalogProcedure[]
  [key: string]: unknown
}

export interface ImportResult {
  version: number
  source: string
  procedures: number
}

export type ImportMode = 'merge' | 'replace'

export function getCatalog(): Promise<CatalogFile> {
  return request('GET', '/api/catalog')
}

export function importCatalog(file: unknown, mode: ImportMode): Promise<ImportResult> {
  return request('POST', '/api/catalog?mode=' + mode, file)
}

export function saveProcedure(p: CatalogProcedure): Promise<{ procedure: { code: string } }> {
  return request('PUT', '/api/procedures/' + encodeURIComponent(p.code), p)
}

export const UNIT_LABELS: Record<TimeUnit, string> = {
  working_hours: 'giờ làm việc',
  working_days: 'ngày làm việc',
  calendar_days: 'ngày',
  same_day_cutoff: 'Trong ngày (sau 15 giờ: ngày làm việc tiếp theo)',
}

// timeLabel words a processing time the way the API's views do:
// "4 giờ làm việc", "3 ngày làm việc", "15 ngày".
export function timeLabel(t: { amount: number; unit: string } | undefined): string {
  if (!t) return ''
  if (t.unit === 'same_day_cutoff') return UNIT_LABELS.same_day_cutoff
  const u = UNIT_LABELS[t.unit as TimeUnit]
  return u ? `${t.amount} ${u}` : ''
}

export const POLICY_LABELS: Record<string, string> = {
  pause_shift: 'Tạm dừng và lùi hạn',
  restart: 'Tính lại thời hạn từ đầu',
}

// ProcedureEdit is what the edit dialog changes: the values a province most
// often adjusts.
export interface ProcedureEdit {
  amount: number
  unit: TimeUnit
  timeNote: string
  supplementPolicy: 'pause_shift' | 'restart'
  fees: number[]
  active: boolean
  note: string
}

export function toEdit(p: CatalogProcedure): ProcedureEdit {
  return {
    amount: p.processing_time?.amount ?? 0,
    unit: (p.processing_time?.unit as TimeUnit) ?? 'working_days',
    timeNote: p.processing_time?.note ?? '',
    supplementPolicy: p.supplement_policy === 'restart' ? 'restart' : 'pause_shift',
    fees: (p.fees ?? []).map((f) => f.amount),
    active: p.active,
    note: p.note ?? '',
  }
}

// checkEdit returns Vietnamese messages keyed by field, empty when valid.
export function checkEdit(e: ProcedureEdit): Record<string, string> {
  const out: Record<string, string> = {}
  if (e.unit !== 'same_day_cutoff' && (!Number.isInteger(e.amount) || e.amount < 1)) {
    out.amount = 'Thời hạn phải là số nguyên dương.'
  } else if (e.unit === 'working_hours' && e.amount > 8 * 60) {
    out.amount = 'Thời hạn theo giờ quá lớn; hãy tính theo ngày làm việc.'
  }
  e.fees.forEach((a, i) => {
    if (!Number.isInteger(a) || a < 0) out['fee' + i] = 'Mức phí phải là số nguyên không âm (đồng).'
  })
  return out
}

// applyEdit returns a copy of the exchange procedure with the edit applied;
// every other field stays as it was. A value the admin changed is no longer
// provisional.
export function applyEdit(p: CatalogProcedure, e: ProcedureEdit): CatalogProcedure {
  const out: CatalogProcedure = JSON.parse(JSON.stringify(p))
  const t = out.processing_time
  const timeChanged = t.amount !== e.amount || t.unit !== e.unit
  t.unit = e.unit
  t.amount = e.unit === 'same_day_cutoff' ? 0 : e.amount
  if (e.timeNote.trim()) t.note = e.timeNote.trim().normalize('NFC')
  else delete t.note
  if (timeChanged) delete t.provisional
  out.supplement_policy = e.supplementPolicy
  if (out.fees) {
    out.fees = out.fees.map((f, i) => {
      const amount = e.fees[i] ?? f.amount
      const nf = { ...f, amount }
      if (amount !== f.amount) delete nf.provisional
      return nf
    })
  }
  out.active = e.active
  if (e.note.trim()) out.note = e.note.trim().normalize('NFC')
  else delete out.note
  return out
}

export function isProvisional(p: CatalogProcedure): boolean {
  return !!p.processing_time?.provisional || (p.fees ?? []).some((f) => f.provisional)
}

// Working calendar.

export interface CalendarDay {
  date: string
  name: string
  kind?: string
}

export interface CalendarYear {
  year: number
  holidays: CalendarDay[] | null
  makeUpDays: CalendarDay[] | null
  override: unknown
}

export function getCalendar(year: number): Promise<CalendarYear> {
  return request('GET', '/api/calendar/' + year)
}

export function putOverride(year: number, body: unknown): Promise<CalendarYear> {
  return request('PUT', '/api/calendar/overrides/' + year, body)
}

export function deleteOverride(year: number): Promise<CalendarYear> {
  return request('DELETE', '/api/calendar/overrides/' + year)
}

// parseJsonFile reads the text of a chosen file, or throws a Vietnamese
// message when it is not JSON.
export function parseJsonFile(text: string, what: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''))
  } catch {
    throw new Error(`Tệp ${what} không phải JSON hợp lệ.`)
  }
}

// overrideYear returns the "year" of an override file, or null.
export function overrideYear(v: unknown): number | null {
  if (typeof v !== 'object' || v === null) return null
  const y = (v as { year?: unknown }).year
  return typeof y === 'number' && Number.isInteger(y) ? y : null
}

const WEEKDAYS = ['Chủ nhật', 'Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy']

// weekday names the day of the week of "YYYY-MM-DD".
export function weekday(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) return ''
  return WEEKDAYS[new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDay()]
}
