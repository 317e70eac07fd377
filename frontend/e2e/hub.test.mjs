// The provincial hub's staff web UI in Chromium, against real processes on
// loopback: a PostgreSQL cluster this test creates in a temporary directory
// (initdb as the postgres user when root, like cmd/hub/dev-hub.sh and
// sync/hub/pgtest), the hub binary built from cmd/hub (or HUB_BIN), and
// commune devices speaking the signed sync protocol from here: they enrol
// with a one-time code, upload a scan, push dossiers, and finally pull the
// changes the official made.
//
// An official logs in, finds the dossier in the inbox, opens it, sees the
// scan in the PDF viewer, takes it, attaches a result PDF and marks it done;
// the commune's next pull carries both changes and the result paper.
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { after, before, test } from 'node:test'
import { launchBrowser, shotPath, tempDir } from './harness.mjs'

const root = resolve(import.meta.dirname, '..', '..')
const asRoot = process.getuid?.() === 0

// --- PostgreSQL in a directory of its own -------------------------------

function pgBin() {
  if (process.env.PG_BIN) return process.env.PG_BIN
  const base = '/usr/lib/postgresql'
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))) : []
  if (!versions.length) throw new Error('PostgreSQL binaries not found: apt-get install postgresql (build/scripts/setup.sh), or set PG_BIN')
  versions.sort((a, b) => Number(b) - Number(a))
  return join(base, versions[0], 'bin')
}

// pg runs a PostgreSQL program, as the postgres user when we are root
// (initdb refuses root).
function pg(program, args) {
  const path = join(pgBin(), program)
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args]
  execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => res(port))
    })
  })
}

