// Issue 5's end-to-end acceptance run, with real processes on loopback: a
// PostgreSQL cluster and the hub (cmd/hub), and a commune desk (`motcua
// serve`) enrolled with a one-time code. The hub goes down; the desk
// receives 200 dossiers and a scan of each (a born-digital PDF, so no OCR)
// and keeps them all pending. The hub comes back on the same address and
// database; the desk sends everything, and PostgreSQL holds exactly 200
// dossiers, one attach_scans event and one hash-verified blob each. An
// official completes one dossier in the hub's web UI (Chromium) and the
// desk shows its result after the next pull, in Chromium too.
import assert from 'node:assert/strict'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { apiAs, launchBrowser, OFFICE, receiveDossier, setupDesk, shotPath, startServer, tempDir } from './harness.mjs'
import { buildHub, freePort, hubCli, makePdf, sha256, staffLogin, startHub, startPostgres } from './hub-harness.mjs'

const N = 200
const PROVINCE = 'H56'
const DEPARTMENT = '000.00.12.H56'
const COMMUNE = OFFICE.agencyCode
const staff = { username: 'canbo.tuphap', fullName: 'Lê Thu Hà', password: 'Mật khẩu cán bộ tỉnh 2026' }
const PROCEDURE = '2.000815'

let work, pgc, hubBin, hubEnv, hubListen, hub, desk, b, token, api

