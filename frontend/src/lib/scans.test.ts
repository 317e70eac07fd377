import { describe, expect, it, vi } from 'vitest'
import { ApiError, NETWORK_MESSAGE, orNotFound } from './api'
import {
  batchHref,
  blankText,
  checkMeta,
  formatConfidence,
  highlight,
  jobErrorText,
  jobHref,
  mergeJobs,
  metaComplete,
  metaToForm,
  needsPolling,
  pdfPage,
  pdfUrl,
  Poller,
  progress,
  queryTerms,
  scanRoute,
  scanUploadUrl,
  searchHref,
  snippetParts,
  uploadScan,
  watch,
  type Job,
  type Timers,
} from './scans'
import { parseRoute } from './query'

function job(over: Partial<Job> = {}): Job {
  return {
    id: 'j1',
    name: 'ho-so.pdf',
    kind: 'pdf',
    size: 1000,
    sha256: 'ab',
    state: 'running',
    stateLabel: 'Đang xử lý',
    pages: 3,
    done: 1,
    blank: [],
    confidence: 90,
    ocrPages: 1,
    textPages: 0,
    bindings: [],
    separators: [],
    duplicatePages: [],
    createdAt: '2026-11-24T09:00:00+07:00',
    createdBy: 'canbo',
    ...over,
  }
}

describe('progress', () => {
  it('is pages finished over pages, rounded down', () => {
    expect(progress(job({ pages: 3, done: 1 }))).toEqual({ done: 1, total: 3, percent: 33, label: '1/3 trang' })
    expect(progress(job({ pages: 3, done: 2 })).percent).toBe(66)
  })
  it('is full when every page is done, and for a done job', () => {
    expect(progress(job({ state: 'running', pages: 3, done: 3 })).percent).toBe(100)
    expect(progress(job({ state: 'running', pages: 1000, done: 999 })).percent).toBe(99)
    expect(progress(job({ state: 'done', pages: 3, done: 3 }))).toMatchObject({ percent: 100, label: '3/3 trang' })
  })
  it('shows an empty bar while the page count is unknown', () => {
    expect(progress(job({ state: 'queued', pages: 0, done: 0 }))).toEqual({ done: 0, total: 0, percent: 0, label: 'Chưa rõ số trang' })
  })
  it('never goes past the page count or below zero', () => {
    expect(progress(job({ pages: 3, done: 7 }))).toMatchObject({ done: 3, percent: 100 })
    expect(progress(job({ pages: 3, done: -2 }))).toMatchObject({ done: 0, percent: 0 })
  })
  it('keeps the failed page count', () => {
    expect(progress(job({ state: 'failed', pages: 3, done: 1 }))).toMatchObject({ percent: 33, label: '1/3 trang' })
  })
})

describe('job texts', () => {
  it('names the failed page', () => {
    expect(jobErrorText({ code: 'corrupt_file', message: 'Trang bị hỏng.', page: 2 })).toBe('Trang 2: Trang bị hỏng.')
    expect(jobErrorText({ code: 'corrupt_file', message: 'Tệp bị hỏng.' })).toBe('Tệp bị hỏng.')
    expect(jobErrorText(null)).toBe('')
    expect(jobErrorText({ code: 'corrupt_file', message: 'Trang 2: Tệp bị hỏng.', page: 2 })).toBe('Trang 2: Tệp bị hỏng.')
    expect(jobErrorText({ code: 'corrupt_file', message: 'Trang 12: Tệp bị hỏng.', page: 1 })).toBe('Trang 1: Trang 12: Tệp bị hỏng.')
  })
  it('reports blank pages in order', () => {
    expect(blankText([5, 2])).toBe('Trang trắng đã bỏ: các trang 2, 5')
    expect(blankText([3])).toBe('Trang trắng đã bỏ: trang 3')
    expect(blankText([])).toBe('')
    expect(blankText(null)).toBe('')
  })
  it('formats confidence as a whole percent', () => {
    expect(formatConfidence(91.6)).toBe('92%')
    expect(formatConfidence(140)).toBe('100%')
    expect(formatConfidence(Number.NaN)).toBe('')
  })
})