async function startPostgres() {
  // Under /tmp whatever TMPDIR says: the postgres user must reach it, and a
  // unix socket path must stay short.
  const dir = mkdtempSync('/tmp/motcua-e2e-pg-')
  if (asRoot) execFileSync('chown', ['postgres:', dir])
  const data = join(dir, 'data')
  pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'])
  const port = await freePort()
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`
  pg('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-o', opts, '-w', '-t', '60', 'start'])
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    stop() {
      try {
        pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

// --- the hub binary ------------------------------------------------------

function buildHub(work) {
  if (process.env.HUB_BIN) return process.env.HUB_BIN
  const bin = join(work, 'hub')
  execFileSync('go', ['build', '-o', bin, './cmd/hub'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  return bin
}

// startHub runs `hub serve` on a free loopback port and resolves with its
// address once it logs that it serves.
function startHub(bin, env) {
  return new Promise((res, rej) => {
    const proc = spawn(bin, ['serve', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let log = ''
    const timer = setTimeout(() => rej(new Error('hub did not start: ' + log)), 30000)
    proc.stderr.on('data', (d) => {
      log += d
      const m = log.match(/msg="hub serving" addr=(\S+)/)
      if (m) {
        clearTimeout(timer)
        res({
          url: 'http://' + m[1],
          log: () => log,
          stop: () =>
            new Promise((done) => {
              if (proc.exitCode !== null) return done()
              proc.once('exit', done)
              proc.kill('SIGTERM')
            }),
        })
      }
    })
    proc.once('exit', (code) => rej(new Error(`hub exited ${code}: ${log}`)))
  })
}

// --- a commune device on the signed protocol (sync/wire/auth.go) --------

const sha256 = (b) => createHash('sha256').update(b).digest('hex')

class Device {
  constructor(hub, protocol) {
    this.hub = hub
    this.protocol = protocol
    const { publicKey, privateKey } = generateKeyPairSync('ed25519')
    this.key = privateKey
    this.pub = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url')
  }

  async enrol(code) {
    const norm = code.toUpperCase().replace(/[-\s]/g, '')
    const proof = sign(null, Buffer.from(`motcua-enrol-v1\n${norm}\n${this.pub.toString('hex')}`), this.key)
    const r = await fetch(this.hub + '/v1/enrol', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Motcua-Protocol': this.protocol },
      body: JSON.stringify({ code: norm, device_name: 'Máy một cửa 1', public_key: this.pub.toString('base64'), proof: proof.toString('base64') }),
    })
    const body = await r.json()
    assert.equal(r.status, 201, JSON.stringify(body))
    this.id = body.device_id
  }

  // call sends a signed request; body is a Buffer or undefined.
  async call(method, pathAndQuery, body, headers = {}) {
    const [path, query = ''] = pathAndQuery.split('?')
    const ts = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    const nonce = randomBytes(16).toString('base64url')
    const bodySum = sha256(body ?? Buffer.alloc(0))
    const canonical = [
      'MOTCUA-ED25519-V1', method, path, query, this.protocol, this.id, ts, nonce, bodySum,
      headers['Upload-Offset'] ?? '', headers['Upload-Length'] ?? '',
    ].join('\n')
    return fetch(this.hub + pathAndQuery, {
      method,
      body,
      headers: {
        ...headers,
        'Motcua-Protocol': this.protocol,
        'Motcua-Device': this.id,
        'Motcua-Timestamp': ts,
        'Motcua-Nonce': nonce,
        'Motcua-Content-SHA256': bodySum,
        'Motcua-Signature': sign(null, Buffer.from(canonical), this.key).toString('base64'),
      },
    })
  }

  async upload(data, name) {
    const sum = sha256(data)
    const r = await this.call('PATCH', '/v1/blobs/' + sum, data, {
      'Upload-Offset': '0',
      'Upload-Length': String(data.length),
      'Content-Type': 'application/offset+octet-stream',
    })
    assert.equal(r.status, 201, await r.text())
    return { sha256: sum, size: data.length, media_type: 'application/pdf', name }
  }

  async push(dossiers, events = []) {
    const r = await this.call('POST', '/v1/push', Buffer.from(JSON.stringify({ dossiers, events })), { 'Content-Type': 'application/json' })
    const body = await r.json()
    assert.equal(r.status, 200, JSON.stringify(body))
    for (const item of [...body.dossiers, ...body.events]) assert.equal(item.outcome, 'created', JSON.stringify(item))
  }

  async pull() {
    const r = await this.call('GET', '/v1/changes?limit=1000')
    assert.equal(r.status, 200)
    return (await r.json()).changes
  }
}

// makePdf writes a small one-page PDF (ASCII text, Helvetica) with a
// correct cross-reference table, so Chromium's viewer renders it.
function makePdf(title, lines) {
  const text = [`BT /F1 22 Tf 72 760 Td (${title}) Tj ET`]
  lines.forEach((l, i) => text.push(`BT /F1 12 Tf 72 ${720 - 20 * i} Td (${l}) Tj ET`))
  text.push('0.6 w 60 60 475 722 re S')
  const stream = text.join('\n')
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ]
  let out = '%PDF-1.4\n'
  const offsets = objects.map((o, i) => {
    const at = out.length
    out += `${i + 1} 0 obj\n${o}\nendobj\n`
    return at
  })
  const xref = out.length
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(out, 'latin1')
}

// --- the world ----------------------------------------------------------

const PROVINCE = 'H56'
const DEPARTMENT = '000.00.12.H56'
const HUNG = '000.17.22.H56'
const TAM = '000.18.22.H56'
const VINH = '000.19.22.H56'
const staff = { username: 'canbo.tuphap', fullName: 'Lê Thu Hà', password: 'Mật khẩu cán bộ tỉnh 2026' }

const hours = (h) => new Date(Date.now() + h * 3600e3)
let seq = 0

function dossier(commune, procedure, applicant, receivedHoursAgo, dueInHours, scans = []) {
  seq++
  const components = [{ code: 'CCCD', name: 'Căn cước của người yêu cầu', digitised: false, from_national_db: true }]
  if (scans.length) components.push({ code: 'TK', name: 'Tờ khai', digitised: true, blobs: scans })
  return {
    id: randomUUID(),
    code: `${commune}-${String(seq).padStart(4, '0')}`,
    commune_code: commune,
    procedure: { code: procedure[0], name: procedure[1], field_code: 'HT', field_name: 'Hộ tịch' },
    applicant: { name: applicant, id_number: '038190001234', kind: 'person', address: 'Thôn Đông, xã Quảng Hưng', phone: '0912345678' },
    summary: procedure[1] + ' cho ' + applicant,
    channel: 'in_person',
    received_at: hours(-receivedHoursAgo).toISOString(),
    due_at: hours(dueInHours).toISOString(),
    status: { national: 2, state: 'received' },
    received_by: 'u-01',
    components,
  }
}

let pgc, hub, b, work, hungDevice, tamDevice, main, scan
const resultPdf = makePdf('GIAY KHAI SINH (BAN CHINH)', ['So: 125/2026', 'Ho va ten: Nguyen Thi Hoa', 'Cap ngay ' + new Date().toISOString().slice(0, 10)])

before(async () => {
  work = tempDir('motcua-e2e-hub-')
  const [bin, cluster] = await Promise.all([Promise.resolve().then(() => buildHub(work)), startPostgres()])
  pgc = cluster
  const env = { ...process.env, HUB_DATABASE_URL: pgc.url, HUB_BLOB_DIR: join(work, 'blobs') }
  const cli = (args, input) => execFileSync(bin, args, { env, input, stdio: ['pipe', 'pipe', 'pipe'] }).toString().trim()
  cli(['agency', '--code', PROVINCE, '--name', 'UBND tỉnh Thanh Hóa', '--kind', 'province', '--level', '1'])
  cli(['agency', '--code', DEPARTMENT, '--name', 'Sở Tư pháp tỉnh Thanh Hóa', '--kind', 'department', '--level', '2', '--parent', PROVINCE])
  cli(['agency', '--code', HUNG, '--name', 'UBND xã Quảng Hưng', '--parent', PROVINCE])
  cli(['agency', '--code', TAM, '--name', 'UBND xã Quảng Tâm', '--parent', PROVINCE])
  cli(['agency', '--code', VINH, '--name', 'UBND xã Quảng Vinh', '--parent', PROVINCE])
  cli(['staff', '--username', staff.username, '--name', staff.fullName, '--agency', DEPARTMENT], staff.password + '\n')
  const codes = [cli(['enrol-code', '--commune', HUNG]), cli(['enrol-code', '--commune', TAM])]

  ;[hub, b] = await Promise.all([startHub(bin, env), launchBrowser()])
  const health = await (await fetch(hub.url + '/v1/health?challenge=e2e')).json()
  assert.equal(health.marker, 'motcua-hub/v1')
  hungDevice = new Device(hub.url, health.protocol)
  tamDevice = new Device(hub.url, health.protocol)
  await hungDevice.enrol(codes[0])
  await tamDevice.enrol(codes[1])

  // Commune Quảng Hưng transfers a birth registration with its scan to the
  // Department of Justice (liên thông), and has two more dossiers open.
  scan = await hungDevice.upload(makePdf('TO KHAI DANG KY KHAI SINH', ['Ban quet tai xa Quang Hung', 'Nguoi yeu cau: Nguyen Thi Hoa']), 'to-khai-khai-sinh.pdf')
  main = dossier(HUNG, ['1.001193', 'Đăng ký khai sinh có yếu tố nước ngoài'], 'Nguyễn Thị Hoà', 26, 96, [scan])
  const transfer = {
    id: randomUUID(), dossier_id: main.id, action: 'transfer', from: 'received', to: 'transferred', national_status: 4,
    at: hours(-25).toISOString(), actor: 'u-01', actor_name: 'Trần Văn Bình', agency: { code: DEPARTMENT, name: 'Sở Tư pháp tỉnh Thanh Hóa' },
  }
  await hungDevice.push(
    [
      main,
      dossier(HUNG, ['1.000894', 'Đăng ký kết hôn'], 'Trần Văn Nam', 120, -20),
      dossier(HUNG, ['2.000635', 'Cấp bản sao trích lục hộ tịch'], 'Phạm Thị Lan', 50, 1.5),
    ],
    [transfer],
  )
  const deathScan = await tamDevice.upload(makePdf('TO KHAI KHAI TU', ['Xa Quang Tam']), 'to-khai-khai-tu.pdf')
  await tamDevice.push([
    dossier(TAM, ['1.000656', 'Đăng ký khai tử'], 'Lê Văn Hùng', 30, 120, [deathScan]),
    dossier(TAM, ['2.000884', 'Chứng thực chữ ký trong giấy tờ, văn bản'], 'Đỗ Minh Châu', 4, 240),
  ])
})

after(async () => {
  await b?.close()
  await hub?.stop()
  pgc?.stop()
  if (work) rmSync(work, { recursive: true, force: true })
})

test('an official takes a liên thông dossier, attaches the result PDF, and the commune pulls it', async () => {
  const page = await b.browser.newPage({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' })
  const problems = []
  page.on('pageerror', (e) => problems.push('page error: ' + e.message))
  page.on('console', (m) => m.type() === 'error' && problems.push('console: ' + m.text()))
  page.on('response', (r) => r.status() >= 500 && problems.push(`${r.status()} ${r.url()}`))

  // Staff pages need a login: the inbox sends the browser to it.
  await page.goto(hub.url + '/ho-so')
  assert.match(page.url(), /\/dang-nhap\?tiep=%2Fho-so$/)
  await page.getByLabel('Tên đăng nhập').fill(staff.username)
  await page.getByLabel('Mật khẩu').fill('sai mật khẩu')
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
  await page.getByText('Tên đăng nhập hoặc mật khẩu không đúng.').waitFor()
  // The refused login is a 401 page: the one error expected here.
  assert.deepEqual(problems.splice(0), ['console: Failed to load resource: the server responded with a status of 401 (Unauthorized)'])
  await page.getByLabel('Mật khẩu').fill(staff.password)
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
  await page.getByRole('heading', { name: 'Hồ sơ đến' }).waitFor()
  const cookie = (await page.context().cookies()).find((c) => c.name === 'hub_session')
  assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie))

  // The inbox: every commune's open dossiers, by appointment, with the
  // overdue and due-soon ones marked.
  const rows = page.locator('tr[data-id]')
  assert.equal(await rows.count(), 5)
  assert.equal(await page.locator('[data-total]').innerText(), '5')
  const flags = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.flag ?? ''))
  assert.deepEqual(flags.slice(0, 2), ['overdue', 'due-soon'], flags.join())
  assert.ok(!flags.slice(2).includes('overdue'), flags.join())
  assert.match(await rows.first().innerText(), /Quá hạn/)
  await page.screenshot({ path: shotPath('hub-inbox.png'), fullPage: true })

  // Filter by the commune, and find the dossier.
  await page.getByLabel('Xã', { exact: true }).selectOption({ label: 'UBND xã Quảng Hưng' })
  await page.getByRole('button', { name: 'Lọc' }).click()
  await page.waitForFunction(() => document.querySelectorAll('tr[data-id]').length === 3)
  const row = page.locator(`tr[data-id="${main.id}"]`)
  const rowText = await row.innerText()
  for (const want of [main.code, 'UBND xã Quảng Hưng', 'Đăng ký khai sinh có yếu tố nước ngoài', 'Nguyễn Thị Hoà', 'Liên thông — chuyển xử lý', 'Chưa nhận']) {
    assert.ok(rowText.includes(want), `${want} in ${rowText}`)
  }
  await row.getByRole('link', { name: main.code }).click()
  await page.getByRole('heading', { name: 'Hồ sơ ' + main.code }).waitFor()

  // The scan, in the PDF viewer, served inline as a PDF to this session only.
  const viewer = page.locator('iframe.viewer')
  assert.equal(await viewer.getAttribute('src'), `/tep/${scan.sha256}?ten=to-khai-khai-sinh.pdf#view=FitH`)
  await page.waitForFunction((sum) => [...document.querySelectorAll('iframe')].some((f) => f.contentWindow?.location.pathname === '/tep/' + sum), scan.sha256)
  const served = await page.request.get(hub.url + '/tep/' + scan.sha256)
  assert.equal(served.headers()['content-type'], 'application/pdf')
  assert.match(served.headers()['content-disposition'], /^inline/)
  assert.equal(sha256(await served.body()), scan.sha256)
  const anonymous = await fetch(hub.url + '/tep/' + scan.sha256, { redirect: 'manual' })
  assert.equal(anonymous.status, 303, 'a file without a session')
  assert.ok((await page.locator('.files').innerText()).includes('to-khai-khai-sinh.pdf'))

  // Take it.
  await page.getByRole('button', { name: 'Nhận xử lý' }).click()
  await page.getByText('Đã nhận xử lý hồ sơ.').first().waitFor()
  assert.ok((await page.locator('[data-taken]').innerText()).includes(staff.fullName))
  assert.equal(await page.getByRole('button', { name: 'Nhận xử lý' }).count(), 0)

  // Attach the result paper; the browser sends its SHA-256 with it.
  const form = page.locator('form[data-hash-form]')
  await form.getByLabel('Tên giấy tờ kết quả').fill('Giấy khai sinh (bản chính)')
  await form.getByLabel('Tệp kết quả (PDF)').setInputFiles({ name: 'giay-khai-sinh.pdf', mimeType: 'application/pdf', buffer: resultPdf })
  await page.waitForFunction((sum) => document.querySelector('[data-sha256-out]').value === sum, sha256(resultPdf))
  assert.equal(await form.locator('[data-file-name]').innerText(), 'giay-khai-sinh.pdf')
  await form.getByLabel('Ghi chú').fill('Đã ký số, gửi bản chính qua bưu chính công ích.')
  // A full-page screenshot resizes the viewport, and the PDF viewer
  // repaints blank while it does: make the whole page fit, let the viewer
  // paint, and capture the viewport.
  await page.setViewportSize({ width: 1366, height: 1540 })
  await page.waitForTimeout(2000)
  await page.screenshot({ path: shotPath('hub-dossier.png') })
  await form.getByRole('button', { name: 'Đính kèm kết quả và hoàn thành' }).click()
  await page.getByText('Đã đính kèm kết quả và hoàn thành hồ sơ.').waitFor()
  assert.equal(await page.locator('.summary .state').innerText(), 'Đã có kết quả')
  const resultLink = page.locator(`.files a[data-sha256="${sha256(resultPdf)}"]`)
  assert.equal(await resultLink.innerText(), 'giay-khai-sinh.pdf')
  assert.ok((await page.locator('.timeline').innerText()).includes('Cập nhật kết quả giải quyết'))

  // The commune's next pull: the take (a note: the dossier stays
  // transferred at the commune) and the result with its paper.
  const changes = (await hungDevice.pull()).filter((c) => c.dossier_id === main.id)
  assert.equal(changes.length, 2, JSON.stringify(changes))
  const [took, done] = changes
  assert.equal(took.kind, 'note')
  assert.equal(took.note, 'Nhận xử lý hồ sơ.')
  assert.equal(took.actor_name, staff.fullName)
  assert.deepEqual(took.agency, { code: DEPARTMENT, name: 'Sở Tư pháp tỉnh Thanh Hóa' })
  assert.equal(done.kind, 'result')
  assert.equal(done.action, 'record_result')
  assert.equal(done.from, 'transferred')
  assert.equal(done.to, 'result_ready')
  assert.equal(done.national_status, 9)
  assert.equal(done.note, 'Đã ký số, gửi bản chính qua bưu chính công ích.')
  assert.equal(done.results.length, 1)
  assert.equal(done.results[0].name, 'Giấy khai sinh (bản chính)')
  assert.deepEqual(done.results[0].blob, { sha256: sha256(resultPdf), size: resultPdf.length, media_type: 'application/pdf', name: 'giay-khai-sinh.pdf' })
  // The commune downloads the paper through the signed API; the other
  // commune may not.
  const paper = await hungDevice.call('GET', '/v1/blobs/' + sha256(resultPdf))
  assert.equal(paper.status, 200)
  assert.equal(sha256(Buffer.from(await paper.arrayBuffer())), sha256(resultPdf))
  assert.equal((await tamDevice.call('GET', '/v1/blobs/' + sha256(resultPdf))).status, 404)
  assert.equal((await tamDevice.pull()).length, 0, 'nothing for the other commune')

  const text = await page.locator('main').innerText()
  assert.equal(text, text.normalize('NFC'), 'page text is NFC')
  assert.deepEqual(problems, [])
  await page.close()
})

