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
const admin = { username: 'quantri', fullName: 'Lê Văn Quản', password: 'mật khẩu quản trị' }

test('first run: office settings and the admin account, the recovery key once, then login after a restart', async () => {
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
  await page.getByText('Họ và tên không được để trống.').waitFor()
  assert.equal(await page.locator('#unitName').getAttribute('aria-invalid'), 'true')
  assert.equal((await (await fetch(srv.url + '/api/setup')).json()).needed, true, 'nothing saved')

  for (const [id, value] of Object.entries(office)) await page.locator(`#${id}`).fill(value)
  await page.locator('#formSet').selectOption('01/2018')
  await page.locator('#admin\\.username').fill(admin.username)
  await page.locator('#admin\\.fullName').fill(admin.fullName)
  await page.locator('#admin\\.password').fill(admin.password)
  await page.locator('#admin\\.confirm').fill(admin.password)
  // Corrected fields no longer show their error.
  assert.equal(await page.getByText('Tên đơn vị tiếp nhận không được để trống.').count(), 0)
  assert.equal(await page.locator('#unitName').getAttribute('aria-invalid'), 'false')
  await page.screenshot({ path: shotPath('first-run.png'), fullPage: true })
  await page.getByRole('button', { name: 'Lưu và bắt đầu sử dụng' }).click()

  // The recovery key is shown once and must be confirmed.
  await page.getByRole('heading', { name: 'Khóa khôi phục dữ liệu' }).waitFor()
  const key = (await page.locator('#recovery-key').innerText()).trim()
  assert.match(key, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$/)
  const cont = page.getByRole('button', { name: 'Tiếp tục' })
  assert.equal(await cont.isDisabled(), true)
  await page.screenshot({ path: shotPath('recovery-key.png'), fullPage: true })
  await page.locator('#recovery-confirm').check()
  await cont.click()
  await page.getByText('000.17.22.H56').first().waitFor()
  // The administrator's home is the office card: the dossier numbers are
  // not theirs, and asking for them would only show a refusal.
  await page.getByText('dành cho công chức tiếp nhận, công chức chuyên môn và lãnh đạo').waitFor()
  assert.equal(await page.locator('main [role="alert"]').count(), 0, 'no error on the home page')
  await page.screenshot({ path: shotPath('home.png'), fullPage: true })

  // Restart the server process: sessions end, the data stays.
  await srv.stop()
  srv = await startServer(data)
  await page.goto(srv.url + '/#/cai-dat')
  await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor()
  await page.locator('#login\\.username').fill(admin.username)
  await page.locator('#login\\.password').fill('sai mật khẩu')
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
  await page.getByText('Tên đăng nhập hoặc mật khẩu không đúng.').waitFor()
  await page.locator('#login\\.password').fill(admin.password)
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
  await page.getByRole('heading', { name: 'Thiết lập đơn vị' }).waitFor()
  assert.equal(await page.locator('#unitName').inputValue(), office.unitName)
  assert.equal(await page.locator('#address').inputValue(), office.address)
  assert.equal(await page.locator('#formSet').inputValue(), '01/2018')
  const text = await page.locator('main').innerText()
  assert.ok(text.includes('Cập nhật lần cuối'), text)
  assert.equal(text, text.normalize('NFC'), 'page text is NFC')
  await page.screenshot({ path: shotPath('settings.png'), fullPage: true })

  // The recovery key is not offered again.
  const rk = await page.evaluate(async () => (await fetch('/api/security/recovery-key')).json())
  assert.equal(rk.pending, false)

  // A server-side validation error (bad hours order) is shown next to the field.
  await page.locator('#hours\\.afternoonStart').fill('11:00')
  await page.getByRole('button', { name: 'Lưu thay đổi' }).click()
  await page.getByText('Giờ làm việc phải theo thứ tự', { exact: false }).first().waitFor()
  const after = await page.evaluate(async () => (await fetch('/api/settings')).json())
  assert.equal(after.settings.hours.afternoonStart, '13:30', 'invalid save changed nothing')

  // An admin adds a clerk; the clerk must change the temporary password
  // and sees no admin screens.
  await page.goto(srv.url + '/#/tai-khoan')
  await page.getByRole('heading', { name: 'Tài khoản cán bộ' }).waitFor()
  await page.locator('#user\\.username').fill('tiepnhan')
  await page.locator('#user\\.fullName').fill('Trần Thị Mai')
  await page.locator('#user\\.password').fill('tạm thời 2026')
  await page.getByRole('button', { name: 'Thêm tài khoản' }).click()
  await page.getByText('Đã tạo tài khoản tiepnhan').waitFor()
  await page.screenshot({ path: shotPath('users.png'), fullPage: true })
  await page.getByRole('button', { name: 'Đăng xuất' }).click()
  await page.locator('#login\\.username').fill('tiepnhan')
  await page.locator('#login\\.password').fill('tạm thời 2026')
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
  await page.getByRole('heading', { name: 'Đổi mật khẩu' }).waitFor()
  await page.locator('#pw\\.old').fill('tạm thời 2026')
  await page.locator('#pw\\.new').fill('mật khẩu của Mai')
  await page.locator('#pw\\.confirm').fill('mật khẩu của Mai')
  await page.getByRole('button', { name: 'Đổi mật khẩu' }).click()
  await page.getByRole('heading', { name: 'Tiếp nhận hồ sơ' }).waitFor()
  assert.equal(await page.getByRole('link', { name: 'Thiết lập' }).count(), 0, 'a clerk sees no settings')
  const forbidden = await page.evaluate(async () => (await fetch('/api/users')).status)
  assert.equal(forbidden, 403)

  assert.deepEqual(apiErrors, [])
  await page.close()
  await srv.stop()
})
