// Sync with the provincial hub, as the desk sees it, against a real
// `motcua serve` whose hub address (MOTCUA_HUB_URL) is a closed loopback
// port: the top bar's indicator, the Outbox screen with the dossiers
// received while not enrolled, cursor paging, and an administrator's
// enrolment failing with the Vietnamese "hub unreachable" message.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { OFFICE as office, launchBrowser, setupDesk, shotPath, startServer, tempDir } from './harness.mjs'

// Port 9 (discard) has no listener on loopback: connections are refused.
const HUB = 'http://127.0.0.1:9'


let b, srv, deskToken, adminToken
before(async () => {
  const work = tempDir('motcua-e2e-sync-')
  ;[b, srv] = await Promise.all([launchBrowser(), startServer(join(work, 'data'), { MOTCUA_HUB_URL: HUB })])
  deskToken = await setupDesk(srv.url, office)
  const r = await fetch(srv.url + '/api/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'quantri', password: 'mật khẩu quản trị' }),
  })
  adminToken = (await r.json()).token
})
after(async () => {
  await b?.close()
  await srv?.stop()
})

async function api(path, token, init = {}) {
  const r = await fetch(srv.url + path, {
    ...init,
    headers: { 'Content-Type': 'application/json', ...(init.headers ?? {}), Authorization: 'Bearer ' + token },
  })
  return { status: r.status, body: await r.json() }
}

async function receive(requestId, name) {
  const { status, body } = await api('/api/dossiers', deskToken, {
    method: 'POST',
    body: JSON.stringify({
      requestId,
      procedureCode: '2.000815',
      applicant: { kind: 'person', name, idNumber: '056084009999', address: '', phone: '', email: '' },
      channel: 'in_person',
      components: [],
      sets: 1,
      outcome: 'complete',
      resultDelivery: 'in_person',
    }),
  })
  assert.equal(status, 201, JSON.stringify(body))
  return body.dossier
}

async function newPage(token) {
  const page = await b.browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' })
  await page.context().addCookies([{ name: 'motcua_session', value: token, url: srv.url + '/api' }])
  const problems = []
  page.on('pageerror', (e) => problems.push('page error: ' + e.message))
  page.on('response', (r) => {
    if (r.url().includes('/api/') && r.status() >= 500) problems.push(`${r.status()} ${r.url()}`)
  })
  return { page, problems }
}

test('not enrolled: the indicator says so, the Outbox lists what waits, with paging and live refresh', async () => {
  const first = await receive('0b8f6a52-7c1d-4e2f-9a3b-5c6d7e8f9a01', 'Trịnh Văn Phúc')

  // What the backend does before enrolment: it never calls the hub (no
  // health check), but every reception is queued for later.
  const { body: st } = await api('/api/sync/status', deskToken)
  assert.equal(st.status.enrolled, false)
  assert.equal(st.status.hubUrl, HUB)
  assert.equal(st.status.checkedAt, undefined, 'no health check before enrolment')
  assert.equal(st.status.unsynced, 1)
  const { body: ob } = await api('/api/sync/outbox', deskToken)
  assert.equal(ob.items.length, 1)
  const item = ob.items[0]
  assert.equal(item.state, 'pending')
  assert.equal(item.dossierCode, first.code)

  const { page, problems } = await newPage(deskToken)
  await page.goto(srv.url + '/#/ho-so')
  const ind = page.locator('a.sync-ind')
  await page.waitForFunction(() => document.querySelector('a.sync-ind')?.dataset.connection === 'unenrolled')
  const indText = await ind.innerText()
  assert.match(indText, /Chưa đăng ký/)
  assert.match(indText, /1\s*chưa gửi/)
  const title = await ind.getAttribute('title')
  assert.ok(title.includes(st.status.message), title)
  assert.ok(title.includes('Chưa đồng bộ lần nào'), title)
  assert.ok(title.includes('Chưa gửi lên tỉnh: 1 mục'), title)

  // The indicator opens the Outbox screen.
  await ind.click()
  await page.getByRole('heading', { name: 'Đồng bộ với máy chủ tỉnh' }).waitFor()
  assert.equal(new URL(page.url()).hash, '#/dong-bo')
  const summary = page.locator('.sync-summary')
  await summary.waitFor()
  assert.equal(await summary.getAttribute('data-connection'), 'unenrolled')
  const summaryText = await summary.innerText()
  assert.ok(summaryText.includes(st.status.message), summaryText)
  assert.ok(summaryText.includes(HUB), summaryText)
  assert.ok(summaryText.includes('Chưa kiểm tra'), summaryText)

  const row = page.locator(`tr[data-item="${item.id}"]`)
  await row.waitFor()
  assert.equal(await row.getAttribute('data-state'), 'pending')
  const rowText = await row.innerText()
  for (const want of [item.stateLabel, first.code, item.label, 'Hồ sơ', `${item.bytesLeft} B`]) {
    assert.ok(rowText.includes(want), `${want} in ${rowText}`)
  }
  assert.equal(await row.locator('td').nth(4).innerText(), '0', 'no attempt yet')
  assert.equal(await row.getByRole('button', { name: 'Gửi lại' }).count(), 0, 'a pending item has no Gửi lại')
  // Nothing to sync with yet, and a desk user cannot enrol.
  assert.equal(await page.getByRole('button', { name: 'Đồng bộ ngay' }).isDisabled(), true)
  assert.equal(await page.locator('#enrol\\.hubUrl').count(), 0)
  await page.getByText('Cần quản trị hệ thống của xã đăng ký thiết bị').waitFor()
  await page.screenshot({ path: shotPath('outbox.png'), fullPage: true })

  // One item a page: the cursor brings the next. A dossier received while
  // the screen is open shows up by itself (the screen refreshes every few
  // seconds), and the top bar follows.
  await page.goto(srv.url + '/#/dong-bo?limit=1')
  await page.locator('tr[data-item]').first().waitFor()
  assert.equal(await page.getByRole('button', { name: 'Xem thêm' }).count(), 0)
  const second = await receive('0b8f6a52-7c1d-4e2f-9a3b-5c6d7e8f9a02', 'Lê Thị Lan')
  await page.getByRole('button', { name: 'Xem thêm' }).waitFor({ timeout: 10000 })
  await page.waitForFunction(() => /2\s*chưa gửi/.test(document.querySelector('a.sync-ind')?.textContent ?? ''))
  assert.equal(await page.locator('tr[data-item]').count(), 1)
  await page.getByRole('button', { name: 'Xem thêm' }).click()
  await page.waitForFunction(() => document.querySelectorAll('tr[data-item]').length === 2)
  const codes = await page.locator('tr[data-item] td:nth-child(2) a').allInnerTexts()
  assert.deepEqual(codes.sort(), [first.code, second.code].sort())
  assert.equal(await page.getByRole('button', { name: 'Xem thêm' }).count(), 0, 'no third page')

  const text = await page.locator('main').innerText()
  assert.equal(text, text.normalize('NFC'), 'page text is NFC')
  assert.deepEqual(problems, [])
  await page.close()
})

