// Types and calls of the digitization API (docs/API.md, "Digitization"):
// scan jobs, their pages, binding to dossiers, search, archive batches. Every
// call goes through request()/upload() in api.ts. The rest of the file is the
// screens' logic kept testable: progress, highlights, routes, polling.
import { errorMessage, request, upload } from './api'
import type { Dossier } from './desk'
import { formatDate, parseDate } from './format'
import { queryString } from './query'
import { fold } from './text'

export type JobState = 'queued' | 'running' | 'done' | 'failed'

export interface JobError {
  code: string
  message: string
  page?: number
}

export interface Job {
  id: string
  name: string
  kind: 'pdf' | 'jpeg' | 'png' | 'tiff' | string
  size: number
  sha256: string
  state: JobState | string
  stateLabel: string
  pages: number
  done: number
  pdfPages?: number
  error?: JobError | null
  blank: number[] | null
  confidence: number
  ocrPages: number
  textPages: number
  dossierId?: string
  dossierCode?: string
  component?: string
  batchId?: string
  bindings: { page: number; dossierCode: string; dossierId?: string }[] | null
  separators: number[] | null
  duplicatePages: { page: number; jobId: string; otherPage: number }[] | null
  pdfSize?: number
  createdAt: string
  startedAt?: string
  finishedAt?: string
  createdBy: string
}

export interface Page {
  n: number
  pdfPage?: number // page in the searchable PDF; 0 when left out (blank)
  blank: boolean
  source: 'ocr' | 'pdf' | ''
  confidence: number
  text: string
  dpi: number
  mode: 'colour' | 'gray' | 'bilevel' | string
  rotation: number
  skew: number
  reviewed: boolean
  corrected: boolean
}

export interface SnippetPart {
  text: string
  hit: boolean
}

export interface Hit {
  jobId: string
  name: string
  page: number
  pdfPage?: number
  dossierId?: string
  dossierCode?: string
  batchId?: string
  snippet: SnippetPart[] | null
}

export interface ScanCounts {
  queued: number
  running: number
  done: number
  failed: number
}

export interface Batch {
  id: string
  name: string
  recordType: string
  organName: string
  year?: number
  note: string
  documents: number
  pages: number
  done: number
  lowConfidence: number
  createdAt: string
  createdBy: string
}

export interface Metadata {
  docCode: string
  typeName: string
  codeNumber: string
  codeNotation: string
  issuedDate: string
  organName: string
  subject: string
  language?: string
  pageAmount?: number
  description?: string
  keyword?: string
}

export interface BatchInput {
  name: string
  recordType: string
  organName: string
  year?: number
  note?: string
}

export interface ReviewPage {
  jobId: string
  name: string
  page: Page
}

// --- calls -----------------------------------------------------------------

const enc = encodeURIComponent

// UploadTarget binds an upload by hand: to a dossier (and one of its
// components) or to an archive batch.
export interface UploadTarget {
  dossier?: string
  component?: string
  batch?: string
}

// scanUploadUrl is where a file is POSTed: the user's file name (NFC, as
// the desk shows it) and the optional binding.
export function scanUploadUrl(name: string, t: UploadTarget = {}): string {
  let url = '/api/scans?name=' + enc(name.normalize('NFC'))
  if (t.dossier) url += '&dossier=' + enc(t.dossier)
  if (t.dossier && t.component) url += '&component=' + enc(t.component.normalize('NFC'))
  if (t.batch) url += '&batch=' + enc(t.batch)
  return url
}

export function uploadScan(file: File, t: UploadTarget = {}, fetchFn?: typeof fetch): Promise<{ job: Job; duplicate: boolean }> {
  return upload(scanUploadUrl(file.name, t), file, fetchFn)
}

export interface ScanFilter {
  state?: JobState
  dossier?: string
  batch?: string
  limit?: number
}

export function listScans(f: ScanFilter = {}): Promise<{ items: Job[] | null; counts: ScanCounts }> {
  return request('GET', '/api/scans' + queryString({ state: f.state, dossier: f.dossier, batch: f.batch, limit: f.limit }))
}

export function getScan(id: string): Promise<{ job: Job; pages: Page[] | null }> {
  return request('GET', '/api/scans/' + enc(id))
}

export function bindScan(id: string, dossierId: string, component?: string): Promise<{ job: Job }> {
  return request('POST', `/api/scans/${enc(id)}/bind`, component ? { dossierId, component } : { dossierId })
}

