import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { OFFICE as office, launchBrowser, setupDesk, shotPath, startServer, tempDir } from './harness.mjs'

let b
before(async () => {
  b = await launchBrowser()
})
after(async () => {
  await b?.close()
})


const override2026 = {
  year: 2026,
  source: 'Thông báo nghỉ lễ Quốc khánh 2026 (ví dụ kiểm thử)',
  replace: {
    lunar_new_year: ['2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20'],
    national_day: ['2026-09-01', '2026-09-02'],
  },
  days_off: [{ date: '2026-08-31', name: 'Nghỉ hoán đổi dịp Quốc khánh' }],
  working_days: [{ date: '2026-08-22', name: 'Làm bù ngày 31/8/2026' }],
}

test('admin edits a procedure, imports catalogs, and uploads a holiday override', async () => {
  const dir = tempDir()
  const srv = await startServer(dir)
  const page = await b.browser.newPage({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' })
  const serverErrors = []
  page.on('response', (r) => {
    if (r.url().includes('/api/') && r.status() >= 500) serverErrors.push(`${r.status()} ${r.url()}`)
  })
  try {
    const deskToken = await setupDesk(srv.url, office)
    // Log in as the admin through the UI and open the screen from the nav.
    await page.goto(srv.url)
    await page.locator('#login\\.username').fill('quantri')
    await page.locator('#login\\.password').fill('mật khẩu quản trị')
    await page.getByRole('button', { name: 'Đăng nhập' }).click()
    await page.getByRole('link', { name: 'Danh mục' }).click()
    await page.getByRole('heading', { name: 'Danh mục thủ tục hành chính' }).waitFor()
    const row = page.locator('tr[data-code="2.000884"]')
    await row.waitFor()
    assert.match(await row.innerText(), /Trong ngày/)

    // Edit 2.000884: 4 working hours.
    await row.getByRole('button', { name: 'Sửa 2.000884' }).click()
    const dlg = page.locator('dialog.proc-dialog')
    await dlg.getByRole('heading', { name: 'Sửa thủ tục 2.000884' }).waitFor()
    await dlg.locator('#proc-unit').selectOption('working_hours')
    await dlg.locator('#proc-amount').fill('4')
    await dlg.locator('#proc-note').fill('Tỉnh rút ngắn thời hạn chứng thực chữ ký')
    await page.screenshot({ path: shotPath('catalog-edit.png') })
    await dlg.getByRole('button', { name: 'Lưu thay đổi' }).click()
    await page.getByText('Đã lưu thủ tục 2.000884.').waitFor()
    await dlg.waitFor({ state: 'detached' })
    assert.match(await row.locator('td.time-cell').innerText(), /^4 giờ làm việc/)

    const view = await (await fetch(srv.url + '/api/procedures/2.000884', { headers: { Authorization: 'Bearer ' + deskToken } })).json()
    assert.equal(view.procedure.processingTime.label, '4 giờ làm việc')
    assert.equal(view.procedure.processingTime.unit, 'working_hours')
    // Fields the dialog does not show are kept.
    assert.ok(view.procedure.components.length > 0, 'components kept')
    assert.equal(view.procedure.fees[0].amount, 10000)

    // Import: a newer version (built from the export) succeeds; the old one
    // is then refused with the Vietnamese version error.
    const exported = await page.evaluate(async () => (await fetch('/api/catalog')).json())
    assert.equal(exported.version, 1)
    const newer = join(dir, 'danh-muc-v2.json')
    const older = join(dir, 'danh-muc-v1.json')
    writeFileSync(newer, JSON.stringify({ ...exported, version: 2, source: 'Danh mục tỉnh Khánh Hòa, phiên bản 2' }))
    writeFileSync(older, JSON.stringify({ ...exported, version: 1, source: 'Danh mục cũ' }))
    await page.locator('#catalog-file').setInputFiles(newer)
    await page.getByRole('button', { name: 'Nhập danh mục' }).click()
    await page.getByText(/Đã nhập danh mục phiên bản 2 \(\d+ thủ tục\)/).waitFor()
    await page.getByText('Phiên bản 2', { exact: false }).first().waitFor()
    await page.locator('#catalog-file').setInputFiles(older)
    await page.getByRole('button', { name: 'Nhập danh mục' }).click()
    const importErr = page.locator('.import-card [role=alert]')
    await importErr.waitFor()
    assert.equal(await importErr.innerText(), 'Danh mục nhập vào cũ hơn danh mục đang dùng; không thay đổi gì.')
    const after = await page.evaluate(async () => (await fetch('/api/catalog')).json())
    assert.equal(after.version, 2, 'the refused import changed nothing')

    // Holiday calendar: upload the 2026 override.
    const cal = page.locator('section.holidays')
    await cal.locator('#holiday-year').selectOption('2026')
    await cal.getByText('Chưa có tệp điều chỉnh cho năm 2026', { exact: false }).waitFor()
    const overrideFile = join(dir, 'lich-nghi-2026.json')
    writeFileSync(overrideFile, JSON.stringify(override2026, null, 2))
    await cal.locator('#override-file').setInputFiles(overrideFile)
    await cal.getByRole('button', { name: 'Tải lên điều chỉnh' }).click()
    await cal.getByText('Đã áp dụng điều chỉnh lịch nghỉ năm 2026.').waitFor()
    const dayOff = cal.locator('#holiday-days tr', { hasText: '31/08/2026' })
    await dayOff.waitFor()
    assert.match(await dayOff.innerText(), /Thứ Hai\s+Nghỉ hoán đổi dịp Quốc khánh/)
    const workDay = cal.locator('#makeup-days tr', { hasText: '22/08/2026' })
    await workDay.waitFor()
    assert.match(await workDay.innerText(), /Thứ Bảy\s+Làm bù ngày 31\/8\/2026/)
    assert.match(await cal.innerText(), /Đang áp dụng tệp điều chỉnh năm 2026/)

    // A bad file is refused with a Vietnamese message and changes nothing.
    const badFile = join(dir, 'lich-nghi-sai.json')
    writeFileSync(badFile, JSON.stringify({ year: 2026, days_off: [{ date: '2026-02-30' }] }))
    await cal.locator('#override-file').setInputFiles(badFile)
    await cal.getByRole('button', { name: 'Tải lên điều chỉnh' }).click()
    const calErr = cal.locator('[role=alert]')
    await calErr.waitFor()
    assert.match(await calErr.innerText(), /^Tệp lịch nghỉ không hợp lệ/)
    assert.equal(await dayOff.count(), 1, 'the override is still in force')

    const text = await page.locator('main').innerText()
    assert.equal(text, text.normalize('NFC'), 'page text is NFC')
    await page.screenshot({ path: shotPath('catalog.png'), fullPage: true })

    // Removing the override brings back the statutory calendar.
    page.once('dialog', (d) => d.accept())
    await cal.getByRole('button', { name: 'Bỏ điều chỉnh năm 2026' }).click()
    await cal.getByText('Đã bỏ điều chỉnh lịch nghỉ năm 2026.').waitFor()
    await cal.getByText('Chưa có tệp điều chỉnh cho năm 2026', { exact: false }).waitFor()
    assert.equal(await cal.locator('#holiday-days tr', { hasText: '31/08/2026' }).count(), 0)

    assert.deepEqual(serverErrors, [])
  } finally {
    await page.close()
    await srv.stop()
  }
})