test('an administrator enrols against a closed port: Vietnamese errors next to the fields', async () => {
  const { page, problems } = await newPage(adminToken)
  await page.goto(srv.url + '/#/dong-bo')
  await page.getByRole('heading', { name: 'Đăng ký thiết bị với máy chủ tỉnh' }).waitFor()
  const hubUrl = page.locator('#enrol\\.hubUrl')
  const code = page.locator('#enrol\\.code')
  const submit = page.getByRole('button', { name: 'Đăng ký thiết bị' })
  // The address given to the server (MOTCUA_HUB_URL) is offered.
  await page.waitForFunction((hub) => document.querySelector('#enrol\\.hubUrl')?.value === hub, HUB)

  // An address that is not http(s): the API's own field message.
  await hubUrl.fill('ftp://dongbo.khanhhoa.gov.vn')
  await code.fill('SAIM-A123-4567')
  await submit.click()
  const hubField = page.locator('label.field', { has: hubUrl })
  await hubField.getByText('Địa chỉ máy chủ tỉnh phải có dạng https://').waitFor()
  assert.equal(await hubUrl.getAttribute('aria-invalid'), 'true')

  // The real address, a wrong code, and nobody listening.
  await hubUrl.fill(HUB)
  assert.equal(await hubUrl.getAttribute('aria-invalid'), 'false', 'a corrected field loses its error')
  await submit.click()
  await page.getByText('Đang liên hệ máy chủ tỉnh').waitFor()
  await hubField.getByText('Không kết nối được máy chủ tỉnh. Kiểm tra đường truyền Internet và địa chỉ máy chủ rồi thử lại.').waitFor()
  assert.equal(await hubUrl.getAttribute('aria-invalid'), 'true')
  assert.equal(await code.getAttribute('aria-invalid'), 'false')
  assert.equal(await submit.isDisabled(), false)
  await page.screenshot({ path: shotPath('sync-enrol.png'), fullPage: true })

  const { body } = await api('/api/sync/status', adminToken)
  assert.equal(body.status.enrolled, false, 'a failed enrolment enrols nothing')
  assert.equal(await page.locator('a.sync-ind').getAttribute('data-connection'), 'unenrolled')

  // 502 is the API's answer for an unreachable hub: the one expected here.
  assert.deepEqual(problems, [`502 ${srv.url}/api/sync/enrol`])
  await page.close()
})

test('only an administrator may enrol the device', async () => {
  // An invalid address keeps the hub out of it: a role check answers 403
  // first; without one the use case answers 422.
  const { status } = await api('/api/sync/enrol', deskToken, {
    method: 'POST',
    body: JSON.stringify({ hubUrl: 'ftp://dongbo.khanhhoa.gov.vn', code: 'ABCD-EFGH-JKMN' }),
  })
  assert.equal(status, 403)
})
