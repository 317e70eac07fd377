// Types and calls of the reception desk API (docs/API.md): procedures,
// applicants, dossiers and their actions, the dashboard. Every call goes
// through request() in api.ts.
import { request, type ApiError } from './api'
import { queryString } from './query'

export interface ProcessingTime {
  amount: number
  unit: 'working_hours' | 'working_days' | 'calendar_days' | 'same_day_cutoff' | string
  label: string
  note?: string
  provisional?: boolean
}

export interface Fee {
  name: string
  amount: number
  per?: string
  note?: string
  provisional?: boolean
}

export interface Component {
  name: string
  originals: number
  certified: number
  copies: number
  required?: boolean
  presented?: boolean
  note?: string
}

export interface Procedure {
  code: string
  name: string
  field: string
  processingTime: ProcessingTime
  supplementPolicy?: 'pause_shift' | 'restart' | string
  fees: Fee[] | null
  components: Component[] | null
  results: string[] | null
  channels: string[] | null
  competence?: string
}

export type ApplicantKind = 'person' | 'organisation' | 'enterprise' | 'state_agency'

export interface Applicant {
  id?: string
  kind: ApplicantKind | string
  name: string
  idNumber: string
  birthDate?: string
  address: string
  phone: string
  email: string
}

export interface Representative {
  name: string
  idNumber: string
  address: string
  phone: string
  email: string
  authorization: string
}

export interface ReceptionComponent {
  name: string
  originals: number
  certified: number
  copies: number
}

export type Outcome = 'complete' | 'incomplete' | 'refused'

export interface Reception {
  requestId: string
  procedureCode: string
  applicant: Applicant
  representative?: Representative
  channel: 'in_person' | 'postal'
  postmarkAt?: string
  components: ReceptionComponent[]
  sets: number
  outcome: Outcome
  supplementItems?: string[]
  reason?: string
  resultDelivery: 'in_person' | 'post'
  note?: string
}

export interface AllowedAction {
  action: string
  label: string
}

export interface Dossier {
  id: string
  code: string
  procedureCode: string
  procedureName: string
  field: string
  applicant: Applicant
  representative?: Partial<Representative> | null
  channel: string
  channelLabel: string
  components: (ReceptionComponent & { digitised?: boolean })[] | null
  sets: number
  receivedAt?: string
  dueAt?: string
  originalDueAt?: string
  pausedAt?: string
  state: string
  stateLabel: string
  nationalStatus: number
  allowedActions: AllowedAction[] | null
  deadline: '' | 'due_soon' | 'overdue'
  resultDelivery: string
  leadAgency?: string
  resultDocs?: string[] | null
  /** Result papers the processing agency sent as files through the hub. */
  resultFiles?: { name: string; sha256: string; size: number }[] | null
  returnedAt?: string
  receiverName?: string
  fee: number
  note: string
  createdBy: string
}

export interface DossierEvent {
  id: string
  action: string
  actionLabel: string
  from: string
  to: string
  fromLabel: string
  toLabel: string
  actor: string
  actorName: string
  at: string
  reason?: string
  note?: string
  dueDate?: string
  prevDueDate?: string
  supplementItems?: string[] | null
  agency?: string
  agencyName?: string
  assignee?: string
  giver?: string
  receiver?: string
  amount?: number
  resultDocs?: string[] | null
  returnMethod?: string
  receiverName?: string
  receiverId?: string
  postalTracking?: string
}

export interface Action {
  requestId: string
  action: string
  reason?: string
  note?: string
  dueDate?: string
  supplementItems?: string[]
  agency?: string
  agencyName?: string
  assignee?: string
  giver?: string
  receiver?: string
  amount?: number
  resultDocs?: string[]
  returnMethod?: 'in_person' | 'post'
  receiverName?: string
  receiverId?: string
  postalTracking?: string
}

export interface Counts {
  dueToday: number
  overdue: number
  awaitingSupplement: number
  readyToReturn: number
}

export interface DossierList {
  items: Dossier[] | null
  next: string
  counts: Counts
}

export interface DossierDetail {
  dossier: Dossier
  events: DossierEvent[] | null
}

export interface Dashboard {
  from: string
  to: string
  received: number
  completed: number
  completedOnTime: number
  onTimeRate: number | null
  digitisedRate: number | null
  channels: Record<string, number>
  dueToday: number
  overdue: number
  awaitingSupplement: number
  readyToReturn: number
}

export type ListName = 'recent' | 'due_today' | 'overdue' | 'awaiting_supplement' | 'ready_to_return' | 'all'

export const LISTS: { name: ListName; label: string; count?: keyof Counts }[] = [
  { name: 'due_today', label: 'Đến hạn hôm nay', count: 'dueToday' },
  { name: 'overdue', label: 'Quá hạn', count: 'overdue' },
  { name: 'awaiting_supplement', label: 'Chờ bổ sung', count: 'awaitingSupplement' },
  { name: 'ready_to_return', label: 'Chờ trả kết quả', count: 'readyToReturn' },
  { name: 'recent', label: 'Mới tiếp nhận' },
  { name: 'all', label: 'Tất cả' },
]