test('per-commune indicators: on-time and digitised rates, sync freshness', async () => {
  const page = await b.browser.newPage({ viewport: { width: 1366, height: 760 }, locale: 'vi-VN' })
  await page.goto(hub.url + '/dang-nhap')
  await page.getByLabel('Tên đăng nhập').fill(staff.username)
  await page.getByLabel('Mật khẩu').fill(staff.password)
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
  await page.getByRole('link', { name: 'Chỉ số theo xã' }).click()
  await page.getByRole('heading', { name: 'Chỉ số theo xã' }).waitFor()
  const cells = async (code) =>
    page.locator(`tr[data-commune="${code}"]`).evaluate((tr) => ({
      stale: tr.classList.contains('stale'),
      ...Object.fromEntries([...tr.querySelectorAll('td[data-k]')].map((td) => [td.dataset.k, td.innerText.trim()])),
    }))
  // Quảng Hưng: 3 dossiers, one done on time, one still in time, one
  // overdue → 66,7 %; one of three scanned.
  assert.deepEqual(await cells(HUNG), {
    stale: false, received: '3', completed: '1', ontime: '66,7 %', overdue: '1', digitised: '33,3 %', sync: 'vừa xong',
  })
  assert.deepEqual(await cells(TAM), {
    stale: false, received: '2', completed: '0', ontime: '100,0 %', overdue: '0', digitised: '50,0 %', sync: 'vừa xong',
  })
  const vinh = await cells(VINH)
  assert.equal(vinh.stale, true)
  assert.equal(vinh.ontime, '—')
  assert.match(vinh.sync, /^Chưa đồng bộ lần nào\s+Quá 24 giờ$/)
  await page.screenshot({ path: shotPath('hub-communes.png'), fullPage: true })

  // Logging out ends the session.
  await page.getByRole('button', { name: 'Đăng xuất' }).click()
  await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor()
  await page.goto(hub.url + '/chi-so-xa')
  assert.match(page.url(), /\/dang-nhap/)
  await page.close()
})