export function retryScan(id: string): Promise<{ job: Job }> {
  return request('POST', `/api/scans/${enc(id)}/retry`)
}

export function savePageText(id: string, n: number, text: string): Promise<{ page: Page }> {
  return request('PUT', `/api/scans/${enc(id)}/pages/${n}/text`, { text: text.normalize('NFC') })
}

export function searchAll(q: string, limit = 20): Promise<{ dossiers: Dossier[] | null; pages: Hit[] | null }> {
  return request('GET', '/api/search' + queryString({ q: q.normalize('NFC'), limit }))
}

export function createBatch(b: BatchInput): Promise<{ batch: Batch }> {
  return request('POST', '/api/archive/batches', b)
}

export function listBatches(): Promise<{ items: Batch[] | null }> {
  return request('GET', '/api/archive/batches')
}

export function getBatch(id: string): Promise<{ batch: Batch; documents: { job: Job; meta: Metadata | null }[] | null }> {
  return request('GET', '/api/archive/batches/' + enc(id))
}

export function saveMetadata(batchId: string, jobId: string, m: Metadata): Promise<{ meta: Metadata }> {
  return request('PUT', `/api/archive/batches/${enc(batchId)}/documents/${enc(jobId)}`, m)
}

export function getReview(batchId: string): Promise<{ pages: ReviewPage[] | null }> {
  return request('GET', `/api/archive/batches/${enc(batchId)}/review`)
}

export function pageImageUrl(id: string, n: number): string {
  return `/api/scans/${enc(id)}/pages/${n}/image`
}

// pdfUrl is the searchable PDF, opened on page pdfPage when given.
export function pdfUrl(id: string, pdfPage?: number | null): string {
  return `/api/scans/${enc(id)}/pdf` + (pdfPage ? `#page=${pdfPage}` : '')
}

export function originalUrl(id: string): string {
  return `/api/scans/${enc(id)}/original`
}

export function exportUrl(batchId: string): string {
  return `/api/archive/batches/${enc(batchId)}/export.zip`
}

// --- jobs ------------------------------------------------------------------

export const STATE_LABELS: Record<JobState, string> = {
  queued: 'Đang chờ',
  running: 'Đang xử lý',
  done: 'Hoàn thành',
  failed: 'Lỗi',
}

export function stateLabel(j: Pick<Job, 'state' | 'stateLabel'>): string {
  return j.stateLabel || STATE_LABELS[j.state as JobState] || j.state
}

// jobTone is the colour of a job's state pill (the Outbox's tones).
export function jobTone(state: string): 'ok' | 'info' | 'warn' | 'danger' | '' {
  switch (state) {
    case 'done':
      return 'ok'
    case 'running':
      return 'info'
    case 'queued':
      return 'warn'
    case 'failed':
      return 'danger'
  }
  return ''
}

export function isActive(j: Pick<Job, 'state'>): boolean {
  return j.state === 'queued' || j.state === 'running'
}

export interface Progress {
  done: number
  total: number // 0 while the page count is not known
  percent: number // 0–100, whole
  label: string // "2/3 trang", "Chưa rõ số trang"
}

// progress is what a job's bar shows: pages finished over pages. A finished
// job is full whatever its counters say; a job whose page count is not known
// yet shows an empty bar.
export function progress(j: Pick<Job, 'state' | 'pages' | 'done'>): Progress {
  const total = Math.max(0, Math.floor(j.pages || 0))
  const done = Math.min(total, Math.max(0, Math.floor(j.done || 0)))
  if (total === 0) {
    const full = j.state === 'done'
    return { done: 0, total: 0, percent: full ? 100 : 0, label: full ? 'Không có trang' : 'Chưa rõ số trang' }
  }
  const percent = j.state === 'done' ? 100 : Math.floor((done * 100) / total)
  return { done, total, percent, label: `${done}/${total} trang` }
}

// jobErrorText names the page that failed, when one did.
// (The server's message may name it already.)
export function jobErrorText(e: JobError | null | undefined): string {
  if (!e) return ''
  if (!e.page || new RegExp(`^Trang ${e.page}\\b`).test(e.message)) return e.message
  return `Trang ${e.page}: ${e.message}`
}

// blankText reports the blank pages left out of the PDF.
export function blankText(blank: number[] | null | undefined): string {
  if (!blank || blank.length === 0) return ''
  const pages = [...blank].sort((a, b) => a - b).join(', ')
  return blank.length === 1 ? `Trang trắng đã bỏ: trang ${pages}` : `Trang trắng đã bỏ: các trang ${pages}`
}