export function isListName(s: string | null): s is ListName {
  return LISTS.some((l) => l.name === s)
}

const enc = encodeURIComponent

export function searchProcedures(q: string): Promise<{ procedures: Procedure[] | null }> {
  return request('GET', '/api/procedures' + queryString({ q }))
}

export function getProcedure(code: string): Promise<{ procedure: Procedure }> {
  return request('GET', '/api/procedures/' + enc(code))
}

export function searchApplicants(q: string): Promise<{ applicants: Applicant[] | null }> {
  return request('GET', '/api/applicants' + queryString({ q }))
}

export function receive(r: Reception): Promise<{ dossier: Dossier; duplicate: boolean }> {
  return request('POST', '/api/dossiers', r)
}

export function listDossiers(list: ListName, q: string, cursor = '', limit = 50): Promise<DossierList> {
  return request('GET', '/api/dossiers' + queryString({ list, q, limit, cursor }))
}

export function getDossier(id: string): Promise<DossierDetail> {
  return request('GET', '/api/dossiers/' + enc(id))
}

export function getDossierByCode(code: string): Promise<DossierDetail> {
  return request('GET', '/api/dossiers/by-code/' + enc(code))
}

export function act(id: string, a: Action): Promise<{ dossier: Dossier; event: DossierEvent }> {
  return request('POST', '/api/dossiers/' + enc(id) + '/actions', a)
}

export function getDashboard(from: string, to: string): Promise<Dashboard> {
  return request('GET', '/api/dashboard' + queryString({ from, to }))
}

export type FormName = 'receipt' | 'supplement' | 'refusal' | 'apology' | 'stop' | 'control'

export const FORM_LABELS: Record<FormName, string> = {
  receipt: 'Giấy tiếp nhận và hẹn trả kết quả',
  supplement: 'Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ',
  refusal: 'Phiếu từ chối tiếp nhận, giải quyết hồ sơ',
  apology: 'Phiếu xin lỗi và hẹn lại ngày trả kết quả',
  stop: 'Thông báo dừng giải quyết hồ sơ',
  control: 'Phiếu kiểm soát quá trình giải quyết hồ sơ',
}

export function formUrl(id: string, form: FormName): string {
  return `/api/dossiers/${enc(id)}/forms/${form}`
}

export function formFilename(code: string, form: FormName): string {
  return `${code}-${form}.pdf`
}

export function registerUrl(kind: 'xlsx' | 'pdf', from: string, to: string): string {
  return `/api/register.${kind}` + queryString({ from, to })
}

// availableForms lists the printable forms of a dossier from what happened
// to it: the receipt and control slip once it was received, each notice once
// its action was recorded. Order is the desk's order of use.
export function availableForms(events: DossierEvent[]): FormName[] {
  const did = new Set(events.map((e) => e.action))
  const out: FormName[] = []
  const received = did.has('receive_complete') || did.has('supplement_received')
  if (received) out.push('receipt')
  if (did.has('receive_incomplete') || did.has('request_supplement')) out.push('supplement')
  if (did.has('refuse')) out.push('refusal')
  if (did.has('apologize_extend')) out.push('apology')
  if (did.has('stop')) out.push('stop')
  if (received) out.push('control')
  return out
}

// outcomeForm is the slip printed right after a reception.
export function outcomeForm(outcome: Outcome): FormName {
  return outcome === 'complete' ? 'receipt' : outcome === 'incomplete' ? 'supplement' : 'refusal'
}

// feeSummary renders a procedure's fees on one line: "2.000 đ/trang".
export function feeSummary(fees: Fee[] | null, money: (n: number) => string): string {
  if (!fees || fees.length === 0) return 'Không thu phí'
  return fees.map((f) => (f.amount === 0 ? 'Miễn phí' : money(f.amount) + (f.per ? '/' + f.per : ''))).join('; ')
}

// isProvisional reports whether a procedure has values still to confirm
// against the province's published decision.
export function isProvisional(p: Procedure): boolean {
  return !!p.processingTime?.provisional || (p.fees ?? []).some((f) => f.provisional)
}

export const KIND_LABELS: Record<string, string> = {
  person: 'Cá nhân',
  organisation: 'Tổ chức',
  enterprise: 'Doanh nghiệp',
  state_agency: 'Cơ quan nhà nước',
}

// storedNothing reports whether a failed submit definitely changed nothing
// on the server, so the next attempt may carry a fresh requestId: a 4xx
// answer other than "this requestId was already used". A network error or a
// 5xx leaves the outcome unknown, and the retry must reuse the requestId.
export function storedNothing(err: ApiError): boolean {
  return err.status >= 400 && err.status < 500 && err.code !== 'duplicate_request'
}

// newRequestId mints the idempotency key of one form or dialog.
export function newRequestId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  // crypto.randomUUID needs a secure context; a LAN browser on http:// has
  // only getRandomValues.
  const b = new Uint8Array(16)
  crypto.getRandomValues(b)
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