describe('pdfPage', () => {
  it('counts out the blank pages before it', () => {
    expect(pdfPage(1, [])).toBe(1)
    expect(pdfPage(3, [2])).toBe(2)
    expect(pdfPage(5, [1, 2, 7])).toBe(3)
    expect(pdfPage(4, null)).toBe(4)
  })
  it('is null for a blank page', () => {
    expect(pdfPage(2, [2])).toBeNull()
  })
  it('takes the server’s page number when it has one', () => {
    expect(pdfPage(3, [2], 2)).toBe(2)
    expect(pdfPage(3, [], 0)).toBeNull()
  })
  it('goes into the PDF link', () => {
    expect(pdfUrl('a b', 2)).toBe('/api/scans/a%20b/pdf#page=2')
    expect(pdfUrl('x', null)).toBe('/api/scans/x/pdf')
  })
})

describe('scanUploadUrl', () => {
  it('carries the encoded file name', () => {
    expect(scanUploadUrl('Giấy khai sinh #1.pdf')).toBe('/api/scans?name=' + encodeURIComponent('Giấy khai sinh #1.pdf'))
  })
  it('normalises a decomposed name to NFC', () => {
    const nfd = 'Giấy.pdf'.normalize('NFD')
    expect(scanUploadUrl(nfd)).toBe('/api/scans?name=' + encodeURIComponent('Giấy.pdf'.normalize('NFC')))
  })
  it('binds to a dossier and component, or to a batch', () => {
    expect(scanUploadUrl('a.pdf', { dossier: 'd1', component: 'Tờ khai & bản sao' })).toBe(
      '/api/scans?name=a.pdf&dossier=d1&component=T%E1%BB%9D%20khai%20%26%20b%E1%BA%A3n%20sao',
    )
    expect(scanUploadUrl('a.pdf', { batch: 'b1' })).toBe('/api/scans?name=a.pdf&batch=b1')
  })
  it('drops a component without a dossier and empty values', () => {
    expect(scanUploadUrl('a.pdf', { component: 'Tờ khai', dossier: '' })).toBe('/api/scans?name=a.pdf')
  })
  it('posts the file itself as the body', async () => {
    let url = ''
    let init: RequestInit | undefined
    const spy = (async (u: string, i?: RequestInit) => {
      url = u
      init = i
      return new Response(JSON.stringify({ job: job(), duplicate: false }), { status: 202 })
    }) as typeof fetch
    const file = new File(['%PDF-1.4'], 'hồ sơ.pdf', { type: 'application/pdf' })
    const res = await uploadScan(file, { dossier: 'd1' }, spy)
    expect(res.job.id).toBe('j1')
    expect(url).toBe('/api/scans?name=h%E1%BB%93%20s%C6%A1.pdf&dossier=d1')
    expect(init?.method).toBe('POST')
    expect(init?.body).toBe(file)
    expect((init?.headers as Record<string, string>)['Content-Type']).toBe('application/pdf')
  })
  it('turns a refused file into the Vietnamese error', async () => {
    const body = JSON.stringify({ error: { code: 'unsupported_file', message: 'Tệp không phải PDF, JPEG, PNG hay TIFF.' } })
    const f = (async () => new Response(body, { status: 422 })) as typeof fetch
    const err = await uploadScan(new File([''], 'rong.pdf'), {}, f).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.code).toBe('unsupported_file')
    expect(err.message).toBe('Tệp không phải PDF, JPEG, PNG hay TIFF.')
  })
})

