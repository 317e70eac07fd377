// The intake panel of "Số hóa" end to end, against a real `motcua serve`
// and Chromium: an administrator sets the watch folder in the UI (the
// server's field errors under the field); a scan-like PDF copied into the
// folder becomes a job that finishes while the file leaves the folder, and
// an empty file goes to loi/ with its reason; SANE's virtual test device
// (sane-utils, SANE_CONFIG_DIR with `test` alone in dll.conf) scans its
// 10-sheet feeder through the UI into a 10-page job bound to a dossier,
// with a busy state while the request runs and the scanner's error in
// Vietnamese; a desk user sees the state without the form; turning
// watching off leaves new files alone; a desk without scanimage shows no
// scanner block.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { after, before, test } from 'node:test'
import { apiAs, launchBrowser, OFFICE, receiveDossier, setupDesk, shotPath, startServer, tempDir } from './harness.mjs'

const GRID = 'test-picture "Grid"\n'

const root = resolve(import.meta.dirname, '..', '..')
const ADMIN = { username: 'quantri', password: 'mật khẩu quản trị' }

let b, srv, work, saneDir, watchDir, deskToken, adminToken, desk, admin, mkdoc
let dossier // a received dossier the scan is bound to

before(async () => {
  work = tempDir('motcua-e2e-intake-')
  mkdoc = join(work, 'mkdoc')
  saneDir = join(work, 'sane')
  watchDir = join(work, 'Quet')
  mkdirSync(saneDir)
  mkdirSync(watchDir)
  // SANE's virtual test device alone: scanimage -L lists test:0 and test:1.
  writeFileSync(join(saneDir, 'dll.conf'), 'test\n')
  // A grid rather than the device's default solid black, which the
  // pipeline rightly calls a blank page (an all-blank scan fails).
  writeFileSync(join(saneDir, 'test.conf'), GRID)
  execFileSync('go', ['build', '-o', mkdoc, './internal/scantest/mkdoc'], { cwd: root, stdio: 'inherit' })
  ;[b, srv] = await Promise.all([
    launchBrowser(),
    startServer(join(work, 'data'), { SANE_CONFIG_DIR: saneDir, MOTCUA_SCAN_DPI: '200', MOTCUA_SCAN_WORKERS: '2' }),
  ])
  deskToken = await setupDesk(srv.url, OFFICE)
  desk = apiAs(srv.url, deskToken)
  // The administrator also runs the scanning station: scanning from a
  // scanner belongs to the scanning roles (the watch folder form does not).
  adminToken = (await login(srv.url, ADMIN)).token
  admin = apiAs(srv.url, adminToken)
  const { body: users } = await admin('/api/users')
  const me = users.users.find((u) => u.username === ADMIN.username)
  const { status } = await admin('/api/users/' + me.id, {
    method: 'PUT',
    body: JSON.stringify({ fullName: me.fullName, roles: ['admin', 'scanner'], disabled: false }),
  })
  assert.equal(status, 200)

  // Receive a dossier as the desk does, with the procedure's first paper.
  dossier = await receiveDossier(
    desk,
    { name: 'Phạm Thị Lan', idNumber: '056190004321', address: 'Thôn Thủy Triều', phone: '0905123457' },
    { requestId: '5b0e7c2a-9d41-4f63-8a7e-2c1d0f9e8b7a' },
  )
})
after(async () => {
  await b?.close()
  await srv?.stop()
})

