import { describe, expect, it } from 'vitest'
import { ApiError, NETWORK_MESSAGE, exportSyncBundle, importResultsBundle } from './api'

describe('exportSyncBundle', () => {
  it('posts, and returns the file with its name and counts', async () => {
    let seen: { url: string; method?: string } | null = null
    const fetchFn = (async (url: string, init?: RequestInit) => {
      seen = { url, method: init?.method }
      return new Response(new Uint8Array([0x50, 0x4b, 3, 4]), {
        status: 200,
        headers: {
          'Content-Type': 'application/zip',
          'Content-Disposition': 'attachment; filename="motcua-000.17.22.H56-20260304-100000.zip"',
          'Motcua-Bundle-Items': '12',
          'Motcua-Bundle-Files': '3',
          'Motcua-Bundle-Held': '1',
        },
      })
    }) as typeof fetch
    const b = await exportSyncBundle(fetchFn)
    expect(seen).toEqual({ url: '/api/sync/bundle', method: 'POST' })
    expect(b.filename).toBe('motcua-000.17.22.H56-20260304-100000.zip')
    expect([b.items, b.files, b.held]).toEqual([12, 3, 1])
    expect(new Uint8Array(await b.blob.arrayBuffer())).toEqual(new Uint8Array([0x50, 0x4b, 3, 4]))
  })

  it('turns a refusal into the server’s Vietnamese message', async () => {
    const body = JSON.stringify({ error: { code: 'not_enrolled', message: 'Máy này chưa đăng ký với máy chủ tỉnh.' } })
    const fetchFn = (async () => new Response(body, { status: 409, headers: { 'Content-Type': 'application/json' } })) as typeof fetch
    await expect(exportSyncBundle(fetchFn)).rejects.toMatchObject({ status: 409, code: 'not_enrolled' })
  })

  it('says so when the app cannot be reached', async () => {
    const fetchFn = (async () => {
      throw new TypeError('Failed to fetch')
    }) as typeof fetch
    const err = await exportSyncBundle(fetchFn).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.message).toBe(NETWORK_MESSAGE)
  })
})

describe('importResultsBundle', () => {
  it('sends the file as the body and returns the import', async () => {
    let sent: BodyInit | null | undefined
    const fetchFn = (async (url: string, init?: RequestInit) => {
      expect(url).toBe('/api/sync/bundle/import')
      sent = init?.body
      return new Response(JSON.stringify({ import: { changes: 2, applied: 2, cursorAdvanced: true }, status: { enrolled: true } }), {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
      })
    }) as typeof fetch
    const file = new Blob(['PK'], { type: 'application/zip' })
    const res = await importResultsBundle<{ enrolled: boolean }>(file, fetchFn)
    expect(sent).toBe(file)
    expect(res.import.applied).toBe(2)
    expect(res.status.enrolled).toBe(true)
  })
})
