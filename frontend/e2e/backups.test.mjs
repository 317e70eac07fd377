// Backups as an administrator sees them, against a real `motcua serve`: the
// Sao lưu screen's settings, "Sao lưu ngay" ending with a backup the list
// shows as verified by a test restore, the audit check, and a restore that
// is prepared with a confirmation and applied when the server starts again;
// and a new PC restoring the backup of an old one that died, from a path and
// the old PC's recovery key.
import assert from 'node:assert/strict'
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { OFFICE, apiAs, launchBrowser, setupDesk, shotPath, startServer, tempDir } from './harness.mjs'

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

// newPage opens a page that records the API's 5xx answers in apiErrors.
async function newPage() {
  const page = await b.browser.newPage({ viewport: { width: 1280, height: 1000 }, locale: 'vi-VN' })
  const apiErrors = []
  page.on('response', (r) => {
    if (r.url().includes('/api/') && r.status() >= 500) apiErrors.push(r.url())
  })
  return { page, apiErrors }
}

// adminApi logs the administrator setupDesk made in over the API.
async function adminApi(url) {
  const s = await fetch(url + '/api/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'quantri', password: 'mật khẩu quản trị' }),
  }).then((r) => r.json())
  return apiAs(url, s.token)
}

test('back up now, see it verified, check the audit log, restore it at the next start', async () => {
  const work = tempDir('motcua-e2e-backup-')
  const data = join(work, 'data')
  const usb = tempDir('motcua-e2e-usb-')
  let srv = await startServer(data)
  const { page, apiErrors } = await newPage()
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

// oldPCBackup sets up a desk on "another PC" (its own machine key dir),
// backs it up to a USB folder over the API, stops it, and returns the folder,
// the backup's name and the recovery key shown at its first run.
async function oldPCBackup(office) {
  const data = join(tempDir('motcua-e2e-oldpc-'), 'data')
  const usb = tempDir('motcua-e2e-oldusb-')
  const srv = await startServer(data, { MOTCUA_MACHINE_DIR: tempDir('motcua-e2e-oldmachine-') })
  try {
    await setupDesk(srv.url, office)
    const api = await adminApi(srv.url)
    const rk = await api('/api/security/recovery-key')
    assert.ok(rk.body.recoveryKey, 'the first run offers the recovery key')
    const put = await api('/api/backups/settings', {
      method: 'PUT',
      body: JSON.stringify({ folder: usb, schedule: 'daily', at: '12:00', everyHours: 24, keep: 3 }),
    })
    assert.equal(put.status, 200, JSON.stringify(put.body))
    assert.equal((await api('/api/backups', { method: 'POST' })).status, 202)
    for (let i = 0; ; i++) {
      const l = await api('/api/backups')
      if (!l.body.status.running && l.body.backups.length === 1) return { usb, name: l.body.backups[0].name, key: rk.body.recoveryKey }
      assert.ok(i < 600, 'the old PC backup did not finish')
      await new Promise((r) => setTimeout(r, 100))
    }
  } finally {
    await srv.stop()
  }
}

// badCopies makes, beside the old PC's backup, a damaged copy and one from a
// newer version of the software.
function badCopies(old) {
  const damaged = join(tempDir('motcua-e2e-damaged-'), old.name)
  cpSync(join(old.usb, old.name), damaged, { recursive: true })
  const storeFile = join(damaged, 'store.mcbak')
  const bytes = readFileSync(storeFile)
  bytes[bytes.length - 20] ^= 0xff
  writeFileSync(storeFile, bytes)
  const newer = join(tempDir('motcua-e2e-newer-'), old.name)
  cpSync(join(old.usb, old.name), newer, { recursive: true })
  const manifest = JSON.parse(readFileSync(join(newer, 'manifest.json'), 'utf8'))
  writeFileSync(join(newer, 'manifest.json'), JSON.stringify({ ...manifest, schema: manifest.schema + 1 }))
  return { damaged, newer }
}

// restoreTrier returns tryRestore(path, key, expect): it fills the restore
// form's fields (#PREFIX.path, #PREFIX.key), submits, waits for the refusal
// that says expect, and checks that nothing was prepared in data.
function restoreTrier(page, form, prefix, data) {
  const go = form.getByRole('button', { name: 'Kiểm tra và chuẩn bị khôi phục' })
  return async (path, key, expect) => {
    await page.locator(`#${prefix}\\.path`).fill(path)
    await page.locator(`#${prefix}\\.key`).fill(key)
    await go.click()
    await form.getByRole('alert').filter({ hasText: expect }).waitFor()
    assert.equal(existsSync(join(data, 'restore-pending')), false, 'nothing prepared')
  }
}

const OLD_OFFICE = { ...OFFICE, communeName: 'Cam Phước Tây', parentAgency: 'UBND xã Cam Phước Tây' }

test("a new PC restores a dead PC's backup from the screen with its recovery key", async () => {
  const old = await oldPCBackup(OLD_OFFICE)
  const { damaged, newer } = badCopies(old)

  const data = join(tempDir('motcua-e2e-newpc-'), 'data')
  let srv = await startServer(data)
  const { page, apiErrors } = await newPage()
  try {
    // A fresh install: the first run, then Sao lưu.
    const clerk = await setupDesk(srv.url, OFFICE)
    // Restoring is an administrator's: the API refuses a desk user.
    const refused = await apiAs(srv.url, clerk)('/api/backups/restore-from', {
      method: 'POST',
      body: JSON.stringify({ path: old.usb, recoveryKey: old.key }),
    })
    assert.equal(refused.status, 403)
    await login(page, srv.url)
    const form = page.locator('form.restore-from')
    await form.getByRole('heading', { name: 'Khôi phục từ bản sao lưu của máy khác' }).waitFor()
    const go = form.getByRole('button', { name: 'Kiểm tra và chuẩn bị khôi phục' })
    await page.locator('#restore-from\\.path').fill(old.usb)
    assert.equal(await go.isDisabled(), true, 'not without the confirmation')
    await page.locator('#restore-from\\.confirm').check()

    const tryRestore = restoreTrier(page, form, 'restore-from', data)
    await tryRestore(old.usb, '', 'hãy nhập khóa khôi phục')
    await tryRestore(old.usb, 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH', 'Khóa khôi phục không đúng')
    await tryRestore(damaged, old.key, 'bị hỏng')
    await tryRestore(newer, old.key, 'phiên bản mới hơn')
    await tryRestore(join(old.usb, 'khong-co'), old.key, 'Không tìm thấy bản sao lưu')

    // The right key, typed in lower case as someone copying from paper might.
    await page.locator('#restore-from\\.path').fill(old.usb)
    await page.locator('#restore-from\\.key').fill(old.key.toLowerCase())
    await go.click()
    const pending = page.locator('.pending-restore')
    await pending.getByRole('heading', { name: 'Đang chờ khôi phục' }).waitFor({ timeout: 60000 })
    assert.match(await pending.innerText(), /của máy khác/)
    assert.match(await pending.innerText(), /hãy đăng nhập bằng tài khoản của máy cũ/)
    assert.equal(await page.locator('#restore-from\\.key').inputValue(), '', 'the key is not left on the screen')
    assert.ok(existsSync(join(data, 'restore-pending', 'vault.json')), "the old PC's vault is prepared")
    await page.screenshot({ path: shotPath('backups-restore-other-pc.png'), fullPage: true })

    // The next start swaps it in; this PC opens the old PC's data by itself.
    await srv.stop()
    srv = await startServer(data)
    await login(page, srv.url)
    const settings = await (await adminApi(srv.url))('/api/settings')
    assert.equal(settings.body.settings.communeName, 'Cam Phước Tây', "the old PC's office is back")
    assert.equal(await page.getByRole('heading', { name: 'Đang chờ khôi phục' }).count(), 0, 'the restore was applied')
    const kept = readdirSync(data).filter((f) => f.startsWith('before-restore-'))
    assert.equal(kept.length, 1)
    assert.ok(existsSync(join(data, kept[0], 'vault.json')), "the fresh install's vault is kept")
    assert.deepEqual(apiErrors, [])
  } finally {
    await page.close()
    await srv.stop()
  }
})

test("a fresh install comes back as the dead PC from the first-run screen, then the old PC's user logs in", async () => {
  const old = await oldPCBackup(OLD_OFFICE)
  const { damaged, newer } = badCopies(old)
  const data = join(tempDir('motcua-e2e-freshpc-'), 'data')
  let srv = await startServer(data)
  const { page, apiErrors } = await newPage()
  try {
    await page.goto(srv.url)
    await page.getByRole('heading', { name: 'Thiết lập ban đầu' }).waitFor()
    const choice = page.getByRole('radio', { name: 'Khôi phục từ bản sao lưu của máy cũ' })
    assert.equal(await page.getByRole('radio', { name: 'Cài đặt mới' }).isChecked(), true, 'a new set-up is the default')
    await choice.check()
    const form = page.locator('form.first-run-restore')
    await form.getByRole('heading', { name: 'Khôi phục từ bản sao lưu của máy cũ' }).waitFor()
    assert.equal(await page.locator('#admin\\.username').count(), 0, 'no account to invent')
    await page.locator('#first-run-restore\\.path').fill(old.usb)
    await page.screenshot({ path: shotPath('first-run-restore.png'), fullPage: true })

    const go = form.getByRole('button', { name: 'Kiểm tra và chuẩn bị khôi phục' })
    const tryRestore = restoreTrier(page, form, 'first-run-restore', data)
    await tryRestore(old.usb, '', 'Hãy nhập khóa khôi phục')
    await tryRestore(damaged, old.key, 'bị hỏng')
    await tryRestore(newer, old.key, 'phiên bản mới hơn')
    await tryRestore(join(old.usb, 'khong-co'), old.key, 'Không tìm thấy bản sao lưu')
    await tryRestore(old.usb, 'AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH', 'Khóa khôi phục không đúng')
    await page.screenshot({ path: shotPath('first-run-restore-error.png'), fullPage: true })
    const setup = await (await fetch(srv.url + '/api/setup')).json()
    assert.equal(setup.needed, true, 'no account was made')
    assert.equal(setup.restoreAvailable, true)

    // The right key, in lower case as copied from paper.
    await page.locator('#first-run-restore\\.key').fill(old.key.toLowerCase())
    await go.click()
    const pending = page.locator('.first-run-restore.pending-restore')
    await pending.getByRole('heading', { name: 'Đã chuẩn bị khôi phục' }).waitFor({ timeout: 60000 })
    assert.match(await pending.innerText(), /tài khoản của máy cũ/)
    assert.equal(await page.locator('#first-run-restore\\.key').count(), 0, 'the key is not left on the screen')
    assert.ok(existsSync(join(data, 'restore-pending', 'vault.json')), "the old PC's vault is prepared")
    // Reloaded before the restart, the screen still says what to do; the
    // set-up is not offered any more.
    await page.reload()
    await pending.getByRole('heading', { name: 'Đã chuẩn bị khôi phục' }).waitFor()
    assert.equal(await page.getByRole('button', { name: 'Lưu và bắt đầu sử dụng' }).count(), 0)

    // A second thought (the wrong backup, say): cancelled on the same
    // screen, the form is back and nothing waits for the restart.
    await pending.getByRole('button', { name: 'Hủy khôi phục, chọn lại' }).click()
    await form.waitFor()
    assert.equal(existsSync(join(data, 'restore-pending')), false, 'nothing prepared any more')
    assert.equal((await (await fetch(srv.url + '/api/setup')).json()).restoreAvailable, true)
    // …and prepared again, for the restart below.
    await page.locator('#first-run-restore\\.path').fill(old.usb)
    await page.locator('#first-run-restore\\.key').fill(old.key)
    await form.getByRole('button', { name: 'Kiểm tra và chuẩn bị khôi phục' }).click()
    await pending.getByRole('heading', { name: 'Đã chuẩn bị khôi phục' }).waitFor({ timeout: 60000 })

    // The next start: the old PC's data, and its user logs in.
    await srv.stop()
    srv = await startServer(data)
    await page.goto(srv.url)
    await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor()
    await page.locator('#login\\.username').fill('canbo')
    await page.locator('#login\\.password').fill('mật khẩu mới của cán bộ')
    await page.getByRole('button', { name: 'Đăng nhập' }).click()
    await page.getByText('Trần Văn Bình').first().waitFor()
    const settings = await (await adminApi(srv.url))('/api/settings')
    assert.equal(settings.body.settings.communeName, 'Cam Phước Tây', "the old PC's office is back")
    assert.equal((await (await fetch(srv.url + '/api/setup')).json()).needed, false)
    assert.deepEqual(apiErrors, [])
  } finally {
    await page.close()
    await srv.stop()
  }
})