async function login(url, who) {
  const r = await fetch(url + '/api/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(who) })
  assert.equal(r.status, 200)
  return r.json()
}

async function newPage(token, url = srv.url) {
  const page = await b.browser.newPage({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' })
  if (token) await page.context().addCookies([{ name: 'motcua_session', value: token, url: url + '/api' }])
  const problems = []
  page.on('pageerror', (e) => problems.push('page error: ' + e.message))
  page.on('response', (r) => {
    if (r.url().includes('/api/') && r.status() >= 500) problems.push(`${r.status()} ${r.url()}`)
  })
  return { page, problems }
}

function makeDoc(name, ...args) {
  const out = join(work, name)
  execFileSync(mkdoc, ['-o', out, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  return out
}

// until polls cond (a function answering truthy) every 250 ms.
async function until(what, cond, ms = 30000) {
  const end = Date.now() + ms
  for (;;) {
    const v = await cond()
    if (v) return v
    if (Date.now() > end) throw new Error('timed out waiting for ' + what)
    await new Promise((r) => setTimeout(r, 250))
  }
}

const sha256 = (p) => createHash('sha256').update(readFileSync(p)).digest('hex')

test('the administrator sets the watch folder in the UI; a scan copied there is imported and leaves; an empty file goes to loi/', async () => {
  const { page, problems } = await newPage()
  await page.goto(srv.url)
  await page.locator('#login\\.username').fill(ADMIN.username)
  await page.locator('#login\\.password').fill(ADMIN.password)
  await page.locator('#login\\.password').press('Enter')
  await page.getByRole('link', { name: 'Số hóa', exact: true }).click()
  await page.getByRole('heading', { name: 'Số hóa hồ sơ' }).waitFor()
  const panel = page.getByTestId('intake')
  await panel.getByRole('heading', { name: 'Nguồn nhập' }).waitFor()
  await panel.getByText('Chưa đặt thư mục theo dõi.').waitFor()

  // The server's field errors show under the field.
  const field = page.locator('#intake-folder')
  await field.fill('Quet')
  await panel.getByRole('button', { name: 'Lưu thư mục' }).click()
  await page.locator('#intake-folder-msg').waitFor()
  assert.match(await page.locator('#intake-folder-msg').innerText(), /Thư mục quét phải là đường dẫn đầy đủ/)
  assert.equal(await field.getAttribute('aria-invalid'), 'true')
  await field.fill(join(work, 'khong-co-thu-muc'))
  assert.equal(await page.locator('#intake-folder-msg').count(), 0, 'typing clears the error')
  await panel.getByRole('button', { name: 'Lưu thư mục' }).click()
  await page.locator('#intake-folder-msg').getByText('không tồn tại hoặc phần mềm không ghi được vào đó').waitFor()

  // The real folder, saved from the keyboard.
  await field.fill(watchDir)
  await field.press('Enter')
  await panel.getByText('Đã lưu thư mục theo dõi.').waitFor()
  const watching = panel.getByTestId('intake-watch').getByText('Đang theo dõi thư mục')
  await watching.waitFor()
  assert.equal(await watching.locator('.path').innerText(), watchDir)
  assert.equal(await field.getAttribute('aria-invalid'), null)
  const { body: st } = await desk('/api/intake')
  assert.equal(st.watchFolder, watchDir)
  assert.equal(st.watching, true)
  assert.ok(existsSync(join(watchDir, 'loi')), 'the folder for refused files is ready')

  // A scan the scanner's software saved: imported, processed, removed.
  const doc = makeDoc('so-ho-tich-1998.pdf', 'SỔ ĐĂNG KÝ HỘ TỊCH|Quyển số 03, năm 1998.|Ủy ban nhân dân xã Cam Hải Đông.')
  copyFileSync(doc, join(watchDir, 'so-ho-tich-1998.pdf'))
  const row = page.locator('tr[data-job-id]', { hasText: 'so-ho-tich-1998.pdf' })
  await row.waitFor({ timeout: 30000 })
  await row.and(page.locator('[data-state="done"]')).waitFor({ timeout: 120000 })
  assert.equal(await row.getByTestId('progress-text').innerText(), '1/1 trang')
  assert.ok(!existsSync(join(watchDir, 'so-ho-tich-1998.pdf')), 'the imported file left the folder')
  const { body: job } = await desk('/api/scans/' + (await row.getAttribute('data-job-id')))
  assert.equal(job.job.sha256, sha256(doc), 'the original kept is the file as it was')
  await panel.getByTestId('intake-imported').getByText('Đã nhập 1 tệp').waitFor({ timeout: 30000 })

  // An empty file is refused: moved to loi/ with the reason beside it.
  writeFileSync(join(watchDir, 'trong.pdf'), '')
  const note = join(watchDir, 'loi', 'trong.pdf.loi.txt')
  await until('trong.pdf in loi/', () => existsSync(note) && existsSync(join(watchDir, 'loi', 'trong.pdf')))
  assert.ok(!existsSync(join(watchDir, 'trong.pdf')))
  const reason = readFileSync(note, 'utf8')
  assert.match(reason, /^\ufeffKhông nhập được tệp: trong\.pdf\r\nLý do: Tệp rỗng/)
  assert.equal(await page.locator('tr[data-job-id]', { hasText: 'trong.pdf' }).count(), 0, 'no job for a refused file')
  assert.equal((await desk('/api/intake')).body.imported, 1)

  // The folder goes away (its USB disk pulled out): the panel says so in
  // Vietnamese only; the Go error is in the log.
  renameSync(watchDir, watchDir + '-rut-ra')
  try {
    await until('the watcher to notice', async () => (await desk('/api/intake')).body.watchProblem === 'missing')
    await page.reload()
    const gone = page.getByTestId('intake-watch-error')
    await gone.waitFor({ timeout: 30000 })
    const text = await gone.innerText()
    assert.equal(text, `Không theo dõi được thư mục ${watchDir}. Thư mục không còn, hoặc ổ mạng hay ổ USB chứa nó chưa được kết nối.`)
    assert.equal(await page.getByText('Chi tiết:').count(), 0)
    await page.screenshot({ path: shotPath('scan-intake-folder-gone.png'), fullPage: true })
  } finally {
    renameSync(watchDir + '-rut-ra', watchDir)
  }
  await until('the folder watched again', async () => (await desk('/api/intake')).body.watching === true)

  assert.deepEqual(problems, [])
  await page.close()
})

test('scanning the test device’s feeder through the UI: busy while it runs, then a 10-page job; a scanner error in Vietnamese', async () => {
  const { page, problems } = await newPage(adminToken)
  await page.goto(srv.url + '/#/so-hoa')
  const panel = page.getByTestId('intake')
  await panel.getByRole('heading', { name: 'Quét từ máy quét' }).waitFor()
  const devices = await page.locator('#intake-device option').evaluateAll((os) => os.map((o) => o.value))
  assert.deepEqual(devices, ['test:0', 'test:1'])
  // Two scanners of one model are told apart by their SANE names.
  assert.deepEqual(await page.locator('#intake-device option').allInnerTexts(), [
    'test:0 · Noname frontend-tester virtual device',
    'test:1 · Noname frontend-tester virtual device',
  ])
  assert.equal(await page.locator('#intake-dpi').inputValue(), '300', '300 dpi by default')
  const dpis = await page.locator('#intake-dpi option').evaluateAll((os) => os.map((o) => o.value))
  assert.deepEqual(dpis, ['150', '200', '300', '400', '600'])
  await page.locator('#intake-device').selectOption('test:0')
  await page.locator('#intake-dpi').selectOption('150')
  await page.locator('#intake-feeder').focus()
  await page.keyboard.press('Space')
  assert.equal(await page.locator('#intake-feeder').isChecked(), true)
  assert.equal(await page.locator('#intake-colour').isChecked(), false)
  // Bound to the dossier's paper, the way the import binds.
  await page.locator('#intake-bind-code').fill(dossier.code)
  await page.locator('#intake-bind-code').press('Enter')
  await page.getByTestId('intake-bind-bound').getByText(dossier.code).waitFor()
  const comp = dossier.components[0].name
  await page.locator('#intake-bind-component').selectOption(comp)

  // Hold the request a moment to see the busy state the desk shows while
  // a real feeder runs (the virtual one answers at once).
  let release
  const gate = new Promise((r) => (release = r))
  let sent = null
  await page.route('**/api/intake/scan', async (route) => {
    sent = route.request().postDataJSON()
    await gate
    await route.continue()
  })
  const before = (await desk('/api/scans?limit=1')).body.counts
  const scanBtn = page.locator('#intake-scan')
  await scanBtn.click()
  const busy = panel.getByTestId('intake-scanning')
  await busy.waitFor()
  assert.match(await busy.innerText(), /khay nạp giấy/)
  assert.equal(await scanBtn.innerText(), 'Đang quét…')
  assert.equal(await scanBtn.isDisabled(), true)
  assert.equal(await page.locator('#intake-dpi').isDisabled(), true)
  assert.deepEqual(sent, { device: 'test:0', dpi: 150, colour: false, feeder: true, dossierId: dossier.id, component: comp })
  release()
  const done = panel.getByTestId('intake-scanned')
  await done.waitFor({ timeout: 120000 })
  await page.unroute('**/api/intake/scan')
  assert.equal(await scanBtn.innerText(), 'Quét')
  const name = await done.locator('.mono').innerText()
  assert.match(name, /^may-quet-\d{8}-\d{6}\.pdf$/)
  const row = page.locator('tr[data-job-id]', { hasText: name })
  await row.waitFor()
  await row.and(page.locator('[data-state="done"]')).waitFor({ timeout: 120000 })
  assert.equal(await row.getByTestId('progress-text').innerText(), '10/10 trang')
  const id = await row.getAttribute('data-job-id')
  assert.equal(await done.getByRole('link', { name: 'Xem' }).getAttribute('href'), '#/so-hoa/' + id)
  const { body: job } = await desk('/api/scans/' + id)
  assert.equal(job.job.pages, 10)
  assert.equal(job.job.done, 10)
  assert.equal(job.job.state, 'done')
  assert.equal(job.job.dossierId, dossier.id)
  assert.equal(job.job.component, comp)
  await page.screenshot({ path: shotPath('scan-intake.png'), fullPage: true })

  // A feeder that gives no page: the server's message, nothing imported.
  const total = (c) => c.queued + c.running + c.done + c.failed
  writeFileSync(join(saneDir, 'test.conf'), GRID + 'read-status-code "SANE_STATUS_NO_DOCS"\n')
  try {
    await scanBtn.click()
    const err = panel.getByTestId('intake-scan-error')
    await err.waitFor({ timeout: 60000 })
    assert.equal(await err.innerText(), 'Máy quét không trả về trang nào. Kiểm tra giấy trong khay, nắp máy và kết nối rồi thử lại.')
    assert.equal(await panel.getByTestId('intake-scanned').count(), 0)
  } finally {
    writeFileSync(join(saneDir, 'test.conf'), GRID)
  }
  assert.equal(total((await desk('/api/scans?limit=1')).body.counts), total(before) + 1, 'only the good scan made a job')

  assert.deepEqual(problems, [])
  await page.close()
})

test('a desk user sees the watch folder but not its form; once the administrator turns watching off, new files stay', async () => {
  const { page, problems } = await newPage(deskToken)
  await page.goto(srv.url + '/#/so-hoa')
  const panel = page.getByTestId('intake')
  await panel.getByTestId('intake-watch').getByText('Đang theo dõi thư mục').waitFor()
  await panel.getByRole('heading', { name: 'Quét từ máy quét' }).waitFor()
  assert.equal(await page.locator('#intake-folder').count(), 0, 'only an administrator sets the folder')
  assert.equal(await panel.getByRole('button', { name: 'Tắt theo dõi' }).count(), 0)
  assert.deepEqual(problems, [])
  await page.close()

  const adm = await newPage(adminToken)
  await adm.page.goto(srv.url + '/#/so-hoa')
  const p2 = adm.page.getByTestId('intake')
  await p2.getByTestId('intake-watch').getByText('Đang theo dõi thư mục').waitFor()
  await p2.getByRole('button', { name: 'Tắt theo dõi' }).click()
  await p2.getByText('Đã tắt theo dõi thư mục.').waitFor()
  await p2.getByText('Chưa đặt thư mục theo dõi.').waitFor()
  assert.equal(await adm.page.locator('#intake-folder').inputValue(), '')
  assert.equal((await desk('/api/intake')).body.watchFolder, '')
  // The watcher polls every two seconds and waits two more for a file to
  // settle: six seconds later the file is still there.
  const doc = makeDoc('de-lai.pdf', 'Tệp để lại trong thư mục.')
  copyFileSync(doc, join(watchDir, 'de-lai.pdf'))
  await new Promise((r) => setTimeout(r, 6000))
  assert.ok(existsSync(join(watchDir, 'de-lai.pdf')), 'not imported once watching is off')
  assert.deepEqual(readdirSync(join(watchDir, 'loi')).sort(), ['trong.pdf', 'trong.pdf.loi.txt'])
  assert.deepEqual(adm.problems, [])
  await adm.page.close()
})

test('a desk without scanimage shows the watch folder and no scanner block', async () => {
  const dir = tempDir('motcua-e2e-intake-nosane-')
  const other = await startServer(join(dir, 'data'), { PATH: join(dir, 'bin') })
  try {
    const token = await setupDesk(other.url, OFFICE)
    const { body } = await apiAs(other.url, token)('/api/intake')
    assert.equal(body.sane, false)
    const { page, problems } = await newPage(token, other.url)
    await page.goto(other.url + '/#/so-hoa')
    const panel = page.getByTestId('intake')
    await panel.getByRole('heading', { name: 'Thư mục theo dõi' }).waitFor()
    await panel.getByText('Chưa đặt thư mục theo dõi.').waitFor()
    assert.equal(await panel.getByRole('heading', { name: 'Quét từ máy quét' }).count(), 0)
    assert.equal(await page.locator('#intake-scan').count(), 0)
    assert.deepEqual(problems, [])
    await page.close()
  } finally {
    await other.stop()
  }
})
