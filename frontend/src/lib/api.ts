// The one client of the backend's HTTP/JSON API (app/api). Inside the Wails
// window and in a browser on the LAN the same relative URLs work.

export interface ErrorEnvelope {
  error: { code: string; message: string; fields?: Record<string, string> }
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly fields: Record<string, string>

  constructor(status: number, code: string, message: string, fields: Record<string, string> = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = fields
  }
}

export const UNAUTHENTICATED_EVENT = 'motcua:unauthenticated'

export const NETWORK_MESSAGE =
  'Không kết nối được với máy chủ của ứng dụng. Vui lòng kiểm tra ứng dụng còn đang chạy rồi thử lại.'

// errorMessage is what the desk shows for a failed call: the server's
// Vietnamese message, or the network one.
export function errorMessage(err: unknown): string {
  return err instanceof ApiError ? err.message : NETWORK_MESSAGE
}

// orNotFound answers null instead of failing when the thing is not there
// (404), so a screen can say so and stop watching it.
export async function orNotFound<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null
    throw err
  }
}

function isEnvelope(v: unknown): v is ErrorEnvelope {
  if (typeof v !== 'object' || v === null || !('error' in v)) return false
  const e = (v as { error: unknown }).error
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
}

// toApiError turns any non-2xx answer into an ApiError with a Vietnamese
// message, even when the body is not our envelope (a proxy's HTML page).
export async function toApiError(resp: Response): Promise<ApiError> {
  let body: unknown = null
  try {
    body = await resp.json()
  } catch {
    body = null
  }
  if (isEnvelope(body)) {
    return new ApiError(resp.status, body.error.code, body.error.message, body.error.fields ?? {})
  }
  return new ApiError(resp.status, 'http_' + resp.status, `Máy chủ trả lời lỗi ${resp.status}.`)
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  fetchFn: typeof fetch = fetch,
): Promise<T> {
  return send<T>(
    path,
    {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
    fetchFn,
  )
}

// upload POSTs a file (or any Blob) as the raw request body, the way the
// scan intake takes files: no multipart, no JSON, the bytes as they are.
export async function upload<T>(path: string, file: Blob, fetchFn: typeof fetch = fetch): Promise<T> {
  return send<T>(
    path,
    { method: 'POST', headers: { 'Content-Type': file.type || 'application/octet-stream' }, body: file },
    fetchFn,
  )
}

// fetchOK sends the request and returns a successful response, or throws
// the ApiError of a failed one (network errors included).
async function fetchOK(path: string, init: RequestInit, fetchFn: typeof fetch): Promise<Response> {
  let resp: Response
  try {
    resp = await fetchFn(path, init)
  } catch {
    throw new ApiError(0, 'network', NETWORK_MESSAGE)
  }
  if (!resp.ok) {
    const err = await toApiError(resp)
    // Any call can find the session gone (expired, logged out elsewhere):
    // the app shell listens and shows the login screen.
    if (err.code === 'unauthenticated' && typeof window !== 'undefined') {
      window.dispatchEvent(new CustomEvent(UNAUTHENTICATED_EVENT))
    }
    throw err
  }
  return resp
}

async function send<T>(path: string, init: RequestInit, fetchFn: typeof fetch): Promise<T> {
  const resp = await fetchOK(path, init, fetchFn)
  // A DELETE may answer 204 with no body.
  if (resp.status === 204) return undefined as T
  return (await resp.json()) as T
}

// Backups and the audit check (admin screen "Sao lưu", app/api/backups.go).

export interface BackupSettings {
  enabled: boolean
  folder: string
  schedule: 'daily' | 'interval'
  at: string
  everyHours: number
  keep: number
  updatedAt?: string
}

export interface BackupVerification {
  at: string
  ok: boolean
  schema: number
  auditEntries: number
  auditBrokenAt?: number
  auditReason?: string
  blobs: number
  missingBlobs?: number
  problem?: string
}

export interface BackupResult {
  startedAt: string
  finishedAt: string
  trigger: 'schedule' | 'manual'
  by?: string
  name?: string
  path?: string
  size: number
  blobs: number
  verified: boolean
  verification?: BackupVerification
  problem?: string
  error?: string
  message?: string
  removed?: string[]
}

export interface PendingRestore {
  name: string
  created: string
  preparedAt: string
  by?: string
  replaced: string
  verification: BackupVerification
  from?: string
  otherPc?: boolean
  deviceForgotten?: boolean
}

export interface BackupStatus {
  running?: 'backup' | 'restore'
  phase?: string
  phaseLabel?: string
  startedAt?: string
  last?: BackupResult
  lastSuccess?: BackupResult
  next?: string
  pendingRestore?: PendingRestore
}

export interface BackupInfo {
  name: string
  created: string
  size: number
  blobs: number
  schema: number
  version: string
  verified: boolean
  verification?: BackupVerification
  restorable: boolean
  problem?: string
}

export interface BackupState {
  settings: BackupSettings
  status: BackupStatus
}

export interface BackupList extends BackupState {
  backups: BackupInfo[]
  folderProblem?: { code: string; message: string }
}

export interface AuditReport {
  ok: boolean
  entries: number
  brokenAt?: number
  reason?: string
  message: string
  checkedAt: string
}

export const getBackupSettings = () => request<BackupState>('GET', '/api/backups/settings')
export const saveBackupSettings = (s: BackupSettings) => request<BackupState>('PUT', '/api/backups/settings', s)
export const listBackups = () => request<BackupList>('GET', '/api/backups')
export const backupNow = () => request<BackupState>('POST', '/api/backups')
export const prepareRestore = (name: string) =>
  request<BackupState & { pending: PendingRestore; message: string }>('POST', '/api/backups/restore', { name })
export const prepareRestoreFrom = (path: string, recoveryKey: string, keepDevice: boolean) =>
  request<BackupState & { pending: PendingRestore; message: string }>('POST', '/api/backups/restore-from', {
    path,
    recoveryKey,
    keepDevice,
  })
export const cancelRestore = () => request<BackupState>('DELETE', '/api/backups/restore')
export const verifyAudit = () => request<AuditReport>('GET', '/api/audit/verify')

// Scan intake besides uploads (#/so-hoa, panel "Nguồn nhập"; app/api/scans.go):
// the watch folder the scanner's own software saves into, and scanning
// straight from a scanner through SANE.

export interface ScannerDevice {
  id: string
  name: string
}

export interface IntakeStatus {
  watchFolder: string
  watching: boolean
  watchProblem?: 'missing' | 'denied' | 'not_folder' | 'unreadable' | string // why the folder cannot be read
  watchError?: string // the same in Vietnamese, to show
  imported: number // files the watcher imported since the program started
  sane: boolean
  scanners: ScannerDevice[] | null
}

export interface DeviceScan {
  device?: string // "" lets SANE pick its default scanner
  dpi?: number
  colour?: boolean
  feeder?: boolean
  dossierId?: string
  component?: string
  batchId?: string
}

// The resolutions the desk offers; the server takes 150–600 dpi.
export const SCAN_DPIS = [150, 200, 300, 400, 600] as const
export const DEFAULT_SCAN_DPI = 300

// deviceScanBody is what POST /api/intake/scan is sent: empty choices are
// left out, and a component only goes with its dossier.
export function deviceScanBody(s: DeviceScan): DeviceScan {
  const b: DeviceScan = { dpi: s.dpi || DEFAULT_SCAN_DPI, colour: !!s.colour, feeder: !!s.feeder }
  if (s.device) b.device = s.device
  if (s.dossierId) {
    b.dossierId = s.dossierId
    if (s.component) b.component = s.component.normalize('NFC')
  }
  if (s.batchId) b.batchId = s.batchId
  return b
}

// scannerLabel names a scanner in the list: its model, led by its SANE
// name when another scanner has the same model (two of one kind).
export function scannerLabel(s: ScannerDevice, all: readonly ScannerDevice[]): string {
  const name = s.name.trim() || s.id
  return all.some((o) => o.id !== s.id && o.name.trim() === s.name.trim()) ? `${s.id} · ${name}` : name
}

// The answer lists scanners, which takes SANE a few seconds: ask rarely.
export const getIntake = (fetchFn?: typeof fetch) => request<IntakeStatus>('GET', '/api/intake', undefined, fetchFn)
// putIntake sets the watch folder (admin); "" stops watching.
export const putIntake = (watchFolder: string, fetchFn?: typeof fetch) =>
  request<{ watchFolder: string }>('PUT', '/api/intake', { watchFolder: watchFolder.trim() }, fetchFn)
// scanFromDevice answers once every page is scanned (a full feeder takes a
// minute or more) with the new job, which then goes through the queue.
export const scanFromDevice = (s: DeviceScan, fetchFn?: typeof fetch) =>
  request<{ job: import('./scans').Job }>('POST', '/api/intake/scan', deviceScanBody(s), fetchFn)

// IntakeTracker paces the panel while a folder is watched: the job counts
// are cheap and polled often; a change means a file came in (refresh the
// job list) and the watcher's status should be asked again, but not more
// than once per minGap ms; the status is asked at least every maxGap ms
// (a share that went away).
export class IntakeTracker {
  private total = -1
  private lastStatus: number
  private pending = false

  constructor(
    private readonly now: () => number = Date.now,
    private readonly minGap = 10_000,
    private readonly maxGap = 60_000,
  ) {
    this.lastStatus = now()
  }

  // statusLoaded records a fresh status.
  statusLoaded(): void {
    this.lastStatus = this.now()
    this.pending = false
  }

  // seen takes the job counts of a poll and says what to refresh.
  seen(c: { queued: number; running: number; done: number; failed: number }): { jobs: boolean; status: boolean } {
    const total = c.queued + c.running + c.done + c.failed
    const jobs = this.total >= 0 && total !== this.total
    this.total = total
    if (jobs) this.pending = true
    const age = this.now() - this.lastStatus
    return { jobs, status: (this.pending && age >= this.minGap) || age >= this.maxGap }
  }
}

// A new recovery key (admins, Sao lưu screen): the admin's password again;
// the old key stops working and the new one is pending, shown once like the
// first-run key (GET /api/security/recovery-key, then …/ack).
export const rotateRecoveryKey = (password: string, fetchFn?: typeof fetch) =>
  request<{ pending: boolean }>('POST', '/api/security/recovery-key/rotate', { password }, fetchFn)

// The no-network fallback (Đồng bộ › “Xuất gói USB”, app/api/sync.go): the
// pending outbox as one file signed by this device, carried to the
// provincial hub on a USB stick, and the hub's signed bundle of results
// brought back. Exporting marks nothing as sent: the items stay queued until
// the hub confirms them online (it then finds them already there).

export interface SyncBundleFile {
  blob: Blob
  filename: string
  items: number // outbox items in the file
  files: number // scans and PDFs in it
  held: number // items left out (a file not on this PC); they stay queued
}

const bundleHeaderCount = (resp: Response, name: string): number => Number(resp.headers.get(name) ?? '0') || 0

// exportSyncBundle asks for the bundle and reads it whole (the caller saves
// it); a download cut half-way is an error, never a short file.
export async function exportSyncBundle(fetchFn: typeof fetch = fetch): Promise<SyncBundleFile> {
  const resp = await fetchOK('/api/sync/bundle', { method: 'POST' }, fetchFn)
  let blob: Blob
  try {
    blob = await resp.blob()
  } catch {
    throw new ApiError(0, 'network', 'Tải gói bị gián đoạn giữa chừng; vui lòng xuất lại.')
  }
  const filename = /filename="([^"]+)"/.exec(resp.headers.get('Content-Disposition') ?? '')?.[1] ?? 'motcua-goi-dong-bo.zip.age'
  return {
    blob,
    filename,
    items: bundleHeaderCount(resp, 'Motcua-Bundle-Items'),
    files: bundleHeaderCount(resp, 'Motcua-Bundle-Files'),
    held: bundleHeaderCount(resp, 'Motcua-Bundle-Held'),
  }
}

export interface ResultsImport {
  bundleId: string
  createdAt: string
  changes: number
  applied: number // changed a dossier or recorded a note
  duplicates: number // already here (pulled online or imported before)
  conflicts: number // wait for a person (Đồng bộ › Cần cán bộ xử lý)
  files: number // result papers stored
  cursor: string
  cursorAdvanced: boolean
  more: boolean // the hub holds further changes: ask for another bundle
}

// importResultsBundle sends the hub's results bundle (admins); S is the
// sync status type of lib/sync.
export const importResultsBundle = <S = unknown>(file: Blob, fetchFn?: typeof fetch) =>
  upload<{ import: ResultsImport; status: S }>('/api/sync/bundle/import', file, fetchFn)