// waitFor polls fn, which answers {ok, value}, until ok; it returns that
// value, or fails with the last value seen.
async function waitFor(what, fn, timeout = 60000, every = 250) {
  const end = Date.now() + timeout
  let last
  for (;;) {
    last = await fn()
    if (last?.ok) return last.value
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last?.value ?? last)}`)
    await new Promise((r) => setTimeout(r, every))
  }
}

// runPool runs task(i) for i in [0, n) with at most width in flight.
async function runPool(n, width, task) {
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await task(next++)
    }),
  )
}

const status = async () => {
  const { status: code, body } = await api('/api/sync/status')
  assert.equal(code, 200, JSON.stringify(body))
  return body.status
}

before(async () => {
  work = tempDir('motcua-e2e-syncfull-')
  const [bin, cluster, port] = await Promise.all([Promise.resolve().then(() => buildHub(work)), startPostgres(), freePort()])
  ;[hubBin, pgc, hubListen] = [bin, cluster, `127.0.0.1:${port}`]
  hubEnv = { ...process.env, HUB_DATABASE_URL: pgc.url, HUB_BLOB_DIR: join(work, 'hub-blobs') }
  const cli = hubCli(hubBin, hubEnv)
  cli(['agency', '--code', PROVINCE, '--name', 'UBND tỉnh Khánh Hòa', '--kind', 'province', '--level', '1'])
  cli(['agency', '--code', DEPARTMENT, '--name', 'Sở Tư pháp tỉnh Khánh Hòa', '--kind', 'department', '--level', '2', '--parent', PROVINCE])
  cli(['agency', '--code', COMMUNE, '--name', 'UBND xã Cam Hải Đông', '--parent', PROVINCE])
  cli(['staff', '--username', staff.username, '--name', staff.fullName, '--agency', DEPARTMENT], staff.password + '\n')
  const code = cli(['enrol-code', '--commune', COMMUNE])

  ;[hub, desk, b] = await Promise.all([
    startHub(hubBin, hubEnv, hubListen),
    // Born-digital scans need no OCR; 150 dpi keeps 200 page renders quick.
    startServer(join(work, 'desk'), { MOTCUA_SCAN_DPI: '150', MOTCUA_SCAN_WORKERS: '1' }),
    launchBrowser(),
  ])
  token = await setupDesk(desk.url, OFFICE)
  api = apiAs(desk.url, token)
  const admin = await (
    await fetch(desk.url + '/api/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'quantri', password: 'mật khẩu quản trị' }),
    })
  ).json()
  const adminApi = apiAs(desk.url, admin.token)

  // The desk's administrator enrols it with the code from the hub admin.
  const { status: enrolled, body } = await adminApi('/api/sync/enrol', { method: 'POST', body: JSON.stringify({ hubUrl: hub.url, code }) })
  assert.equal(enrolled, 200, JSON.stringify(body))
  const st = await waitFor('the first sync after enrolment', async () => {
    const s = await status()
    return { ok: s.online && s.lastPullAt, value: s }
  })
  assert.equal(st.communeCode, COMMUNE)
  assert.equal(st.hubUrl, hub.url)
})

after(async () => {
  await b?.close()
  await desk?.stop()
  await hub?.stop()
  pgc?.stop()
  if (work) rmSync(work, { recursive: true, force: true })
})

const dossiers = [] // the desk's dossiers, in reception order
const scanOf = new Map() // dossier id → the desk's finished scan job
const deskPdf = new Map() // dossier id → SHA-256 of the searchable PDF the desk serves

test('with the hub down, the desk receives 200 dossiers with scans and keeps every one pending', async () => {
  await hub.stop()
  const down = Date.now()
  await assert.rejects(fetch(hub.url + '/v1/health'), 'nothing answers at the hub address')
  const { body: proc } = await api('/api/procedures/' + PROCEDURE)
  const comp = proc.procedure.components[0].name

  await runPool(N, 4, async (i) => {
    const n = String(i + 1).padStart(3, '0')
    const d = await receiveDossier(
      api,
      { name: `Nguyễn Văn Số ${n}`, idNumber: '056190000' + n, address: 'Thôn Thủy Triều' },
      { procedure: PROCEDURE, component: comp },
    )
    dossiers[i] = d
    // A5, text layer only: the desk renders it and keeps the PDF's own text.
    const pdf = makePdf(`DON DE NGHI CHUNG THUC SO ${n}`, [
      `Ho so ${d.code}`,
      `Nguoi yeu cau: Nguyen Van So ${n}, thon Thuy Trieu`,
      'De nghi chung thuc ban sao tu ban chinh dinh kem.',
    ], [420, 595])
    const q = new URLSearchParams({ name: `don-de-nghi-${n}.pdf`, dossier: d.id, component: comp })
    const r = await api.raw('/api/scans?' + q, { method: 'POST', body: pdf, headers: { 'Content-Type': 'application/pdf' } })
    const up = await r.json()
    assert.equal(r.status, 202, JSON.stringify(up))
    assert.equal(up.duplicate, false)
  })
  assert.equal(new Set(dossiers.map((d) => d.code)).size, N)

  // Every scan job finishes on the desk, from the PDF's own text.
  const counts = await waitFor(
    'the scan jobs',
    async () => {
      const { body } = await api('/api/scans?limit=1')
      if (body.counts.failed) return { ok: true, value: body.counts }
      return { ok: body.counts.done === N, value: body.counts }
    },
    150000,
    1000,
  )
  assert.deepEqual({ failed: counts.failed, done: counts.done }, { failed: 0, done: N })
  const { body: done } = await api('/api/scans?state=done&limit=500')
  assert.equal(done.items.length, N)
  for (const j of done.items) scanOf.set(j.dossierId, j)
  assert.equal(scanOf.size, N, 'one finished scan bound to each dossier')
  for (const d of dossiers) {
    const j = scanOf.get(d.id)
    assert.ok(j?.pdfSize > 0, d.code)
    assert.equal(j.textPages, 1, 'the text layer is used, no OCR')
    assert.equal(j.ocrPages, 0)
  }

  // The desk noticed the hub is gone, and keeps all of it: one reception
  // record and one attach_scans event per dossier, pending, never tried.
  const st = await status()
  assert.equal(st.enrolled, true)
  assert.equal(st.online, false)
  assert.equal(st.problem, 'unreachable')
  assert.match(st.message, /^Không kết nối được máy chủ tỉnh\./)
  assert.ok(Date.parse(st.checkedAt) >= down - 1000, `health checked after the hub stopped: ${st.checkedAt}`)
  const items = await outboxItems(false)
  assert.equal(items.length, 2 * N)
  for (const it of items) {
    assert.equal(it.state, 'pending', JSON.stringify(it))
    assert.equal(it.attempts, 0, 'nothing is sent while the hub does not answer its health check')
    assert.equal(it.bytesLeft, it.bytes)
    // A scan's event carries its PDF: the record plus the file are to go.
    if (it.action === 'attach_scans') assert.ok(it.bytes > scanOf.get(it.dossierId).pdfSize, JSON.stringify(it))
  }
  assertOnePerDossier(items)
  const bytes = items.reduce((s, it) => s + it.bytesLeft, 0)
  assert.deepEqual(
    { ...st.outbox, oldest: undefined },
    { pending: 2 * N, uploading: 0, retrying: 0, waiting: 0, parked: 0, bytesLeft: bytes, oldest: undefined },
  )
  assert.equal(st.unsynced, 2 * N)
})

// outboxItems lists the desk's outbox: the unsynced items, or all of them.
async function outboxItems(all) {
  const out = []
  for (let cursor = ''; ; ) {
    const { status: code, body } = await api(`/api/sync/outbox?limit=500${all ? '&all=1' : ''}${cursor ? '&cursor=' + cursor : ''}`)
    assert.equal(code, 200, JSON.stringify(body))
    out.push(...body.items)
    if (!body.next) return out
    cursor = body.next
  }
}

// assertOnePerDossier checks that items are one reception record and one
// attach_scans event for each dossier the desk received.
function assertOnePerDossier(items) {
  const kinds = new Map(dossiers.map((d) => [d.id, []]))
  for (const it of items) kinds.get(it.dossierId)?.push(it.kind === 'dossier' ? 'dossier' : it.action)
  for (const d of dossiers) assert.deepEqual(kinds.get(d.id).sort(), ['attach_scans', 'dossier'], d.code)
}

test('the hub comes back: the desk notices by itself, everything arrives exactly once, every blob verified', async () => {
  hub = await startHub(hubBin, hubEnv, hubListen)
  const started = Date.now()
  // Nobody presses "Đồng bộ ngay": the sender's next health check (its
  // back-off is capped at 2 minutes) finds the hub and sends.
  await waitFor(
    'the desk to find the hub again',
    async () => {
      const s = await status()
      return { ok: s.online, value: s }
    },
    150000,
    500,
  )
  console.log(`# the desk found the hub ${((Date.now() - started) / 1000).toFixed(1)} s after it started`)
  const st = await waitFor(
    'the outbox to empty',
    async () => {
      const s = await status()
      return { ok: s.online && s.unsynced === 0 && !s.syncing, value: s }
    },
    120000,
    500,
  )
  console.log(`# ${2 * N} items sent in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  assert.equal(st.problem, undefined)
  assert.deepEqual({ ...st.outbox, oldest: undefined }, { pending: 0, uploading: 0, retrying: 0, waiting: 0, parked: 0, bytesLeft: 0, oldest: undefined })
  assert.ok(Date.parse(st.lastPushAt) >= started, st.lastPushAt)
  const items = await outboxItems(true)
  assert.equal(items.length, 2 * N)
  for (const it of items) {
    assert.equal(it.state, 'synced', JSON.stringify(it))
    assert.ok(it.hubReceivedAt, it.id)
  }
  assertOnePerDossier(items)

  // PostgreSQL: the dossiers once, an attach_scans event once per
  // dossier, nothing else, and each dossier's blob is its own scan.
  const one = (sql) => pgc.query(sql)[0][0]
  assert.equal(one(`SELECT count(*) FROM dossiers`), String(N))
  assert.equal(one(`SELECT count(*) FROM dossiers d JOIN agencies a ON a.id = d.agency_id WHERE a.code = '${COMMUNE}'`), String(N))
  const codes = pgc.query(`SELECT code FROM dossiers`).map((r) => r[0])
  assert.deepEqual(codes.sort(), dossiers.map((d) => d.code).sort())
  assert.equal(one(`SELECT count(*) FROM events`), String(N))
  assert.deepEqual(pgc.query(`SELECT action, origin, count(*), count(DISTINCT dossier_id) FROM events GROUP BY 1, 2`), [
    ['attach_scans', 'commune', String(N), String(N)],
  ])
  assert.equal(one(`SELECT count(*) FROM dossiers d WHERE (SELECT count(*) FROM events e WHERE e.dossier_id = d.id AND e.action = 'attach_scans') <> 1`), '0')
  const refs = pgc.query(`SELECT r.dossier_id, r.sha256, b.size FROM blob_refs r JOIN blobs b USING (sha256)`)
  assert.equal(refs.length, N)
  assert.equal(one(`SELECT count(*) FROM blob_refs`), String(N))
  assert.equal(one(`SELECT count(*) FROM blobs`), String(N))
  assert.equal(one(`SELECT count(*) FROM blob_uploads`), '0', 'no upload left half-way')
  for (const [dossierId, sum, size] of refs) {
    // The hub holds exactly the searchable PDF the desk serves for it.
    const job = scanOf.get(dossierId)
    const res = await api.raw(`/api/scans/${job.id}/pdf`)
    assert.equal(res.status, 200, `PDF of dossier ${dossierId}`)
    const desk = Buffer.from(await res.arrayBuffer())
    deskPdf.set(dossierId, sha256(desk))
    assert.equal(sum, sha256(desk), `blob of dossier ${dossierId}`)
    assert.equal(Number(size), desk.length)
    assert.equal(desk.length, job.pdfSize)
    const file = join(hubEnv.HUB_BLOB_DIR, 'blobs', sum.slice(0, 2), sum.slice(2, 4), sum)
    assert.ok(existsSync(file), file)
    const bytes = readFileSync(file)
    assert.equal(bytes.length, desk.length)
    assert.equal(sha256(bytes), sum)
  }
})

const resultName = 'Bản sao được chứng thực từ bản chính'
const resultPdf = makePdf('BAN SAO DUOC CHUNG THUC', ['So chung thuc: 2026/137', 'Cap ngay ' + new Date().toISOString().slice(0, 10)])

test('an official completes one of them in the hub UI, and the desk shows the result after its pull', async () => {
  const d = dossiers[136]
  const scan = scanOf.get(d.id)
  const page = await b.browser.newPage({ viewport: { width: 1366, height: 1200 }, locale: 'vi-VN' })
  const problems = []
  page.on('pageerror', (e) => problems.push('page error: ' + e.message))
  page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`))

  await staffLogin(page, hub.url, staff)
  assert.equal(await page.locator('[data-total]').innerText(), String(N))
  await page.goto(`${hub.url}/ho-so/${d.id}`)
  await page.getByRole('heading', { name: 'Hồ sơ ' + d.code }).waitFor()
  const file = page.locator(`.files a[data-sha256="${deskPdf.get(d.id)}"]`)
  assert.equal(await file.innerText(), 'don-de-nghi-137.pdf')
  assert.equal(await page.locator('.files li').count(), 1, 'one scan on the hub')

  await page.getByRole('button', { name: 'Nhận xử lý' }).click()
  await page.getByText('Đã nhận xử lý hồ sơ.').first().waitFor()
  const form = page.locator('form[data-hash-form]')
  await form.getByLabel('Tên giấy tờ kết quả').fill(resultName)
  await form.getByLabel('Tệp kết quả (PDF)').setInputFiles({ name: 'ban-sao-chung-thuc.pdf', mimeType: 'application/pdf', buffer: resultPdf })
  await page.waitForFunction((sum) => document.querySelector('[data-sha256-out]').value === sum, sha256(resultPdf))
  await form.getByRole('button', { name: 'Đính kèm kết quả và hoàn thành' }).click()
  await page.getByText('Đã đính kèm kết quả và hoàn thành hồ sơ.').waitFor()
  assert.equal(await page.locator('.summary .state').innerText(), 'Đã có kết quả')
  assert.deepEqual(problems, [])
  await page.close()

  // The desk's next pull brings the take and the result through the
  // state machine.
  const { status: code } = await api('/api/sync/now', { method: 'POST' })
  assert.equal(code, 202)
  const pulled = await waitFor('the result on the desk', async () => {
    const { body } = await api('/api/dossiers/' + d.id)
    return { ok: body.dossier.state === 'result_ready', value: body }
  })
  assert.deepEqual(pulled.dossier.resultDocs, [resultName])
  // The paper itself came down too, hash-checked, and the desk serves it.
  const files = pulled.dossier.resultFiles ?? []
  assert.deepEqual(files.map((f) => [f.name, f.sha256, f.size]), [[resultName, sha256(resultPdf), resultPdf.length]])
  const paper = await api.raw(`/api/dossiers/${d.id}/results/${sha256(resultPdf)}`)
  assert.equal(paper.status, 200)
  assert.equal(sha256(Buffer.from(await paper.arrayBuffer())), sha256(resultPdf))
  assert.deepEqual(
    pulled.events.map((e) => e.action),
    ['receive_complete', 'start_processing', 'record_result'],
  )
  const st = await status()
  assert.equal(st.conflicts, 0)
  assert.equal(st.unsynced, 0)
  // The other dossiers are untouched.
  const { body: other } = await api('/api/dossiers/' + dossiers[0].id)
  assert.equal(other.dossier.state, 'received')

  // What the clerk sees.
  const deskPage = await b.browser.newPage({ viewport: { width: 1366, height: 1000 }, locale: 'vi-VN' })
  await deskPage.context().addCookies([{ name: 'motcua_session', value: token, url: desk.url + '/api' }])
  const deskProblems = []
  deskPage.on('pageerror', (e) => deskProblems.push('page error: ' + e.message))
  deskPage.on('response', (r) => r.url().includes('/api/') && r.status() >= 400 && deskProblems.push(`${r.status()} ${r.url()}`))
  await deskPage.goto(`${desk.url}/#/ho-so/${d.id}`)
  await deskPage.getByRole('heading', { name: d.code }).waitFor()
  assert.equal(await deskPage.getByTestId('state').innerText(), 'Đã có kết quả')
  const facts = deskPage.locator('dl.facts')
  assert.equal(await facts.locator('dt', { hasText: /^Kết quả$/ }).count(), 1)
  assert.equal(await facts.locator('dt:text-is("Kết quả") + dd').innerText(), resultName)
  assert.equal(await facts.locator('dt:text-is("Bản kết quả") + dd').innerText(), resultName)
  const done = deskPage.locator('.timeline li[data-action="record_result"]')
  const doneText = await done.innerText()
  for (const want of [`Kết quả: ${resultName}`, staff.fullName]) assert.ok(doneText.includes(want), `${want} in ${doneText}`)
  assert.equal(await deskPage.locator('.timeline li[data-action="start_processing"]').count(), 1)
  await deskPage.getByTestId('dossier-scans').getByText('don-de-nghi-137.pdf').waitFor()
  // The top bar: connected, nothing left to send.
  await deskPage.waitForFunction(() => document.querySelector('a.sync-ind')?.dataset.connection === 'online')
  assert.match(await deskPage.locator('a.sync-ind').innerText(), /Đã kết nối[\s\S]*Đã gửi hết/)
  await deskPage.screenshot({ path: shotPath('sync-result.png'), fullPage: true })
  assert.deepEqual(deskProblems, [])
  await deskPage.close()
})