describe('highlight', () => {
  it('marks the words a search without diacritics finds', () => {
    const parts = highlight('Bản sao Giấy khai sinh của cháu.', 'giay khai sinh')
    expect(parts).toEqual([
      { text: 'Bản sao ', hit: false },
      { text: 'Giấy khai sinh', hit: true },
      { text: ' của cháu.', hit: false },
    ])
  })
  it('leaves the text exactly as it was (NFC kept)', () => {
    const text = 'Đăng ký khai sinh, Ủy ban nhân dân xã.'
    const parts = highlight(text, 'uy ban')
    expect(parts.map((p) => p.text).join('')).toBe(text)
    expect(parts.filter((p) => p.hit).map((p) => p.text)).toEqual(['Ủy ban'])
  })
  it('matches đ as d and a word prefix', () => {
    expect(highlight('Đồng Nai', 'dong').filter((p) => p.hit).map((p) => p.text)).toEqual(['Đồng'])
    expect(highlight('đăng ký', 'dang').some((p) => p.hit)).toBe(true)
  })
  it('does not mark inside a word', () => {
    expect(highlight('Thống Nhất', 'nhat').filter((p) => p.hit).map((p) => p.text)).toEqual(['Nhất'])
    expect(highlight('Thống Nhất', 'hat').some((p) => p.hit)).toBe(false)
  })
  it('is the whole text unmarked for an empty query', () => {
    expect(highlight('abc', '  ')).toEqual([{ text: 'abc', hit: false }])
    expect(highlight('', 'abc')).toEqual([])
  })
  it('folds the query words once', () => {
    expect(queryTerms('  Giấy  GIAY khai ')).toEqual(['giay', 'khai'])
  })
  it('cleans a server snippet', () => {
    expect(
      snippetParts([
        { text: '', hit: true },
        { text: 'Giấy'.normalize('NFD'), hit: true },
        { text: ' khai', hit: false },
      ]),
    ).toEqual([
      { text: 'Giấy', hit: true },
      { text: ' khai', hit: false },
    ])
    expect(snippetParts(null)).toEqual([])
  })
  it('leaves the spaces around a hit out of its mark', () => {
    expect(
      snippetParts([
        { text: '… theo ', hit: false },
        { text: ' GIẤY KHAI SINH ', hit: true },
        { text: 'Họ, tên …', hit: false },
      ]),
    ).toEqual([
      { text: '… theo  ', hit: false },
      { text: 'GIẤY KHAI SINH', hit: true },
      { text: ' Họ, tên …', hit: false },
    ])
  })
})

describe('routes', () => {
  const r = (hash: string) => {
    const { path, params } = parseRoute(hash)
    return scanRoute(path, params)
  }
  it('reads the job list and a job on a page with the search words', () => {
    expect(r('#/so-hoa')).toEqual({ view: 'list' })
    expect(r('#/so-hoa/abc')).toEqual({ view: 'job', id: 'abc', page: null, q: '' })
    expect(r('#/so-hoa/abc?trang=2&q=giay%20khai%20sinh')).toEqual({ view: 'job', id: 'abc', page: 2, q: 'giay khai sinh' })
  })
  it('ignores a page that is not a page number', () => {
    for (const t of ['0', '-1', 'x', '2.5', '']) {
      expect(r('#/so-hoa/abc?trang=' + t)).toMatchObject({ page: null })
    }
  })
  it('reads search, batches and a batch', () => {
    expect(r('#/tim-kiem?q=Gi%E1%BA%A5y')).toEqual({ view: 'search', q: 'Giấy' })
    expect(r('#/luu-tru')).toEqual({ view: 'batches' })
    expect(r('#/luu-tru/b1?tai-lieu=j2&muc=soat-xet')).toEqual({ view: 'batch', id: 'b1', doc: 'j2', review: true })
  })
  it('is null elsewhere', () => {
    expect(r('#/ho-so')).toBeNull()
    expect(r('#/so-hoa/a/b')).toBeNull()
    expect(r('#/so-hoa/%E0%A4%A')).toBeNull()
  })
  it('builds what it reads', () => {
    expect(jobHref('abc', 2, 'giay khai sinh')).toBe('#/so-hoa/abc?trang=2&q=giay+khai+sinh')
    expect(r(jobHref('a/b', 3, 'Giấy'))).toEqual({ view: 'job', id: 'a/b', page: 3, q: 'Giấy' })
    expect(jobHref('abc')).toBe('#/so-hoa/abc')
    expect(r(searchHref(' giay khai sinh '))).toEqual({ view: 'search', q: 'giay khai sinh' })
    expect(r(batchHref('b1', { doc: 'j2' }))).toEqual({ view: 'batch', id: 'b1', doc: 'j2', review: false })
  })
})

