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
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { launchBrowser, shotPath, tempDir } from './harness.mjs'
import { buildHub, Device, hubCli, makePdf, sha256, startHub, startPostgres } from './hub-harness.mjs'

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
  const cli = hubCli(bin, env)
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

  // Search without diacritics, the last word still being typed; then clear it.
  await page.getByLabel('Tìm kiếm').fill('pham thi la')
  await page.getByRole('button', { name: 'Lọc' }).click()
  await page.waitForFunction(() => document.querySelectorAll('tr[data-id]').length === 1)
  assert.match(await rows.first().innerText(), /Phạm Thị Lan/)
  assert.equal(await page.locator('[data-total]').innerText(), '1')
  await page.getByLabel('Tìm kiếm').fill('')

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
  // overdue → 66,7 %; one of three scanned. These test devices send no
  // audit log (the desk's does: app/syncing).
  assert.deepEqual(await cells(HUNG), {
    stale: false, received: '3', completed: '1', ontime: '66,7 %', overdue: '1', digitised: '33,3 %', sync: 'vừa xong',
    audit: 'Chưa nhận nhật ký',
  })
  assert.deepEqual(await cells(TAM), {
    stale: false, received: '2', completed: '0', ontime: '100,0 %', overdue: '0', digitised: '50,0 %', sync: 'vừa xong',
    audit: 'Chưa nhận nhật ký',
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
