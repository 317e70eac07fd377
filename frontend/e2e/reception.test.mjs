// The reception desk end to end, against a real `motcua serve` and
// Chromium: receive a dossier with the keyboard, print its receipt (text and
// QR checked in the PDF), carry it through supplement → result → return,
// find it in the register; plus double submits, a bad ID number and an
// unknown barcode.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { OFFICE as office, launchBrowser, setupDesk, shotPath, startServer, tempDir } from './harness.mjs'

const APPLICANT = 'Nguyễn Thị Hương'
// 056 Khánh Hòa, 1 = female born 19xx, 90 = 1990.
const APPLICANT_ID = '056190001234'
const PROCEDURE = '2.000815' // Chứng thực bản sao từ bản chính

let b, srv, work, token
before(async () => {
  work = tempDir('motcua-e2e-reception-')
  ;[b, srv] = await Promise.all([launchBrowser(), startServer(join(work, 'data'))])
  token = await setupDesk(srv.url, office)
})
after(async () => {
  await b?.close()
  await srv?.stop()
})

// authFetch calls the API as the logged-in desk user.
function authFetch(url, init = {}) {
  return fetch(url, { ...init, headers: { ...(init.headers ?? {}), Authorization: 'Bearer ' + token } })
}

async function api(path, init) {
  const r = await authFetch(srv.url + path, init)
  const body = await r.json()
  return { status: r.status, body }
}

async function allDossiers() {
  const { status, body } = await api('/api/dossiers?list=all&limit=200')
  assert.equal(status, 200)
  return body.items ?? []
}

async function newPage() {
  const page = await b.browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' })
  await page.context().addCookies([{ name: 'motcua_session', value: token, url: srv.url + '/api' }])
  const problems = []
  page.on('pageerror', (e) => problems.push('page error: ' + e.message))
  page.on('response', (r) => {
    if (r.url().includes('/api/') && r.status() >= 500) problems.push(`${r.status()} ${r.url()}`)
  })
  return { page, problems }
}

const focusedId = (page) => page.evaluate(() => document.activeElement?.id ?? '')