describe('polling', () => {
  it('polls while a job is queued or running', () => {
    expect(needsPolling([job({ state: 'done' }), job({ state: 'queued' })])).toBe(true)
    expect(needsPolling([job({ state: 'running' })])).toBe(true)
    expect(needsPolling([job({ state: 'done' }), job({ state: 'failed' })])).toBe(false)
    expect(needsPolling([])).toBe(false)
  })

  function fakeTimers() {
    const due: { fn: () => void; ms: number }[] = []
    const timers: Timers = {
      setTimeout: (fn, ms) => {
        const t = { fn, ms }
        due.push(t)
        return t
      },
      clearTimeout: (t) => {
        const i = due.indexOf(t as (typeof due)[number])
        if (i >= 0) due.splice(i, 1)
      },
    }
    const fire = async () => {
      const t = due.shift()
      t?.fn()
      await Promise.resolve()
      await Promise.resolve()
    }
    return { due, timers, fire }
  }

  it('stops when nothing is left to watch', async () => {
    const { due, timers, fire } = fakeTimers()
    const answers = [true, true, false]
    const tick = vi.fn(async () => answers.shift() ?? false)
    const p = new Poller(tick, 1000, timers)
    p.schedule()
    expect(due).toHaveLength(1)
    expect(due[0].ms).toBe(1000)
    await fire()
    await fire()
    await fire()
    expect(tick).toHaveBeenCalledTimes(3)
    expect(due).toHaveLength(0)
    expect(p.active).toBe(false)
  })

  it('stops for good when the screen is left', async () => {
    const { due, timers, fire } = fakeTimers()
    const tick = vi.fn(async () => true)
    const p = new Poller(tick, 1000, timers)
    p.schedule()
    await fire()
    expect(due).toHaveLength(1)
    p.stop()
    expect(due).toHaveLength(0)
    p.kick()
    p.schedule()
    expect(due).toHaveLength(0)
    expect(tick).toHaveBeenCalledTimes(1)
  })

  // pending is a tick that answers only when released.
  function pending() {
    let release: (v: boolean) => Promise<void> = async () => {}
    const tick = vi.fn(
      () =>
        new Promise<boolean>((res) => {
          release = async (v) => {
            res(v)
            await Promise.resolve()
            await Promise.resolve()
          }
        }),
    )
    return { tick, release: (v: boolean) => release(v) }
  }

  it('a tick left running when the screen is left schedules nothing', async () => {
    const { due, timers } = fakeTimers()
    const { tick, release } = pending()
    const p = new Poller(tick, 1000, timers)
    p.kick()
    p.stop()
    await release(true)
    expect(due).toHaveLength(0)
  })

  it('keeps polling through an error', async () => {
    const { due, timers, fire } = fakeTimers()
    const tick = vi.fn(async () => {
      throw new Error('LAN')
    })
    const p = new Poller(tick, 1000, timers)
    p.schedule()
    await fire()
    expect(tick).toHaveBeenCalledTimes(1)
    expect(due).toHaveLength(1)
  })

  it('kick restarts a poller that had stopped and never overlaps ticks', async () => {
    const { due, timers } = fakeTimers()
    const { tick, release } = pending()
    const p = new Poller(tick, 1000, timers)
    p.kick()
    p.kick()
    expect(tick).toHaveBeenCalledTimes(1)
    await release(false)
    // The second kick asked for a fresh look: it runs once the first ended.
    expect(tick).toHaveBeenCalledTimes(2)
    await release(false)
    expect(due).toHaveLength(0)
    expect(p.active).toBe(false)
  })

  it('watch reports the Vietnamese message of a failed poll and clears it after a good one', async () => {
    const { due, timers, fire } = fakeTimers()
    const reports: string[] = []
    const answers: (() => Promise<boolean>)[] = [
      async () => {
        throw new ApiError(503, 'store_unavailable', 'Dữ liệu tạm thời không truy cập được.')
      },
      async () => {
        throw new TypeError('boom')
      },
      async () => false,
    ]
    const shown: boolean[] = []
    const p = watch(() => answers.shift()!(), (v) => (shown.push(v), v), (m) => reports.push(m), 1000, timers)
    p.schedule()
    await fire()
    await fire()
    await fire()
    expect(reports).toEqual(['Dữ liệu tạm thời không truy cập được.', NETWORK_MESSAGE, ''])
    expect(shown).toEqual([false])
    expect(due).toHaveLength(0)
  })

  it('watch drops an answer that arrives after the screen was left', async () => {
    const { timers } = fakeTimers()
    let answer: (v: string) => void = () => {}
    const show = vi.fn(() => true)
    const report = vi.fn()
    const p = watch(() => new Promise<string>((res) => (answer = res)), show, report, 1000, timers)
    p.kick()
    p.stop()
    answer('late')
    await Promise.resolve()
    await Promise.resolve()
    expect(show).not.toHaveBeenCalled()
    expect(report).not.toHaveBeenCalled()
  })
})

