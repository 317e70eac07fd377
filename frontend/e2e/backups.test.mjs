// Backups as an administrator sees them, against a real `motcua serve`: the
// Sao lưu screen's settings, "Sao lưu ngay" ending with a backup the list
// shows as verified by a test restore, the audit check, and a restore that
// is prepared with a confirmation and applied when the server starts again.
import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { OFFICE, launchBrowser, setupDesk, shotPath, startServer, tempDir } from './harness.mjs'

let b
before(async () => {
  b = await launchBrowser()
})
after(async () => {
  await b?.close()
})

async function login(page, url) {
  await page.goto(url + '/#/sao-luu')
  await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor()
  await page.locator('#login\\.username').fill('quantri')
  await page.locator('#login\\.password').fill('mật khẩu quản trị')
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
  await page.getByRole('heading', { name: 'Sao lưu dữ liệu' }).waitFor()
}

test('back up now, see it verified, check the audit log, restore it at the next start', async () => {
  const work = tempDir('motcua-e2e-backup-')
  const data = join(work, 'data')
  const usb = tempDir('motcua-e2e-usb-')
  let srv = await startServer(data)
  const page = await b.browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: 'vi-VN' })
  const apiErrors = []
  page.on('response', (r) => {
    if (r.url().includes('/api/') && r.status() >= 500) apiErrors.push(r.url())
  })
  try {
    await setupDesk(srv.url, OFFICE)
    await login(page, srv.url)
    assert.equal(await page.getByRole('link', { name: 'Sao lưu' }).count(), 1, 'admins have the nav link')

    // A folder that is not there (the USB drive is not plugged in) is refused.
    await page.locator('#backup\\.folder').fill(join(usb, 'chua-cam'))
    await page.getByRole('button', { name: 'Lưu cài đặt' }).click()
    await page.getByText('Không tìm thấy thư mục này.').waitFor()
    assert.equal(await page.locator('#backup\\.folder').getAttribute('aria-invalid'), 'true')

    await page.locator('#backup\\.folder').fill(usb)
    await page.locator('#backup\\.keep').fill('3')
    await page.getByRole('button', { name: 'Lưu cài đặt' }).click()
    await page.getByText('Đã lưu cài đặt sao lưu.').waitFor()

    await page.getByRole('button', { name: 'Sao lưu ngay' }).click()
    const row = page.locator('tr[data-verified="true"]')
    await row.waitFor({ timeout: 60000 })
    assert.match(await row.innerText(), /Đã khôi phục thử: tốt/)
    await page.getByText('Lần gần nhất thành công').waitFor()
    await page.getByText(/Đã sao lưu xong và khôi phục thử thành công/).waitFor()
    const name = await row.getAttribute('data-backup')
    assert.match(name, /^motcua-\d{8}-\d{6}$/)
    assert.ok(existsSync(join(usb, name, 'manifest.json')), 'the backup is on the drive')

    await page.getByRole('button', { name: 'Kiểm tra nhật ký' }).click()
    await page.getByText(/Nhật ký thao tác toàn vẹn: đã kiểm tra \d+ mục/).waitFor()
    await page.screenshot({ path: shotPath('backups.png'), fullPage: true })

    // Restore asks first, then is prepared for the next start.
    await row.getByRole('button', { name: 'Khôi phục…' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.getByRole('heading', { name: `Khôi phục bản sao lưu ${name}?` }).waitFor()
    const go = dialog.getByRole('button', { name: 'Khôi phục', exact: true })
    assert.equal(await go.isDisabled(), true, 'not without the confirmation')
    await page.locator('#restore-confirm').check()
    await go.click()
    await page.getByRole('heading', { name: 'Đang chờ khôi phục' }).waitFor()
    assert.ok(existsSync(join(data, 'restore-pending', 'restore.json')))

    await srv.stop()
    srv = await startServer(data)
    await login(page, srv.url)
    await page.locator('tr[data-verified="true"]').waitFor()
    assert.equal(await page.getByRole('heading', { name: 'Đang chờ khôi phục' }).count(), 0, 'the restore was applied')
    assert.ok(readdirSync(data).some((f) => f.startsWith('before-restore-')), 'the replaced data is kept')
    assert.deepEqual(apiErrors, [])
  } finally {
    await page.close()
    await srv.stop()
  }
})
