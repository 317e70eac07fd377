import { request } from './api'

export interface Hours {
  morningStart: string
  morningEnd: string
  afternoonStart: string
  afternoonEnd: string
}

export interface Settings {
  province: string
  parentAgency: string
  unitName: string
  communeName: string
  agencyCode: string
  address: string
  phone: string
  email: string
  formSet: string
  hours: Hours
  updatedAt?: string
}

export interface SettingsResponse {
  configured: boolean
  settings: Settings
}

export const FORM_SETS = [
  { value: '03/2025', label: 'Thông tư 03/2025/TT-VPCP (mẫu 01–07)' },
  { value: '01/2018', label: 'Thông tư 01/2018/TT-VPCP (mẫu 01–06)' },
]

export function getSettings(): Promise<SettingsResponse> {
  return request<SettingsResponse>('GET', '/api/settings')
}

export function saveSettings(s: Settings): Promise<SettingsResponse> {
  const { updatedAt: _ignored, ...body } = s
  return request<SettingsResponse>('PUT', '/api/settings', body)
}

const REQUIRED: [keyof Settings, string][] = [
  ['parentAgency', 'Cơ quan chủ quản'],
  ['unitName', 'Tên đơn vị tiếp nhận'],
  ['communeName', 'Tên xã/phường'],
  ['agencyCode', 'Mã định danh điện tử'],
]

// quickCheck gives instant feedback before a round trip; the server stays
// the authority and returns the same field keys.
export function quickCheck(s: Settings): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, label] of REQUIRED) {
    if (String(s[k] ?? '').trim() === '') out[k] = `${label} không được để trống.`
  }
  const code = s.agencyCode.trim().toUpperCase()
  if (code !== '' && !/^[0-9A-Z]+(\.[0-9A-Z]+)*$/.test(code)) {
    out.agencyCode = 'Mã định danh điện tử chỉ gồm chữ in hoa, chữ số và dấu chấm (ví dụ 000.17.22.H56).'
  }
  return out
}

// formatUpdated renders an RFC 3339 time as Vietnamese local time.
export function formatUpdated(iso: string | undefined): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  const p = (n: number) => String(n).padStart(2, '0')
  return `${p(d.getHours())} giờ ${p(d.getMinutes())} phút, ngày ${p(d.getDate())}/${p(d.getMonth() + 1)}/${d.getFullYear()}`
}
