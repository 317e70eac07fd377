import { describe, expect, it } from 'vitest'
import { ApiError, NETWORK_MESSAGE, request } from './api'

function fakeFetch(status: number, body: string, contentType = 'application/json'): typeof fetch {
  return (async () => new Response(body, { status, headers: { 'Content-Type': contentType } })) as typeof fetch
}

// failure resolves to the error a request rejected with, and fails the
// test if it did not reject.
async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p
  } catch (e) {
    return e as ApiError
  }
  throw new Error('request did not fail')
}

describe('request', () => {
  it('returns the decoded body on success', async () => {
    const got = await request<{ a: number }>('GET', '/api/x', undefined, fakeFetch(200, '{"a":1}'))
    expect(got).toEqual({ a: 1 })
  })

  it('turns the error envelope into an ApiError with fields', async () => {
    const body = JSON.stringify({
      error: { code: 'validation_failed', message: 'Thông tin chưa hợp lệ', fields: { unitName: 'Bắt buộc' } },
    })
    const err = await failure(request('PUT', '/api/settings', {}, fakeFetch(422, body)))
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(422)
    expect(err.code).toBe('validation_failed')
    expect(err.message).toBe('Thông tin chưa hợp lệ')
    expect(err.fields).toEqual({ unitName: 'Bắt buộc' })
  })

  it('gives a Vietnamese message when the body is not an envelope', async () => {
    const err = await failure(request('GET', '/api/x', undefined, fakeFetch(502, '<html>Bad gateway</html>', 'text/html')))
    expect(err.code).toBe('http_502')
    expect(err.message).toContain('Máy chủ trả lời lỗi 502')
  })

  it('reports a network failure in Vietnamese', async () => {
    const failing = (async () => {
      throw new TypeError('Failed to fetch')
    }) as typeof fetch
    const err = await failure(request('GET', '/api/x', undefined, failing))
    expect(err.code).toBe('network')
    expect(err.message).toBe(NETWORK_MESSAGE)
  })

  it('sends JSON with a content type', async () => {
    let seen: RequestInit | undefined
    const spy = (async (_u: string, init?: RequestInit) => {
      seen = init
      return new Response('{}', { status: 200 })
    }) as typeof fetch
    await request('PUT', '/api/settings', { x: 'Hòa' }, spy)
    expect(seen?.method).toBe('PUT')
    expect((seen?.headers as Record<string, string>)['Content-Type']).toBe('application/json')
    expect(seen?.body).toBe('{"x":"Hòa"}')
  })

  it('answers undefined for a 204 with no body', async () => {
    const f = (async () => new Response(null, { status: 204 })) as typeof fetch
    expect(await request('DELETE', '/api/x', undefined, f)).toBeUndefined()
  })
})