// pdfPage is where source page n landed in the searchable PDF, which leaves
// blank pages out; null for a blank page. The server's own answer (a page's
// pdfPage) wins when it gave one.
export function pdfPage(n: number, blank: number[] | null | undefined, known?: number): number | null {
  if (known !== undefined && known !== null) return known > 0 ? known : null
  const b = blank ?? []
  if (b.includes(n)) return null
  return n - b.filter((x) => x < n).length
}

// needsPolling: the job list refreshes while a job may still change.
export function needsPolling(jobs: readonly Pick<Job, 'state'>[]): boolean {
  return jobs.some(isActive)
}

// mergeJobs puts fresh copies of jobs into a list, newest first, keeping
// jobs the server's answer did not carry (an upload answered before the
// list was read).
export function mergeJobs(list: readonly Job[], fresh: readonly Job[]): Job[] {
  const byId = new Map<string, Job>()
  for (const j of list) byId.set(j.id, j)
  for (const j of fresh) byId.set(j.id, j)
  return [...byId.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1))
}

export const LOW_CONFIDENCE = 80

export function formatConfidence(c: number | null | undefined): string {
  if (c === null || c === undefined || !Number.isFinite(c)) return ''
  return `${Math.round(Math.max(0, Math.min(100, c)))}%`
}

export const MODE_LABELS: Record<string, string> = {
  colour: 'Màu',
  gray: 'Thang xám',
  bilevel: 'Đen trắng',
}

export const KIND_NAMES: Record<string, string> = { pdf: 'PDF', jpeg: 'JPEG', png: 'PNG', tiff: 'TIFF' }

// --- polling ---------------------------------------------------------------

export interface Timers {
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (t: unknown) => void
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
}

// Poller calls tick about every interval ms, one call at a time, while tick
// answers true. It stops when tick answers false (nothing left to watch) or
// when stop() is called (the screen was left); a tick that throws keeps the
// poll going (a blip of the LAN must not freeze the progress bars). kick()
// polls now and restarts a stopped poller, unless it was stopped for good.
export class Poller {
  private timer: unknown = null
  private running = false
  private again = false
  private disposed = false

  constructor(
    private readonly tick: () => Promise<boolean>,
    private readonly interval = 1000,
    private readonly timers: Timers = realTimers,
  ) {}

  get stopped(): boolean {
    return this.disposed
  }

  get active(): boolean {
    return this.timer !== null || this.running
  }

  kick(): void {
    if (this.disposed) return
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer)
      this.timer = null
    }
    if (this.running) {
      this.again = true
      return
    }
    void this.run()
  }

  // schedule polls after one interval unless a poll is already due.
  schedule(): void {
    if (this.disposed || this.timer !== null || this.running) return
    this.timer = this.timers.setTimeout(() => {
      this.timer = null
      void this.run()
    }, this.interval)
  }

  stop(): void {
    this.disposed = true
    if (this.timer !== null) this.timers.clearTimeout(this.timer)
    this.timer = null
  }

  private async run(): Promise<void> {
    this.running = true
    let more = true
    try {
      more = await this.tick()
    } catch {
      more = true
    } finally {
      this.running = false
    }
    if (this.disposed) return
    if (this.again) {
      this.again = false
      void this.run()
    } else if (more) {
      this.schedule()
    }
  }
}

// watch makes the Poller of a screen: each answer of get goes to show,
// which says whether to keep watching; report gets '' after a good poll and
// the Vietnamese message of a failed one (the poll goes on). Once the
// poller is stopped (the screen was left, or shows another job) a late
// answer is dropped.
export function watch<T>(
  get: () => Promise<T>,
  show: (v: T) => boolean,
  report: (message: string) => void,
  interval = 1000,
  timers?: Timers,
): Poller {
  const p: Poller = new Poller(
    async () => {
      let v: T
      try {
        v = await get()
      } catch (err) {
        if (!p.stopped) report(errorMessage(err))
        throw err
      }
      if (p.stopped) return false
      report('')
      return show(v)
    },
    interval,
    timers,
  )
  return p
}

// --- highlights ------------------------------------------------------------

// queryTerms are the folded words of a search, for highlighting.
export function queryTerms(q: string): string[] {
  return [...new Set(fold(q).split(' ').filter((w) => w !== ''))]
}

const WORD = /[\p{L}\p{M}\p{N}]+/gu