describe('mergeJobs', () => {
  it('keeps the newest first and replaces old copies', () => {
    const a = job({ id: 'a', createdAt: '2026-11-24T09:00:00+07:00', done: 0 })
    const b = job({ id: 'b', createdAt: '2026-11-24T09:05:00+07:00' })
    const a2 = { ...a, done: 2 }
    const got = mergeJobs([a], [b, a2])
    expect(got.map((j) => j.id)).toEqual(['b', 'a'])
    expect(got[1].done).toBe(2)
  })
})

describe('metadata', () => {
  const full = {
    docCode: 'H56.01.2026.0001',
    typeName: 'Sổ đăng ký khai sinh',
    codeNumber: '01',
    codeNotation: 'SKS',
    issuedDate: '05/03/1998',
    organName: 'UBND xã An Bình',
    subject: 'Sổ đăng ký khai sinh năm 1998',
    language: '',
    pageAmount: '',
    description: '',
    keyword: '',
  }
  it('turns the form into Metadata with an ISO date', () => {
    const { meta, errors } = checkMeta(full)
    expect(errors).toEqual({})
    expect(meta).toEqual({
      docCode: 'H56.01.2026.0001',
      typeName: 'Sổ đăng ký khai sinh',
      codeNumber: '01',
      codeNotation: 'SKS',
      issuedDate: '1998-03-05',
      organName: 'UBND xã An Bình',
      subject: 'Sổ đăng ký khai sinh năm 1998',
    })
    expect(metaComplete(meta)).toBe(true)
  })
  it('names each missing required field and a bad date in Vietnamese', () => {
    const { meta, errors } = checkMeta({ ...full, typeName: ' ', subject: '', issuedDate: '31/02/1998', pageAmount: 'ba' })
    expect(meta).toBeNull()
    expect(errors.typeName).toBe('Chưa nhập tên loại.')
    expect(errors.subject).toBe('Chưa nhập trích yếu.')
    expect(errors.issuedDate).toMatch(/không hợp lệ/)
    expect(errors.pageAmount).toMatch(/số nguyên dương/)
    expect(errors.docCode).toBeUndefined()
  })
  it('keeps the optional fields that were filled', () => {
    const { meta } = checkMeta({ ...full, pageAmount: '12', language: 'Tiếng Việt' })
    expect(meta?.pageAmount).toBe(12)
    expect(meta?.language).toBe('Tiếng Việt')
  })
  it('round-trips through the form', () => {
    const { meta } = checkMeta(full)
    const back = metaToForm(meta)
    expect(back.issuedDate).toBe('05/03/1998')
    expect(checkMeta(back).meta).toEqual(meta)
    expect(metaComplete(null)).toBe(false)
    expect(metaComplete({ ...meta!, subject: '' })).toBe(false)
  })
})

describe('orNotFound', () => {
  it('answers null for a 404 and passes other failures on', async () => {
    expect(await orNotFound(Promise.reject(new ApiError(404, 'not_found', 'Không tìm thấy.')))).toBeNull()
    expect(await orNotFound(Promise.resolve(7))).toBe(7)
    await expect(orNotFound(Promise.reject(new ApiError(500, 'internal', 'Lỗi.')))).rejects.toThrow('Lỗi.')
  })
})