// --- the legal clock, recomputed from the API's receivedAt -------------------
const p2 = (n) => String(n).padStart(2, '0')
function office7(iso) {
  const d = new Date(Date.parse(iso) + 7 * 3600 * 1000)
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), min: d.getUTCMinutes() }
}
// Solar public holidays (Culture Day 24/11 from 2026). Lunar holidays and
// compensatory days are the backend's unit tests' job; this E2E only needs
// the days around "now".
const SOLAR_HOLIDAYS = new Set(['01-01', '04-30', '05-01', '09-02', '11-24'])
function isWorkingDay(y, m, d) {
  const wd = new Date(Date.UTC(y, m - 1, d)).getUTCDay()
  return wd !== 0 && wd !== 6 && !SOLAR_HOLIDAYS.has(`${p2(m)}-${p2(d)}`)
}
// Same-day procedures: received before 15:00 on a working day → 17:00 that
// day; otherwise 17:00 on the next working day.
function expectedDue(receivedAt) {
  const p = office7(receivedAt)
  let t = Date.UTC(p.y, p.m - 1, p.d)
  const day = () => new Date(t)
  const working = () => isWorkingDay(day().getUTCFullYear(), day().getUTCMonth() + 1, day().getUTCDate())
  if (!(working() && p.h < 15)) {
    do t += 86400000
    while (!working())
  }
  const d = day()
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}T17:00:00+07:00`
}
function dueText(iso) {
  const p = office7(iso)
  return `${p2(p.h)} giờ ${p2(p.min)} phút, ngày ${p2(p.d)}/${p2(p.m)}/${p.y}`
}

test('a new applicant’s certification dossier: keyboard reception, receipt PDF with QR, lifecycle, register', async () => {
  const { page, problems } = await newPage()
  await page.goto(srv.url)

  // A configured desk lands on the reception screen with the procedure
  // field focused.
  await page.getByRole('heading', { name: 'Tiếp nhận hồ sơ' }).waitFor()
  assert.equal(new URL(page.url()).hash, '#/tiep-nhan')
  assert.equal(await focusedId(page), 'procedure')

  // Type-ahead without diacritics; choose 2.000815 with ↓ and Enter.
  await page.keyboard.type('chung thuc ban sao tu ban chinh')
  const options = page.locator('#procedure-list [role=option]')
  await options.first().waitFor()
  await page.waitForFunction(() => !document.querySelector('#procedure-list .combo-empty'))
  const texts = await options.allInnerTexts()
  const idx = texts.findIndex((t) => t.includes(PROCEDURE))
  assert.ok(idx >= 0, `2.000815 is suggested: ${texts.join(' | ')}`)
  for (let i = 0; i <= idx; i++) await page.keyboard.press('ArrowDown')
  await page.keyboard.press('Enter')
  const card = page.getByTestId('procedure-card')
  await card.waitFor()
  assert.match(await card.innerText(), /2\.000815/)
  assert.match(await card.innerText(), /2\.000 đ\/trang/, 'the fee is shown')

  // Applicant lookup: nobody yet, so Enter takes the typed name as a new
  // applicant and moves on to the ID number.
  assert.equal(await focusedId(page), 'lookup')
  await page.keyboard.type(APPLICANT)
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => document.activeElement?.id === 'ap-id')
  assert.equal(await page.locator('#ap-name').inputValue(), APPLICANT)
  await page.keyboard.type(APPLICANT_ID)
  await page.keyboard.press('Enter')
  assert.equal(await focusedId(page), 'ap-birth')
  await page.keyboard.type('12/05/1990')
  await page.keyboard.press('Enter')
  assert.equal(await focusedId(page), 'ap-address')
  await page.keyboard.type('Thôn Thủy Triều, xã Cam Hải Đông, tỉnh Khánh Hòa')
  await page.keyboard.press('Enter')
  assert.equal(await focusedId(page), 'ap-phone')
  await page.keyboard.type('0905123456')
  await page.keyboard.press('Enter')
  assert.equal(await focusedId(page), 'ap-email')

  // The catalog's papers are prefilled: the original is presented and
  // ticked, the optional copy is not.
  assert.equal(await page.locator('#comp-0').isChecked(), true)
  assert.equal(await page.locator('#comp-1').isChecked(), false)
  assert.match(await page.locator('table.components').innerText(), /xuất trình/)
  await page.screenshot({ path: shotPath('reception.png'), fullPage: true })

  const before = (await allDossiers()).length
  await page.keyboard.press('Control+Enter')
  const codeEl = page.getByTestId('dossier-code')
  await codeEl.waitFor()
  const code = (await codeEl.innerText()).trim()
  assert.match(code, /^000\.17\.22\.H56-\d{6}-\d{4,}$/)

  // The due time shown is the API's, and the API's follows the 15:00 rule.
  const { body: got } = await api('/api/dossiers/by-code/' + encodeURIComponent(code))
  const d = got.dossier
  assert.equal(d.applicant.name, APPLICANT)
  assert.equal(d.state, 'received')
  assert.equal(
    Date.parse(d.dueAt),
    Date.parse(expectedDue(d.receivedAt)),
    `received ${d.receivedAt} → due ${d.dueAt}, want ${expectedDue(d.receivedAt)} (solar holidays only)`,
  )
  const due = dueText(d.dueAt)
  assert.equal((await page.getByTestId('due').innerText()).trim(), due)
  assert.equal((await allDossiers()).length, before + 1)
  assert.equal(await focusedId(page), 'print-slip', 'the print button has the focus')
  await page.screenshot({ path: shotPath('reception-done.png'), fullPage: true })

  // "In giấy tiếp nhận" opens the receipt PDF.
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.keyboard.press('Enter')])
  const receiptUrl = popup.url()
  await popup.close()
  assert.equal(new URL(receiptUrl).pathname, `/api/dossiers/${d.id}/forms/receipt`)
  const pdfResp = await authFetch(receiptUrl)
  assert.equal(pdfResp.status, 200)
  assert.equal(pdfResp.headers.get('content-type'), 'application/pdf')
  const pdfPath = join(work, 'receipt.pdf')
  writeFileSync(pdfPath, Buffer.from(await pdfResp.arrayBuffer()))
  const text = execFileSync('pdftotext', ['-enc', 'UTF-8', pdfPath, '-'], { encoding: 'utf8' }).normalize('NFC')
  assert.ok(text.includes(code), 'receipt names the dossier code')
  assert.ok(text.includes(APPLICANT), 'receipt names the applicant with diacritics')
  assert.ok(text.includes(due), `receipt gives the due time "${due}"`)
  execFileSync('pdftoppm', ['-r', '150', '-png', '-f', '1', '-l', '1', pdfPath, join(work, 'receipt')])
  const qr = execFileSync('zbarimg', ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', join(work, 'receipt-1.png')], {
    encoding: 'utf8',
  })
  assert.ok(qr.includes(code), `the QR code decodes to the dossier code: ${qr}`)

  // The barcode field (F4) opens the dossier from its code.
  await page.keyboard.press('F4')
  assert.equal(await focusedId(page), 'barcode')
  await page.keyboard.type(code)
  await page.keyboard.press('Enter')
  await page.waitForURL((u) => u.hash === '#/ho-so/' + d.id)
  await page.getByRole('heading', { name: code }).waitFor()
  const state = page.getByTestId('state')
  assert.equal(await state.innerText(), 'Đã tiếp nhận')

  // act runs one action through its dialog and waits for the timeline.
  async function act(action, fill) {
    const n = await page.locator('ol.timeline > li').count()
    await page.locator(`.action-buttons button[data-action="${action}"]`).click()
    const dlg = page.locator('dialog.action-dialog[open]')
    await dlg.waitFor()
    await fill?.(dlg)
    await page.keyboard.press('Control+Enter')
    await dlg.waitFor({ state: 'detached' })
    await page.locator(`ol.timeline > li:nth-child(${n + 1})[data-action="${action}"]`).waitFor()
  }

  // A dialog shows its own check in Vietnamese before anything is sent.
  await page.locator('.action-buttons button[data-action="request_supplement"]').click()
  await page.keyboard.press('Control+Enter')
  await page.getByText('Ghi rõ giấy tờ cần bổ sung (mỗi dòng một giấy tờ).').waitFor()
  await page.keyboard.press('Escape')
  await page.locator('dialog.action-dialog').waitFor({ state: 'detached' })

  await act('request_supplement', async (dlg) => {
    await dlg.locator('#dlg-items').fill('Bản chính giấy tờ rõ nét, không tẩy xóa')
    await dlg.locator('#dlg-reason').fill('Bản chính bị mờ một trang')
  })
  assert.equal(await state.innerText(), 'Chờ bổ sung')
  await act('supplement_received', async (dlg) => {
    await dlg.locator('#dlg-items').fill('Bản chính giấy tờ rõ nét')
  })
  assert.equal(await state.innerText(), 'Đã tiếp nhận')
  await page.screenshot({ path: shotPath('dossier-detail.png'), fullPage: true })
  await act('record_result', async (dlg) => {
    // Prefilled from the catalog's result papers.
    assert.match(await dlg.locator('#dlg-results').inputValue(), /Bản sao được chứng thực từ bản chính/)
  })
  assert.equal(await state.innerText(), 'Đã có kết quả')
  await act('return_result', async (dlg) => {
    assert.equal(await dlg.locator('#dlg-method').inputValue(), 'in_person')
    await dlg.locator('#dlg-receiver-name').fill(APPLICANT)
    await page.screenshot({ path: shotPath('action-dialog.png') })
  })
  assert.equal(await state.innerText(), 'Đã trả kết quả')
  assert.match(await page.locator('.side').innerText(), /không còn thao tác nào/)

  const actions = await page.locator('ol.timeline > li').evaluateAll((lis) => lis.map((li) => li.dataset.action))
  assert.deepEqual(actions, ['receive_complete', 'request_supplement', 'supplement_received', 'record_result', 'return_result'])
  const timeline = (await page.locator('ol.timeline').innerText()).normalize('NFC')
  for (const w of ['Tiếp nhận hồ sơ', 'Yêu cầu bổ sung hồ sơ', 'Nhận hồ sơ bổ sung', 'Cập nhật kết quả giải quyết', 'Trả kết quả']) {
    assert.ok(timeline.includes(w), `timeline shows "${w}"`)
  }
  assert.ok(timeline.includes('Bản chính bị mờ một trang'), 'timeline shows the reason')
  // The form buttons follow what happened: receipt, supplement slip, control slip.
  const forms = await page.locator('.form-buttons a').evaluateAll((as) => as.map((a) => a.dataset.form))
  assert.deepEqual(forms, ['receipt', 'supplement', 'control'])
  for (const f of forms) {
    const r = await authFetch(srv.url + `/api/dossiers/${d.id}/forms/${f}`)
    assert.equal(r.status, 200, `form ${f} is printable`)
  }

  // Work list: the dossier is listed under "Tất cả".
  await page.locator('nav a', { hasText: 'Hồ sơ' }).click()
  await page.locator('.tabs a', { hasText: 'Tất cả' }).click()
  const row = page.locator('table.list tbody tr', { hasText: code })
  await row.waitFor()
  assert.match(await row.innerText(), /Đã trả kết quả/)
  await page.screenshot({ path: shotPath('worklist.png'), fullPage: true })

  // Dashboard and the register for today.
  await page.locator('nav a', { hasText: 'Tổng quan' }).click()
  await page.getByTestId('received').waitFor()
  assert.ok(Number(await page.getByTestId('received').innerText()) >= 1)
  await page.screenshot({ path: shotPath('dashboard.png'), fullPage: true })
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#register-xlsx').click()])
  const xlsx = join(work, 'register.xlsx')
  await download.saveAs(xlsx)
  const xml = execFileSync('unzip', ['-p', xlsx], { encoding: 'utf8', maxBuffer: 32 << 20 }).normalize('NFC')
  assert.ok(xml.includes(code), 'the register lists the dossier code')
  assert.ok(xml.includes(APPLICANT), 'the register lists the applicant')

  // Contract details the timeline relies on (docs/API.md: camelCase event
  // fields): the reception event carries the appointment and the actor's name.
  const { body: detail } = await api('/api/dossiers/' + d.id)
  const rec = detail.events.find((e) => e.action === 'receive_complete')
  assert.equal(rec.dueDate && Date.parse(rec.dueDate), Date.parse(d.dueAt), 'event.dueDate of the reception')
  assert.ok(rec.actorName, 'event.actorName')
  assert.ok(timeline.includes('Hẹn trả: ' + due), 'timeline shows the appointment')

  assert.deepEqual(problems, [])
  await page.close()
})

// fillMinimal fills the reception form for a new applicant by keyboard,
// procedure by code.
async function fillMinimal(page, name, idNumber) {
  await page.locator('#procedure').waitFor()
  await page.locator('#procedure').focus()
  await page.keyboard.type(PROCEDURE)
  await page.keyboard.press('Enter')
  await page.getByTestId('procedure-card').waitFor()
  await page.keyboard.type(name)
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => document.activeElement?.id === 'ap-id')
  await page.keyboard.type(idNumber)
}

test('a double submit (Enter twice, double click, same requestId) makes one dossier', async () => {
  const { page, problems } = await newPage()
  await page.goto(srv.url + '/#/tiep-nhan')

  let count = (await allDossiers()).length
  await fillMinimal(page, 'Trần Văn Bình', '056085001111')
  await page.locator('#submit').focus()
  await page.keyboard.press('Enter')
  await page.keyboard.press('Enter')
  await page.getByTestId('dossier-code').waitFor()
  await page.waitForTimeout(300) // a second request, if any, has landed
  assert.equal((await allDossiers()).length, count + 1, 'Enter twice → one dossier')
  count++

  // F2 starts a fresh form.
  await page.keyboard.press('F2')
  await page.locator('#procedure').waitFor()
  assert.equal(await page.locator('#ap-name').inputValue(), '')
  await fillMinimal(page, 'Lê Thị Cúc', '056192002222')
  await page.locator('#submit').dblclick()
  await page.getByTestId('dossier-code').waitFor()
  await page.waitForTimeout(300)
  assert.equal((await allDossiers()).length, count + 1, 'double click → one dossier')
  count++

  // A returning applicant is found by ID-number prefix and reused.
  const first = await api('/api/dossiers', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      requestId: '0b8f3c52-6a1d-4e7b-9c2a-5d4e3f2a1b00',
      procedureCode: PROCEDURE,
      applicant: { kind: 'person', name: 'Hoàng Văn Khánh', idNumber: '056086005555', address: 'Thôn Bãi Giếng', phone: '0912000555', email: '' },
      channel: 'in_person',
      components: [],
      sets: 1,
      outcome: 'complete',
      resultDelivery: 'in_person',
    }),
  })
  assert.equal(first.status, 201)
  count++
  await page.keyboard.press('F2')
  await page.locator('#procedure').waitFor()
  await page.keyboard.type(PROCEDURE)
  await page.keyboard.press('Enter')
  await page.getByTestId('procedure-card').waitFor()
  // By name the clerk must choose with ↓ (names are not unique) …
  await page.keyboard.type('hoang van khanh')
  await page.locator('#lookup-list [role=option]', { hasText: 'Hoàng Văn Khánh' }).waitFor()
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('Enter')
  await page.locator('.known').waitFor()
  assert.equal(await page.locator('#ap-id').inputValue(), '056086005555')
  // … while the exact ID number is taken with Enter alone.
  await page.getByRole('button', { name: 'Nhập người khác' }).click()
  assert.equal(await page.locator('#ap-id').inputValue(), '')
  assert.equal(await focusedId(page), 'lookup')
  await page.keyboard.type('056086005555')
  await page.keyboard.press('Enter')
  await page.locator('.known').waitFor()
  assert.equal(await page.locator('#ap-name').inputValue(), 'Hoàng Văn Khánh')
  assert.equal(await page.locator('#ap-id').inputValue(), '056086005555')
  assert.equal(await page.locator('#ap-address').inputValue(), 'Thôn Bãi Giếng')
  await page.keyboard.press('Control+Enter')
  const code3 = (await page.getByTestId('dossier-code').innerText()).trim()
  const third = await api('/api/dossiers/by-code/' + encodeURIComponent(code3))
  assert.equal(third.body.dossier.applicant.id, first.body.dossier.applicant.id, 'the same applicant record')
  assert.equal((await allDossiers()).length, count + 1)
  count++

  // The same requestId sent twice straight to the API (a retry after a lost
  // answer): the second answer is the first dossier.
  const reception = {
    requestId: '5b7c0e7e-8f0a-4c1e-9a57-2f3d9a1c0b11',
    procedureCode: PROCEDURE,
    applicant: { kind: 'person', name: 'Phạm Văn Dũng', idNumber: '056088003333', address: '', phone: '', email: '' },
    channel: 'in_person',
    components: [{ name: 'Bản chính giấy tờ', originals: 1, certified: 0, copies: 0 }],
    sets: 1,
    outcome: 'complete',
    resultDelivery: 'in_person',
  }
  const post = () =>
    api('/api/dossiers', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(reception) })
  const [r1, r2] = await Promise.all([post(), post()])
  assert.deepEqual([r1.status, r2.status].sort(), [200, 201])
  assert.equal(r1.body.dossier.id, r2.body.dossier.id)
  assert.deepEqual([r1.body.duplicate, r2.body.duplicate].sort(), [false, true])
  assert.equal((await allDossiers()).length, count + 1)

  assert.deepEqual(problems, [])
  await page.close()
})

test('a wrong ID number shows a Vietnamese field error and stores nothing; corrected, it saves once', async () => {
  const { page, problems } = await newPage()
  await page.goto(srv.url + '/#/tiep-nhan')
  const count = (await allDossiers()).length

  // Too short: caught in the browser.
  await fillMinimal(page, 'Võ Thị Em', '12345')
  await page.keyboard.press('Control+Enter')
  await page.getByText('Số định danh cá nhân phải có đủ 12 chữ số (đang có 5).').waitFor()
  assert.equal(await page.locator('#ap-id').getAttribute('aria-invalid'), 'true')
  assert.equal(await focusedId(page), 'ap-id', 'focus goes to the wrong field')

  // Twelve digits but an unknown province code: the server is the authority.
  await page.locator('#ap-id').fill('999190001234')
  await page.keyboard.press('Control+Enter')
  const err = page.locator('#ap-id-err')
  await err.waitFor()
  const msg = (await err.innerText()).normalize('NFC')
  assert.match(msg, /[ạ-ỹđĐ]/u, `a Vietnamese message: ${msg}`)
  assert.equal(await page.locator('#ap-id').getAttribute('aria-invalid'), 'true')
  await page.getByRole('alert').filter({ hasText: /không hợp lệ|chưa hợp lệ/i }).first().waitFor()
  await page.screenshot({ path: shotPath('reception-invalid.png'), fullPage: true })

  assert.equal(await page.getByTestId('dossier-code').count(), 0)
  assert.equal((await allDossiers()).length, count, 'nothing stored')

  // Corrected, the same form saves exactly once.
  await page.locator('#ap-id').fill('056190008888')
  assert.equal(await page.locator('#ap-id').getAttribute('aria-invalid'), 'false', 'editing clears the error')
  await page.keyboard.press('Control+Enter')
  await page.getByTestId('dossier-code').waitFor()
  assert.equal((await allDossiers()).length, count + 1)
  assert.deepEqual(problems, [])
  await page.close()
})

test('incomplete, refused and postal receptions: slips and postmark', async () => {
  const { page, problems } = await newPage()
  await page.goto(srv.url + '/#/tiep-nhan')

  await fillMinimal(page, 'Bùi Thị Lan', '056195006666')
  await page.locator('#comp-0').uncheck()
  await page.getByLabel('Yêu cầu bổ sung').check()
  // The required paper not handed in is proposed as the missing item.
  assert.match(await page.locator('#missing').inputValue(), /Bản chính giấy tờ, văn bản làm cơ sở/)
  await page.locator('#reason').fill('Chưa mang bản chính')
  assert.equal(await page.locator('#submit').innerText(), 'Lập phiếu yêu cầu bổ sung')
  await page.keyboard.press('Control+Enter')
  await page.getByText('Đã lập phiếu yêu cầu bổ sung, hoàn thiện hồ sơ').waitFor()
  let slip = page.locator('#print-slip')
  assert.equal(await slip.innerText(), 'In phiếu yêu cầu bổ sung')
  assert.equal(await slip.getAttribute('data-form'), 'supplement')
  let r = await authFetch(new URL(await slip.getAttribute('href'), srv.url))
  assert.equal(r.status, 200)
  assert.equal(r.headers.get('content-type'), 'application/pdf')
  let code = (await page.getByTestId('dossier-code').innerText()).trim()
  let got = await api('/api/dossiers/by-code/' + encodeURIComponent(code))
  assert.equal(got.body.dossier.state, 'awaiting_supplement')

  await page.keyboard.press('F2')
  await fillMinimal(page, 'Đỗ Văn Minh', '056080007777')
  await page.getByLabel('Từ chối').check()
  await page.keyboard.press('Control+Enter')
  await page.getByText('Ghi rõ lý do từ chối tiếp nhận.').waitFor()
  await page.locator('#reason').fill('Giấy tờ không thuộc thẩm quyền chứng thực của UBND xã')
  await page.keyboard.press('Control+Enter')
  await page.getByText('Đã lập phiếu từ chối tiếp nhận hồ sơ').waitFor()
  slip = page.locator('#print-slip')
  assert.equal(await slip.getAttribute('data-form'), 'refusal')
  r = await authFetch(new URL(await slip.getAttribute('href'), srv.url))
  assert.equal(r.status, 200)
  code = (await page.getByTestId('dossier-code').innerText()).trim()
  got = await api('/api/dossiers/by-code/' + encodeURIComponent(code))
  assert.equal(got.body.dossier.state, 'refused')

  // By post: the postmark time is required and sent in office time.
  await page.keyboard.press('F2')
  await fillMinimal(page, 'Mai Thị Oanh', '056191001010')
  await page.locator('#channel').selectOption('postal')
  await page.keyboard.press('Control+Enter')
  await page.getByText('Nhập thời điểm theo dấu bưu chính', { exact: false }).waitFor()
  const y = office7(new Date(Date.now() - 86400000).toISOString())
  await page.locator('#postmark').fill(`${p2(y.d)}/${p2(y.m)}/${y.y} 09:30`)
  await page.locator('#delivery').selectOption('post')
  await page.keyboard.press('Control+Enter')
  await page.getByTestId('dossier-code').waitFor()
  code = (await page.getByTestId('dossier-code').innerText()).trim()
  got = await api('/api/dossiers/by-code/' + encodeURIComponent(code))
  assert.equal(got.body.dossier.channel, 'postal')
  assert.equal(got.body.dossier.resultDelivery, 'post')
  assert.equal(Date.parse(got.body.dossier.postmarkAt), Date.parse(`${y.y}-${p2(y.m)}-${p2(y.d)}T09:30:00+07:00`))

  assert.deepEqual(problems, [])
  await page.close()
})

test('work list: tabs, diacritic-free search and "Xem thêm" paging through the cursor', async () => {
  const { page, problems } = await newPage()
  const ids = ['056079010101', '056179010102', '056079010103']
  for (const [i, idNumber] of ids.entries()) {
    const r = await api('/api/dossiers', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        requestId: `7d3c2b1a-0f9e-4d8c-8b7a-6e5d4c3b2a1${i}`,
        procedureCode: PROCEDURE,
        applicant: { kind: 'person', name: `Ngô Thị Quỳnh ${i + 1}`, idNumber, address: '', phone: '', email: '' },
        channel: 'in_person',
        components: [],
        sets: 1,
        outcome: 'complete',
        resultDelivery: 'in_person',
      }),
    })
    assert.equal(r.status, 201)
  }

  // Two per page: the three matches arrive as 2 + 1.
  await page.goto(srv.url + '/#/ho-so?list=all&limit=2')
  const rows = page.locator('table.list tbody tr')
  await rows.first().waitFor()
  await page.locator('#list-q').fill('ngo thi quynh')
  await page.waitForFunction(() => new URLSearchParams(location.hash.split('?')[1]).get('q') === 'ngo thi quynh')
  // Wait for the filtered page itself, not the unfiltered one still shown
  // while the search is in flight (its cursor would page the wrong list).
  await page.waitForFunction(() => {
    const trs = [...document.querySelectorAll('table.list tbody tr')]
    return trs.length === 2 && trs.every((tr) => tr.textContent.includes('Ngô Thị Quỳnh'))
  })
  assert.match(await rows.first().innerText(), /Ngô Thị Quỳnh/)
  const more = page.getByRole('button', { name: 'Xem thêm' })
  await more.click()
  await page.waitForFunction(() => document.querySelectorAll('table.list tbody tr').length === 3)
  await more.waitFor({ state: 'detached' })
  const names = (await rows.allInnerTexts()).map((t) => t.match(/Ngô Thị Quỳnh \d/)?.[0]).sort()
  assert.deepEqual(names, ['Ngô Thị Quỳnh 1', 'Ngô Thị Quỳnh 2', 'Ngô Thị Quỳnh 3'])

  // The query survives a switch of tab; nothing matches → a clear message.
  await page.locator('.tabs a', { hasText: 'Quá hạn' }).click()
  await page.waitForFunction(() => location.hash.includes('list=overdue') && location.hash.includes('q=ngo'))
  await page.getByText('Không có hồ sơ nào trong danh sách này.').waitFor()
  // Counts come with the tabs.
  assert.match(await page.locator('.tabs').innerText(), /Quá hạn\s*\d+/)

  assert.deepEqual(problems, [])
  await page.close()
})

test('apology and extension: the new appointment replaces the old, with its slip', async () => {
  const { page, problems } = await newPage()
  const { body } = await api('/api/dossiers', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      requestId: '2e4f6a8c-1b3d-4f5a-9c7e-0a2b4c6d8e10',
      procedureCode: PROCEDURE,
      applicant: { kind: 'person', name: 'Trịnh Văn Phúc', idNumber: '056084009999', address: '', phone: '', email: '' },
      channel: 'in_person',
      components: [],
      sets: 1,
      outcome: 'complete',
      resultDelivery: 'in_person',
    }),
  })
  const d = body.dossier
  const oldDue = dueText(d.dueAt)
  // Two days later, same time of day.
  const newIso = new Date(Date.parse(d.dueAt) + 2 * 86400000).toISOString()
  const n = office7(newIso)
  const typed = `${p2(n.d)}/${p2(n.m)}/${n.y} 16:00`
  const newDue = `16 giờ 00 phút, ngày ${p2(n.d)}/${p2(n.m)}/${n.y}`

  await page.goto(srv.url + '/#/ho-so/' + d.id)
  await page.locator('.action-buttons button[data-action="apologize_extend"]').click()
  const dlg = page.locator('dialog.action-dialog[open]')
  await dlg.waitFor()
  // The current appointment is the starting point; a date before it is refused.
  assert.equal(await dlg.locator('#dlg-due').inputValue(), `${oldDue.slice(-10)} ${oldDue.slice(0, 2)}:${oldDue.slice(7, 9)}`)
  await dlg.locator('#dlg-reason').fill('Cần xác minh thêm với cơ quan cấp bản chính')
  await page.keyboard.press('Control+Enter')
  await dlg.getByText('Ngày hẹn mới phải sau ngày hẹn hiện tại.').waitFor()
  await dlg.locator('#dlg-due').fill(typed)
  await page.keyboard.press('Control+Enter')
  await dlg.waitFor({ state: 'detached' })
  await page.locator('ol.timeline > li[data-action="apologize_extend"]').waitFor()
  assert.match(await page.locator('.state-box').innerText(), new RegExp(newDue))
  const forms = await page.locator('.form-buttons a').evaluateAll((as) => as.map((a) => a.dataset.form))
  assert.ok(forms.includes('apology'), `apology slip offered: ${forms}`)
  const r = await authFetch(srv.url + `/api/dossiers/${d.id}/forms/apology`)
  assert.equal(r.status, 200)
  // The timeline shows "old → new" (needs the camelCase event fields of docs/API.md).
  const line = await page.locator('ol.timeline > li[data-action="apologize_extend"]').innerText()
  assert.ok(line.includes(`Hẹn trả: ${oldDue} → ${newDue}`), line)

  assert.deepEqual(problems, [])
  await page.close()
})

test('the barcode field answers an unknown code in Vietnamese; a stale action shows the API error', async () => {
  const { page, problems } = await newPage()
  await page.goto(srv.url + '/#/ho-so')
  await page.getByRole('heading', { name: 'Hồ sơ', exact: true }).waitFor()
  await page.keyboard.press('F4')
  await page.keyboard.type('000.17.22.H56-000101-9999')
  await page.keyboard.press('Enter')
  await page.getByText('Không tìm thấy hồ sơ có mã 000.17.22.H56-000101-9999.').waitFor()
  assert.equal(new URL(page.url()).hash, '#/ho-so')

  // Another desk records the result while this clerk's dialog is open: the
  // dialog shows the server's Vietnamese refusal and stays open.
  const { body } = await api('/api/dossiers', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      requestId: 'c0a80121-7d4e-4f6a-9b1c-3e2d1f0a9b88',
      procedureCode: PROCEDURE,
      applicant: { kind: 'person', name: 'Đặng Văn Giang', idNumber: '056087004444', address: '', phone: '', email: '' },
      channel: 'in_person',
      components: [],
      sets: 1,
      outcome: 'complete',
      resultDelivery: 'in_person',
    }),
  })
  const id = body.dossier.id
  await page.goto(srv.url + '/#/ho-so/' + id)
  await page.locator('.action-buttons button[data-action="record_result"]').click()
  await page.locator('dialog.action-dialog[open]').waitFor()
  const other = await api(`/api/dossiers/${id}/actions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ requestId: 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b', action: 'record_result', resultDocs: ['Bản sao'] }),
  })
  assert.equal(other.status, 200)
  await page.keyboard.press('Control+Enter')
  const alert = page.locator('dialog.action-dialog[open] [role=alert]')
  await alert.waitFor()
  const text = (await alert.innerText()).normalize('NFC')
  assert.match(text, /Không thể thực hiện/, text)
  await page.screenshot({ path: shotPath('action-error.png') })
  // The page behind catches up with the dossier's real state.
  await page.waitForFunction(() => document.querySelector('[data-testid=state]')?.textContent === 'Đã có kết quả')
  assert.equal(await page.locator('dialog.action-dialog[open]').count(), 1, 'the dialog stays open')
  const { body: after } = await api('/api/dossiers/' + id)
  assert.equal(after.events.length, 2, 'no second result event')

  assert.deepEqual(problems, [])
  await page.close()
})
