import { describe, expect, it } from 'vitest'
import { ApiError, deviceScanBody, getIntake, IntakeTracker, putIntake, scanFromDevice, scannerLabel } from './api'

// recorder answers every call with body/status and keeps what was sent.
function recorder(status: number, body: unknown) {
  const calls: { url: string; init?: RequestInit }[] = []
  const f = (async (url: string, init?: RequestInit) => {
    calls.push({ url, init })
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
  }) as typeof fetch
  return { f, calls }
}

describe('deviceScanBody', () => {
  it('defaults to 300 dpi, gray, flatbed and leaves empty choices out', () => {
    expect(deviceScanBody({})).toEqual({ dpi: 300, colour: false, feeder: false })
    expect(deviceScanBody({ device: '', dossierId: '', component: 'Tờ khai', batchId: '' })).toEqual({ dpi: 300, colour: false, feeder: false })
  })

  it('keeps the device, the resolution and the binding', () => {
    const b = deviceScanBody({ device: 'test:0', dpi: 150, colour: true, feeder: true, dossierId: 'd1', component: 'T\u01a1\u0300 khai' })
    expect(b).toEqual({ device: 'test:0', dpi: 150, colour: true, feeder: true, dossierId: 'd1', component: 'Tờ khai' })
    expect(b.component).toBe('Tờ khai'.normalize('NFC'))
    expect(deviceScanBody({ batchId: 'b7' }).batchId).toBe('b7')
  })
})

describe('scannerLabel', () => {
  const epson = { id: 'epson2:libusb:001:004', name: 'Epson DS-530' }
  const twin = [
    { id: 'test:0', name: 'Noname frontend-tester virtual device' },
    { id: 'test:1', name: 'Noname frontend-tester virtual device' },
  ]

  it('is the model alone when it is the only one of its kind', () => {
    expect(scannerLabel(epson, [epson, twin[0]])).toBe('Epson DS-530')
  })

  it('leads with the SANE name when two scanners are the same model', () => {
    const all = [epson, ...twin]
    expect(all.map((s) => scannerLabel(s, all))).toEqual([
      'Epson DS-530',
      'test:0 · Noname frontend-tester virtual device',
      'test:1 · Noname frontend-tester virtual device',
    ])
  })

  it('falls back to the SANE name when the model is empty', () => {
    expect(scannerLabel({ id: 'net:10.0.0.5:fujitsu', name: '' }, [])).toBe('net:10.0.0.5:fujitsu')
  })
})

describe('intake calls', () => {
  it('scanFromDevice POSTs the body and returns the job', async () => {
    const { f, calls } = recorder(202, { job: { id: 'j9', name: 'may-quet.pdf' } })
    const res = await scanFromDevice({ device: 'test:0', dpi: 150, feeder: true }, f)
    expect(res.job.id).toBe('j9')
    expect(calls[0].url).toBe('/api/intake/scan')
    expect(calls[0].init?.method).toBe('POST')
    expect(JSON.parse(String(calls[0].init?.body))).toEqual({ device: 'test:0', dpi: 150, colour: false, feeder: true })
  })

  it('scanFromDevice rejects with the server message of a 409', async () => {
    const msg = 'Máy quét không trả về trang nào. Kiểm tra giấy trong khay, nắp máy và kết nối rồi thử lại.'
    const { f } = recorder(409, { error: { code: 'scanner_no_pages', message: msg } })
    const err = await scanFromDevice({ feeder: true }, f).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('scanner_no_pages')
    expect((err as ApiError).message).toBe(msg)
  })

  it('putIntake sends the trimmed folder and carries the field error', async () => {
    const ok = recorder(200, { watchFolder: '/srv/quet' })
    expect(await putIntake('  /srv/quet ', ok.f)).toEqual({ watchFolder: '/srv/quet' })
    expect(ok.calls[0].init?.method).toBe('PUT')
    expect(ok.calls[0].url).toBe('/api/intake')
    expect(JSON.parse(String(ok.calls[0].init?.body))).toEqual({ watchFolder: '/srv/quet' })

    const bad = recorder(400, {
      error: { code: 'validation_failed', message: 'Thông tin chưa hợp lệ', fields: { watchFolder: 'Thư mục quét phải là đường dẫn đầy đủ.' } },
    })
    const err = (await putIntake('Quet', bad.f).catch((e: unknown) => e)) as ApiError
    expect(err.fields.watchFolder).toBe('Thư mục quét phải là đường dẫn đầy đủ.')
  })

  it('getIntake reads the status', async () => {
    const st = { watchFolder: '', watching: false, imported: 0, sane: true, scanners: [{ id: 'test:0', name: 'Noname frontend-tester virtual device' }] }
    const { f, calls } = recorder(200, st)
    expect(await getIntake(f)).toEqual(st)
    expect(calls[0].init?.method).toBe('GET')
  })
})

describe('IntakeTracker', () => {
  const counts = (done: number, queued = 0) => ({ queued, running: 0, done, failed: 0 })

  it('does not call the first poll a change', () => {
    let now = 0
    const t = new IntakeTracker(() => now, 10_000, 60_000)
    expect(t.seen(counts(5))).toEqual({ jobs: false, status: false })
    now = 4000
    expect(t.seen(counts(5))).toEqual({ jobs: false, status: false })
  })

  it('a new job refreshes the list at once and the status no more than once per gap', () => {
    let now = 0
    const t = new IntakeTracker(() => now, 10_000, 60_000)
    t.seen(counts(5))
    now = 4000
    // A job moving from queued to done keeps the total: no change.
    expect(t.seen(counts(4, 1))).toEqual({ jobs: false, status: false })
    now = 8000
    expect(t.seen(counts(5, 1))).toEqual({ jobs: true, status: false })
    now = 12_000
    expect(t.seen(counts(6))).toEqual({ jobs: false, status: true })
    t.statusLoaded()
    now = 16_000
    expect(t.seen(counts(6))).toEqual({ jobs: false, status: false })
    now = 20_000
    expect(t.seen(counts(7))).toEqual({ jobs: true, status: false })
    now = 22_000
    expect(t.seen(counts(7))).toEqual({ jobs: false, status: true })
  })

  it('asks for the status at least every maxGap', () => {
    let now = 0
    const t = new IntakeTracker(() => now, 10_000, 60_000)
    t.seen(counts(1))
    now = 59_999
    expect(t.seen(counts(1)).status).toBe(false)
    now = 60_000
    expect(t.seen(counts(1)).status).toBe(true)
    t.statusLoaded()
    expect(t.seen(counts(1)).status).toBe(false)
  })
})
