// Vietnamese formatting and parsing of dates, times and money.
//
// The office is in Vietnam (UTC+7 all year, no daylight saving), and every
// time the desk shows is office time whatever the time zone of the PC or the
// offset in the API's RFC 3339 string. Clerks type dates as dd/mm/yyyy; the
// API wants YYYY-MM-DD for dates and RFC 3339 with an offset for times.

export const OFFICE_OFFSET = '+07:00'
const OFFSET_MS = 7 * 3600 * 1000

export interface OfficeParts {
  year: number
  month: number // 1–12
  day: number
  hour: number
  minute: number
  weekday: number // 0 = Sunday
}

const p2 = (n: number) => String(n).padStart(2, '0')

// officeParts returns the office wall-clock parts of an RFC 3339 time, or
// null when the string is not a time.
export function officeParts(iso: string | undefined | null): OfficeParts | null {
  if (!iso) return null
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return null
  const d = new Date(t + OFFSET_MS)
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    weekday: d.getUTCDay(),
  }
}

// formatDue renders a time the way the receipt does:
// "16 giờ 00 phút, ngày 24/11/2026".
export function formatDue(iso: string | undefined | null): string {
  const p = officeParts(iso)
  if (!p) return ''
  return `${p2(p.hour)} giờ ${p2(p.minute)} phút, ngày ${p2(p.day)}/${p2(p.month)}/${p.year}`
}

// formatDateTime renders a compact "24/11/2026 16:00" for tables.
export function formatDateTime(iso: string | undefined | null): string {
  const p = officeParts(iso)
  if (!p) return ''
  return `${p2(p.day)}/${p2(p.month)}/${p.year} ${p2(p.hour)}:${p2(p.minute)}`
}

// formatDate renders "YYYY-MM-DD" (or an RFC 3339 time) as "24/11/2026".
export function formatDate(s: string | undefined | null): string {
  if (!s) return ''
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  if (m) return `${m[3]}/${m[2]}/${m[1]}`
  const p = officeParts(s)
  return p ? `${p2(p.day)}/${p2(p.month)}/${p.year}` : ''
}

// officeToday returns today's office date as "YYYY-MM-DD".
export function officeToday(now: number = Date.now()): string {
  const d = new Date(now + OFFSET_MS)
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`
}

// toInputDateTime renders an RFC 3339 time as the "dd/mm/yyyy hh:mm" the
// clerk edits.
export function toInputDateTime(iso: string | undefined | null): string {
  return formatDateTime(iso)
}

function validDate(y: number, m: number, d: number): boolean {
  if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1) return false
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate()
  return d <= days
}

// parseDate reads a date typed by a clerk — "15/03/1985", "15-3-1985",
// "15.03.1985" or "15031985" — and returns "1985-03-15", or null when it is
// not a real calendar date.
export function parseDate(input: string): string | null {
  const s = input.trim()
  let m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s)
  if (!m) m = /^(\d{2})(\d{2})(\d{4})$/.exec(s)
  if (!m) return null
  const d = Number(m[1])
  const mo = Number(m[2])
  const y = Number(m[3])
  if (!validDate(y, mo, d)) return null
  return `${y}-${p2(mo)}-${p2(d)}`
}

// parseDateTime reads "dd/mm/yyyy hh:mm" (also "dd/mm/yyyy hh giờ mm" and
// "ddmmyyyy hhmm") as office time and returns RFC 3339 with the office
// offset, or null.
export function parseDateTime(input: string): string | null {
  const s = input.trim().replace(/\s+/g, ' ')
  const m = /^(\S+)\s+(\d{1,2})\s*(?::|h|g|giờ)?\s*(\d{2})\s*(?:phút)?$/i.exec(s)
  if (!m) return null
  const date = parseDate(m[1])
  if (!date) return null
  const h = Number(m[2])
  const mi = Number(m[3])
  if (h > 23 || mi > 59) return null
  return `${date}T${p2(h)}:${p2(mi)}:00${OFFICE_OFFSET}`
}

// formatMoney renders VND with dot thousands: 10000 → "10.000 đ".
export function formatMoney(amount: number | undefined | null): string {
  if (amount === undefined || amount === null || !Number.isFinite(amount)) return ''
  const neg = amount < 0
  const digits = String(Math.round(Math.abs(amount)))
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, '.')
  return `${neg ? '-' : ''}${grouped} đ`
}