// highlight splits text into parts, marking the words whose folded form
// starts with one of the folded query words, the way the server matches
// ("giay" marks "Giấy"). The text itself is left exactly as it was.
export function highlight(text: string, q: string): SnippetPart[] {
  const terms = queryTerms(q)
  if (!text) return []
  if (terms.length === 0) return [{ text, hit: false }]
  const out: SnippetPart[] = []
  const push = (t: string, hit: boolean) => {
    if (t === '') return
    const last = out[out.length - 1]
    if (last && last.hit === hit && !hit) last.text += t
    else out.push({ text: t, hit })
  }
  let at = 0
  for (const m of text.matchAll(WORD)) {
    const i = m.index ?? 0
    push(text.slice(at, i), false)
    const w = fold(m[0])
    push(m[0], terms.some((t) => w.startsWith(t)))
    at = i + m[0].length
  }
  push(text.slice(at), false)
  return joinHits(out)
}

// joinHits merges hit words separated only by spaces into one mark, so a
// phrase reads as one highlight.
function joinHits(parts: SnippetPart[]): SnippetPart[] {
  const out: SnippetPart[] = []
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]
    const prev = out[out.length - 1]
    const next = parts[i + 1]
    if (!p.hit && /^[ \t]+$/.test(p.text) && prev?.hit && next?.hit) {
      prev.text += p.text + next.text
      i++
      continue
    }
    if (p.hit && prev?.hit) {
      prev.text += p.text
      continue
    }
    out.push({ ...p })
  }
  return out
}

// snippetParts cleans a server snippet for display: NFC, no empty parts,
// and the spaces around a hit left out of its mark.
export function snippetParts(s: SnippetPart[] | null | undefined): SnippetPart[] {
  const out: SnippetPart[] = []
  const push = (text: string, hit: boolean) => {
    if (text === '') return
    const last = out[out.length - 1]
    if (last && !last.hit && !hit) last.text += text
    else out.push({ text, hit })
  }
  for (const p of s ?? []) {
    const text = (p?.text ?? '').normalize('NFC')
    if (!p?.hit) {
      push(text, false)
      continue
    }
    const m = /^(\s*)([\s\S]*?)(\s*)$/.exec(text)!
    push(m[1], false)
    push(m[2], true)
    push(m[3], false)
  }
  return out
}

// --- routes ----------------------------------------------------------------

export const SCANS_PATH = '/so-hoa'
export const SEARCH_PATH = '/tim-kiem'
export const ARCHIVE_PATH = '/luu-tru'

export type ScanRoute =
  | { view: 'list' }
  | { view: 'job'; id: string; page: number | null; q: string }
  | { view: 'search'; q: string }
  | { view: 'batches' }
  | { view: 'batch'; id: string; doc: string; review: boolean }
  | null

function segment(s: string): string | null {
  if (s === '') return null
  try {
    return decodeURIComponent(s)
  } catch {
    return null
  }
}

function pageParam(v: string | null): number | null {
  if (v === null || !/^\d{1,6}$/.test(v)) return null
  const n = Number(v)
  return n >= 1 ? n : null
}

// scanRoute reads the digitization screens' routes; null for other paths.
export function scanRoute(path: string, params: URLSearchParams): ScanRoute {
  const q = (params.get('q') ?? '').normalize('NFC')
  if (path === SEARCH_PATH) return { view: 'search', q }
  if (path === SCANS_PATH || path === SCANS_PATH + '/') return { view: 'list' }
  if (path === ARCHIVE_PATH || path === ARCHIVE_PATH + '/') return { view: 'batches' }
  const parts = path.split('/')
  if (parts.length === 3 && '/' + parts[1] === SCANS_PATH) {
    const id = segment(parts[2])
    return id ? { view: 'job', id, page: pageParam(params.get('trang')), q } : null
  }
  if (parts.length === 3 && '/' + parts[1] === ARCHIVE_PATH) {
    const id = segment(parts[2])
    return id ? { view: 'batch', id, doc: params.get('tai-lieu') ?? '', review: params.get('muc') === 'soat-xet' } : null
  }
  return null
}

export function jobHref(id: string, page?: number | null, q?: string): string {
  return '#' + SCANS_PATH + '/' + enc(id) + queryString({ trang: page ?? undefined, q: q?.trim() || undefined })
}

export function searchHref(q: string): string {
  return '#' + SEARCH_PATH + queryString({ q: q.normalize('NFC').trim() })
}

