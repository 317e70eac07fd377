import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { launchBrowser, shotPath, startServer, tempDir } from './harness.mjs'

let b
before(async () => {
  b = await launchBrowser()
})
after(async () => {
  await b?.close()
})

const office = {
  province: 'Khánh Hòa',
  parentAgency: 'UBND xã Cam Hải Đông',
  unitName: 'Trung tâm Phục vụ hành chính công xã Cam Hải Đông',
  communeName: 'Cam Hải Đông',
  agencyCode: '000.17.22.h56', // typed in lower case: the server upper-cases it
  address: 'Thôn Thủy Triều, xã Cam Hải Đông',
  phone: '0258 3854 123',
}

test('first-run settings save, survive a restart, and show in Vietnamese', async () => {
  const data = tempDir()
  let srv = await startServer(data)
  const page = await b.browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' })
  const apiErrors = []
  page.on('response', (r) => {
    if (r.url().includes('/api/') && r.status() >= 500) apiErrors.push(r.url())
  })

  await page.goto(srv.url)
  await page.getByRole('heading', { name: 'Thiết lập ban đầu' }).waitFor()

  // Submitting an empty form shows Vietnamese errors and saves nothing.
  await page.getByRole('button', { name: 'Lưu và bắt đầu sử dụng' }).click()
  await page.getByText('Tên đơn vị tiếp nhận không được để trống.').waitFor()
  assert.equal(await page.locator('#unitName').getAttribute('aria-invalid'), 'true')

  for (const [id, value] of Object.entries(office)) await page.locator(`#${id}`).fill(value)
  await page.locator('#formSet').selectOption('01/2018')
  // Corrected fields no longer show their error.
  assert.equal(await page.getByText('Tên đơn vị tiếp nhận không được để trống.').count(), 0)
  assert.equal(await page.locator('#unitName').getAttribute('aria-invalid'), 'false')
  await page.screenshot({ path: shotPath('first-run.png'), fullPage: true })
  await page.getByRole('button', { name: 'Lưu và bắt đầu sử dụng' }).click()

  // Home shows the saved office.
  await page.getByRole('heading', { name: office.unitName }).waitFor()
  await page.getByText('000.17.22.H56').waitFor()
  await page.screenshot({ path: shotPath('home.png'), fullPage: true })

  // Restart the server process: the settings come back from the store.
  await srv.stop()
  srv = await startServer(data)
  await page.goto(srv.url + '/#/cai-dat')
  await page.getByRole('heading', { name: 'Thiết lập đơn vị' }).waitFor()
  assert.equal(await page.locator('#unitName').inputValue(), office.unitName)
  assert.equal(await page.locator('#address').inputValue(), office.address)
  assert.equal(await page.locator('#formSet').inputValue(), '01/2018')
  const text = await page.locator('main').innerText()
  assert.ok(text.includes('Cập nhật lần cuối'), text)
  assert.equal(text, text.normalize('NFC'), 'page text is NFC')
  await page.screenshot({ path: shotPath('settings.png'), fullPage: true })

  // A server-side validation error (bad hours order) is shown next to the field.
  await page.locator('#hours\\.afternoonStart').fill('11:00')
  await page.getByRole('button', { name: 'Lưu thay đổi' }).click()
  await page.getByText('Giờ làm việc phải theo thứ tự', { exact: false }).first().waitFor()
  const after = await (await fetch(srv.url + '/api/settings')).json()
  assert.equal(after.settings.hours.afternoonStart, '13:30', 'invalid save changed nothing')

  assert.deepEqual(apiErrors, [])
  await page.close()
  await srv.stop()
})
