// Digitization end to end, against a real `motcua serve` (MuPDF and
// Tesseract with Vietnamese) and Chromium: a 3-page scan-like PDF (page
// images only, no text layer) is imported into a received dossier through
// the file dialog, the progress bar reaches 3/3, a search typed without
// diacritics finds the one page that says "Giấy khai sinh" and opens it;
// bad files get their Vietnamese reason without disturbing a good file
// dropped on the drop zone;
// an archive batch gets its metadata, its low-confidence page reviewed and
// corrected, and exports.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { after, before, test } from 'node:test'
import { apiAs, launchBrowser, OFFICE, receiveDossier, setupDesk, shotPath, startServer, tempDir } from './harness.mjs'

const root = resolve(import.meta.dirname, '..', '..')

let b, srv, work, token, api, mkdoc
let dossier // the received dossier the scan is imported into
let docPdf // the 3-page document

// makeDoc writes a scan-like PDF with mkdoc (internal/scantest/mkdoc):
// args are its flags and pages ("line|line" per page); none = the fixed
// 3-page document whose page 2 alone says "Giấy khai sinh".
function makeDoc(name, ...args) {
  const out = join(work, name)
  execFileSync(mkdoc, ['-o', out, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  return out
}

before(async () => {
  work = tempDir('motcua-e2e-scan-')
  mkdoc = join(work, 'mkdoc')
  execFileSync('go', ['build', '-o', mkdoc, './internal/scantest/mkdoc'], { cwd: root, stdio: 'inherit' })
  ;[b, srv] = await Promise.all([
    launchBrowser(),
    // 200 dpi is plenty for 12-pt text and keeps two shared cores quick.
    startServer(join(work, 'data'), { MOTCUA_SCAN_DPI: '200', MOTCUA_SCAN_WORKERS: '2' }),
  ])
  token = await setupDesk(srv.url, OFFICE)
  api = apiAs(srv.url, token)
  docPdf = makeDoc('giay-to-ho-so.pdf')

  // Receive a dossier as the desk does, with the procedure's first paper.
  dossier = await receiveDossier(
    api,
    { name: 'Nguyễn Thị Hương', idNumber: '056190001234', address: 'Thôn Thủy Triều', phone: '0905123456' },
    { requestId: '7d2c9a10-3e4f-4b5a-8c6d-0e1f2a3b4c5d' },
  )
  assert.equal(dossier.components[0].digitised, false)
})
after(async () => {
  await b?.close()
  await srv?.stop()
})

async function newPage() {
  const page = await b.browser.newPage({ viewport: { width: 1366, height: 900 }, locale: 'vi-VN' })
  await page.context().addCookies([{ name: 'motcua_session', value: token, url: srv.url + '/api' }])
  const problems = []
  const scanCalls = []
  page.on('pageerror', (e) => problems.push('page error: ' + e.message))
  page.on('response', (r) => {
    if (r.url().includes('/api/') && r.status() >= 500) problems.push(`${r.status()} ${r.url()}`)
  })
  page.on('request', (r) => {
    const u = new URL(r.url())
    if (r.method() === 'GET' && (u.pathname === '/api/scans' || u.pathname.startsWith('/api/scans/'))) scanCalls.push(Date.now())
  })
  return { page, problems, scanCalls }
}

const fold = (s) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')

// imageShown waits until the image at selector has loaded and decoded.
function imageShown(page, selector) {
  return page.waitForFunction((sel) => {
    const i = document.querySelector(sel)
    return i && i.complete && i.naturalWidth > 0
  }, selector)
}

// fill types values into the fields with these ids.
async function fill(page, values) {
  for (const [id, v] of Object.entries(values)) await page.locator('#' + id).fill(v)
}

let jobId // the 3-page job

test('a 3-page scan imported into a dossier: progress to 3/3, search without diacritics, the hit opens page 2', async () => {
  const { page, problems, scanCalls } = await newPage()
  await page.goto(srv.url + '/#/ho-so/' + dossier.id)
  // The top bar keeps one line with its two more links and the search box.
  const bar = await page.locator('.topbar').boundingBox()
  assert.ok(bar.height < 75, `top bar height ${bar.height}`)
  const block = page.getByTestId('dossier-scans')
  await block.getByText('Hồ sơ chưa có bản số hóa nào.').waitFor()
  assert.equal(await block.getByTestId('digitised-count').innerText(), 'Thành phần đã số hóa: 0/1')

  // The import binds to this dossier; the component is chosen.
  await page.locator('#dossier-import').click()
  assert.equal(await page.getByTestId('dossier-scan-bind-bound').innerText().then((t) => t.includes(dossier.code)), true)
  const comp = dossier.components[0].name
  await page.locator('#dossier-scan-bind-component').selectOption(comp)

  // Record every value the progress bar takes.
  await page.evaluate(() => {
    window.__progress = []
    new MutationObserver(() => {
      const bar = document.querySelector('[data-testid=dossier-scans] tr[data-job-id] [role=progressbar]')
      if (!bar) return
      const v = `${bar.getAttribute('data-done')}/${bar.getAttribute('data-pages')}`
      if (window.__progress.at(-1) !== v) window.__progress.push(v)
    }).observe(document.body, { subtree: true, childList: true, attributes: true })
  })
  await page.locator('#dossier-scan-files').setInputFiles(docPdf)
  const row = block.locator('tr[data-job-id]')
  await row.waitFor()
  jobId = await row.getAttribute('data-job-id')
  await block.locator(`tr[data-job-id="${jobId}"][data-state="done"]`).waitFor({ timeout: 180000 })
  assert.equal(await row.getByTestId('progress-text').innerText(), '3/3 trang')
  const seen = await page.evaluate(() => window.__progress)
  assert.equal(seen.at(-1), '3/3', `progress values: ${seen}`)
  assert.ok(seen.length >= 2 && seen[0] !== '3/3', `the bar was seen before it was full: ${seen}`)
  for (let i = 1; i < seen.length; i++) {
    const [a, b2] = [seen[i - 1], seen[i]].map((v) => Number(v.split('/')[0]))
    assert.ok(b2 >= a, `the bar never goes back: ${seen}`)
  }

  // The dossier reloads: its component is digitised, here and in the API.
  await block.getByText('Thành phần đã số hóa: 1/1').waitFor()
  await page.locator('.comp-list li', { hasText: comp }).getByText('đã số hóa').waitFor()
  await block.scrollIntoViewIfNeeded()
  await page.screenshot({ path: shotPath('scan-dossier.png'), fullPage: true })
  const { body: d } = await api('/api/dossiers/' + dossier.id)
  assert.equal(d.dossier.components[0].digitised, true)
  const { body: j } = await api('/api/scans/' + jobId)
  assert.equal(j.job.dossierId, dossier.id)
  assert.equal(j.job.component, comp)
  assert.equal(j.job.pages, 3)

  // The searchable PDF has the words as text (the input had none).
  const pdf = await api.raw(`/api/scans/${jobId}/pdf`)
  assert.equal(pdf.status, 200)
  const pdfPath = join(work, 'searchable.pdf')
  writeFileSync(pdfPath, Buffer.from(await pdf.arrayBuffer()))
  const text = execFileSync('pdftotext', ['-enc', 'UTF-8', '-f', '2', '-l', '2', pdfPath, '-'], { encoding: 'utf8' })
  assert.match(fold(text), /giay khai sinh/, `page 2 of the PDF: ${text}`)

  // Once nothing is running the job list stops asking.
  await page.waitForTimeout(1500)
  const before = scanCalls.length
  await page.waitForTimeout(2500)
  assert.equal(scanCalls.length, before, 'no polling once every job is finished')

  // Search from the top bar, without diacritics.
  await page.locator('#top-search').fill('giay khai sinh')
  await page.locator('#top-search').press('Enter')
  await page.waitForURL(/#\/tim-kiem\?q=giay\+khai\+sinh$/)
  const hits = page.getByTestId('page-hits').locator('a.hit')
  await hits.first().waitFor()
  const pagesHit = await page.getByTestId('page-hits').locator(`a.hit[data-job-id="${jobId}"]`).evaluateAll((as) => as.map((a) => a.dataset.page))
  assert.deepEqual(pagesHit, ['2'], 'only page 2 has all three words')
  const hit = page.locator(`a.hit[data-job-id="${jobId}"][data-page="2"]`)
  const marks = await hit.locator('mark').allInnerTexts()
  assert.ok(marks.length > 0, 'the snippet marks the hit words')
  assert.ok(marks.every((m) => /giay|khai|sinh/.test(fold(m))), `marked: ${marks}`)
  assert.ok(marks.some((m) => m.normalize('NFC') === m && /[ấẤ]/.test(m)), `the marks keep the diacritics (NFC): ${marks}`)
  assert.equal(await page.locator('#top-search').inputValue(), 'giay khai sinh')
  await page.screenshot({ path: shotPath('scan-search.png'), fullPage: true })

  // The hit opens page 2 of the scan with the words marked in its text.
  await hit.click()
  await page.waitForURL(new RegExp(`#/so-hoa/${jobId}\\?trang=2&q=giay\\+khai\\+sinh$`))
  const viewer = page.getByTestId('viewer')
  await viewer.waitFor()
  assert.equal(await viewer.getAttribute('data-page'), '2')
  assert.equal(await page.getByTestId('viewer-title').innerText(), 'Trang 2/3')
  const pageText = await page.getByTestId('page-text').innerText()
  assert.match(fold(pageText), /giay khai sinh/, pageText)
  assert.ok(!/bien lai/.test(fold(pageText)), 'not page 3')
  const pageMarks = await page.getByTestId('page-text').locator('mark').allInnerTexts()
  assert.ok(pageMarks.some((m) => /giay khai sinh/.test(fold(m))), `marked in the page: ${pageMarks}`)
  const img = viewer.locator('.page-image img')
  await img.waitFor()
  await imageShown(page, '[data-testid=viewer] .page-image img')
  assert.equal(await img.getAttribute('src'), `/api/scans/${jobId}/pages/2/image`)
  assert.equal(await page.locator('#open-pdf').getAttribute('href'), `/api/scans/${jobId}/pdf#page=2`)
  assert.equal(await page.locator('.page-strip a.current').getAttribute('data-page'), '2')
  await page.screenshot({ path: shotPath('scan-page.png'), fullPage: true })

  // PageDown turns to page 3.
  await page.locator('body').press('PageDown')
  await page.waitForURL(/trang=3/)
  await page.locator('[data-testid=viewer][data-page="3"]').waitFor()
  assert.match(fold(await page.getByTestId('page-text').innerText()), /bien lai/)

  assert.deepEqual(problems, [])
  await page.close()
})

test('bad files get their Vietnamese reason and leave the other jobs alone; a duplicate points to the first import', async () => {
  assert.ok(jobId, 'runs after the import test')
  const { page, problems } = await newPage()
  const empty = join(work, 'trong.pdf')
  writeFileSync(empty, '')
  const fake = join(work, 'ghi-chu.pdf')
  writeFileSync(fake, 'Đây là một tệp văn bản, không phải PDF.\n'.repeat(20))
  const good = makeDoc('so-ho-tich.pdf', 'SỔ ĐĂNG KÝ HỘ TỊCH|Quyển số 03, năm 1998.|Ủy ban nhân dân xã Cam Hải Đông.')

  await page.goto(srv.url)
  await page.getByRole('link', { name: 'Số hóa', exact: true }).click()
  await page.getByRole('heading', { name: 'Số hóa hồ sơ' }).waitFor()
  await page.locator(`tr[data-job-id="${jobId}"][data-state="done"]`).waitFor()

  // A good file dropped on the drop zone, and while it is processed two bad
  // ones chosen in the file dialog.
  const bytes = [...readFileSync(good)]
  const dropped = await page.evaluateHandle((b) => {
    const dt = new DataTransfer()
    dt.items.add(new File([new Uint8Array(b)], 'so-ho-tich.pdf', { type: 'application/pdf' }))
    return dt
  }, bytes)
  await page.locator('.dropzone').dispatchEvent('dragover', { dataTransfer: dropped })
  assert.match(await page.locator('.dropzone').getAttribute('class'), /\bover\b/, 'the drop zone shows it takes the file')
  await page.locator('.dropzone').dispatchEvent('drop', { dataTransfer: dropped })
  await page.locator('tr[data-job-id]', { hasText: 'so-ho-tich.pdf' }).waitFor()
  await page.locator('#scan-files').setInputFiles([empty, fake])
  const reason = async (name) => {
    // Refused at once (the upload answers the error) or failed as a job.
    const note = page.locator(`.upload-notes li.failed[data-file="${name}"]`)
    const jobRow = page.locator('tr[data-state="failed"]', { hasText: name })
    await note.or(jobRow).first().waitFor({ timeout: 60000 })
    return (await note.count()) > 0 ? note.locator('.msg').innerText() : jobRow.locator('.job-error').innerText()
  }
  assert.match(await reason('trong.pdf'), /Tệp rỗng/)
  assert.match(await reason('ghi-chu.pdf'), /không được hỗ trợ|không khớp|bị hỏng/)
  const goodRow = page.locator('tr[data-job-id]', { hasText: 'so-ho-tich.pdf' })
  await goodRow.and(page.locator('[data-state="done"]')).waitFor({ timeout: 120000 })
  assert.equal(await goodRow.getByTestId('progress-text').innerText(), '1/1 trang')

  // The first job is untouched.
  const first = page.locator(`tr[data-job-id="${jobId}"]`)
  assert.equal(await first.getAttribute('data-state'), 'done')
  assert.equal(await first.getByTestId('progress-text').innerText(), '3/3 trang')
  const { body } = await api('/api/scans/' + jobId)
  assert.equal(body.job.state, 'done')
  assert.equal(body.job.done, 3)

  // The same file again is recognised and points to the first import.
  await page.locator('#scan-files').setInputFiles(docPdf)
  const dup = page.locator('.upload-notes li.duplicate[data-file="giay-to-ho-so.pdf"]')
  await dup.waitFor()
  assert.match(await dup.innerText(), /Tệp này đã được nhập/)
  assert.equal(await dup.getByRole('link', { name: 'Xem lần nhập trước' }).getAttribute('href'), `#/so-hoa/${jobId}`)
  const { body: list } = await api('/api/scans?limit=50')
  assert.equal(list.items.filter((x) => x.sha256 === body.job.sha256).length, 1, 'no second job for the same file')
  await page.screenshot({ path: shotPath('scans.png'), fullPage: true })

  assert.deepEqual(problems, [])
  await page.close()
})

test('an archive batch: create, import, metadata with its required fields, review a low-confidence page, export', async () => {
  const { page, problems } = await newPage()
  // A poor scan of an old register page: 80 dpi and a little blur bring
  // the OCR confidence under the review bar (about 72% with Tesseract 5's
  // vie), with the diacritic errors a person must correct.
  const poor = makeDoc('so-khai-sinh-1998.pdf', '-dpi', '80', '-blur', '1', 'SỔ ĐĂNG KÝ KHAI SINH NĂM 1998|Họ và tên: Lê Văn Tám. Sinh ngày 02 tháng 9 năm 1998.|Nơi sinh: xã Cam Hải Đông, huyện Cam Lâm, tỉnh Khánh Hòa.|Họ tên cha: Lê Văn Bảy. Họ tên mẹ: Trần Thị Tư.')

  await page.goto(srv.url)
  await page.getByRole('link', { name: 'Lưu trữ', exact: true }).click()
  await page.getByRole('heading', { name: 'Số hóa tài liệu lưu trữ' }).waitFor()
  // The required fields are checked before anything is sent.
  await page.getByRole('button', { name: 'Tạo lô' }).click()
  await page.getByText('Chưa nhập tên lô.').waitFor()
  await fill(page, { 'batch-name': 'Sổ khai sinh 1998', 'batch-type': 'Sổ hộ tịch', 'batch-organ': 'UBND xã Cam Hải Đông', 'batch-year': '1998' })
  await page.getByRole('button', { name: 'Tạo lô' }).click()
  await page.getByTestId('batch-name').waitFor()
  assert.equal(await page.getByTestId('batch-name').innerText(), 'Sổ khai sinh 1998')
  const batchId = decodeURIComponent(new URL(page.url()).hash.split('/')[2])
  assert.ok(await page.locator('#batch-export').isDisabled(), 'an empty batch does not export')

  await page.locator('#batch-files').setInputFiles(poor)
  const row = page.locator('table.jobs tr[data-job-id]')
  await row.and(page.locator('[data-state="done"]')).waitFor({ timeout: 120000 })
  const docId = await row.getAttribute('data-job-id')

  // Metadata: the seven required fields are named in Vietnamese when missing.
  await row.getByTestId('meta-link').click()
  const form = page.getByTestId('meta-form')
  await form.waitFor()
  await form.getByRole('button', { name: 'Lưu thông tin' }).click()
  await form.getByText('Chưa nhập mã hồ sơ/tài liệu.').waitFor()
  for (const t of ['Chưa nhập tên loại.', 'Chưa nhập số.', 'Chưa nhập ký hiệu.', 'Chưa nhập ngày ban hành.', 'Chưa nhập cơ quan ban hành.', 'Chưa nhập trích yếu.']) {
    assert.equal(await form.getByText(t).count(), 1, t)
  }
  await fill(page, {
    'meta-docCode': 'H56.HT.1998.01',
    'meta-typeName': 'Sổ đăng ký khai sinh',
    'meta-codeNumber': '01',
    'meta-codeNotation': 'SKS',
    'meta-issuedDate': '31/12/1998',
    'meta-organName': 'UBND xã Cam Hải Đông',
    'meta-subject': 'Sổ đăng ký khai sinh năm 1998, quyển 01',
  })
  await form.getByRole('button', { name: 'Lưu thông tin' }).click()
  await form.getByText('Đã lưu thông tin tài liệu.').waitFor()
  const { body: bd } = await api('/api/archive/batches/' + batchId)
  assert.deepEqual(
    { docCode: bd.documents[0].meta.docCode, issuedDate: bd.documents[0].meta.issuedDate, typeName: bd.documents[0].meta.typeName },
    { docCode: 'H56.HT.1998.01', issuedDate: '1998-12-31', typeName: 'Sổ đăng ký khai sinh' },
  )
  await row.getByText('đã đủ').waitFor()

  // Review: the poor page waits, image beside its editable text.
  await page.getByRole('link', { name: /Soát xét/ }).click()
  const review = page.getByTestId('review')
  await review.locator('#review-text').waitFor()
  const ocr = await page.locator('#review-text').inputValue()
  assert.ok(ocr.trim().length > 0, 'the OCR text is there to correct')
  await imageShown(page, '[data-testid=review] .page-image img')
  await page.screenshot({ path: shotPath('archive-review.png'), fullPage: true })
  const corrected = 'SỔ ĐĂNG KÝ KHAI SINH NĂM 1998\nHọ và tên: Lê Văn Tám. Sinh ngày 02 tháng 9 năm 1998.'
  await page.locator('#review-text').fill(corrected)
  await page.locator('#review-text').press('Control+Enter')
  await review.getByText('Đã lưu trang 1').waitFor()
  await review.getByText('Không còn trang nào cần soát xét.').waitFor()
  const { body: scanned } = await api('/api/scans/' + docId)
  assert.equal(scanned.pages[0].text, corrected)
  assert.equal(scanned.pages[0].corrected, true)
  // The corrected words are searchable.
  const { body: found } = await api('/api/search?q=' + encodeURIComponent('le van tam'))
  assert.ok(found.pages.some((h) => h.jobId === docId && h.page === 1), JSON.stringify(found.pages))

  // Export: PDFs and metadata.json.
  await page.getByRole('link', { name: /Tài liệu/ }).click()
  const exportLink = page.locator('a#batch-export')
  await exportLink.waitFor()
  const [download] = await Promise.all([page.waitForEvent('download'), exportLink.click()])
  const zipPath = join(work, 'export.zip')
  await download.saveAs(zipPath)
  const listing = execFileSync('unzip', ['-l', zipPath], { encoding: 'utf8' })
  assert.match(listing, /metadata\.json/)
  assert.match(listing, /\.pdf/)
  const meta = JSON.parse(execFileSync('unzip', ['-p', zipPath, 'metadata.json'], { encoding: 'utf8' }))
  assert.ok(JSON.stringify(meta).includes('H56.HT.1998.01'), 'the metadata is exported')

  assert.deepEqual(problems, [])
  await page.close()
})