export function batchHref(id: string, opts: { doc?: string; review?: boolean } = {}): string {
  return '#' + ARCHIVE_PATH + '/' + enc(id) + queryString({ 'tai-lieu': opts.doc, muc: opts.review ? 'soat-xet' : undefined })
}

// --- archive metadata ------------------------------------------------------

export type MetaKey = keyof Metadata

export const META_FIELDS: { key: MetaKey; label: string; required: boolean; hint?: string }[] = [
  { key: 'docCode', label: 'Mã hồ sơ/tài liệu', required: true },
  { key: 'typeName', label: 'Tên loại', required: true, hint: 'Ví dụ: Sổ đăng ký khai sinh, Quyết định' },
  { key: 'codeNumber', label: 'Số', required: true },
  { key: 'codeNotation', label: 'Ký hiệu', required: true, hint: 'Ví dụ: QĐ-UBND' },
  { key: 'issuedDate', label: 'Ngày ban hành', required: true, hint: 'dd/mm/yyyy' },
  { key: 'organName', label: 'Cơ quan ban hành', required: true },
  { key: 'subject', label: 'Trích yếu', required: true },
  { key: 'language', label: 'Ngôn ngữ', required: false, hint: 'Ví dụ: Tiếng Việt' },
  { key: 'pageAmount', label: 'Số trang', required: false },
  { key: 'description', label: 'Ghi chú', required: false },
  { key: 'keyword', label: 'Từ khóa', required: false },
]

export function emptyMetadata(): Metadata {
  return { docCode: '', typeName: '', codeNumber: '', codeNotation: '', issuedDate: '', organName: '', subject: '' }
}

// metaComplete reports whether the seven fields an export needs are there.
export function metaComplete(m: Metadata | null | undefined): boolean {
  if (!m) return false
  return META_FIELDS.filter((f) => f.required).every((f) => String(m[f.key] ?? '').trim() !== '')
}

// MetaForm is the metadata as the form edits it: text everywhere, the date
// as the clerk types it (dd/mm/yyyy).
export type MetaForm = Record<MetaKey, string>

export function metaToForm(m: Metadata | null | undefined): MetaForm {
  const f = {} as MetaForm
  for (const { key } of META_FIELDS) {
    const v = m?.[key]
    f[key] = v === undefined || v === null ? '' : key === 'issuedDate' ? formatDate(String(v)) : String(v)
  }
  return f
}

// checkMeta turns the form into Metadata, or gives the Vietnamese message of
// each field that is wrong. The seven required fields may be left empty
// while a batch is being described (strict=false); an export needs them.
export function checkMeta(f: MetaForm, strict = true): { meta: Metadata | null; errors: Partial<Record<MetaKey, string>> } {
  const errors: Partial<Record<MetaKey, string>> = {}
  const t = (k: MetaKey) => (f[k] ?? '').normalize('NFC').trim()
  for (const fd of META_FIELDS) {
    if (strict && fd.required && t(fd.key) === '') errors[fd.key] = `Chưa nhập ${fd.label.toLowerCase()}.`
  }
  let issued = ''
  if (t('issuedDate') !== '') {
    const d = parseDate(t('issuedDate'))
    if (d) issued = d
    else errors.issuedDate = 'Ngày ban hành không hợp lệ; nhập theo dạng ngày/tháng/năm, ví dụ 05/03/1998.'
  }
  let pages: number | undefined
  if (t('pageAmount') !== '') {
    const n = Number(t('pageAmount'))
    if (Number.isInteger(n) && n > 0 && n < 100000) pages = n
    else errors.pageAmount = 'Số trang phải là số nguyên dương.'
  }
  if (Object.keys(errors).length > 0) return { meta: null, errors }
  const meta: Metadata = {
    docCode: t('docCode'),
    typeName: t('typeName'),
    codeNumber: t('codeNumber'),
    codeNotation: t('codeNotation'),
    issuedDate: issued,
    organName: t('organName'),
    subject: t('subject'),
  }
  if (t('language')) meta.language = t('language')
  if (pages !== undefined) meta.pageAmount = pages
  if (t('description')) meta.description = t('description')
  if (t('keyword')) meta.keyword = t('keyword')
  return { meta, errors }
}

// batchProgress is a batch's bar: pages finished over pages.
export function batchProgress(b: Pick<Batch, 'pages' | 'done'>): Progress {
  return progress({ state: b.pages > 0 && b.done >= b.pages ? 'done' : 'running', pages: b.pages, done: b.done })
}
