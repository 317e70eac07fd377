// Hash routes with a query string: "#/ho-so?list=overdue&q=abc".

export interface Route {
  path: string
  params: URLSearchParams
}

// parseRoute splits a location hash into its path and parameters. An empty
// hash is "".
export function parseRoute(hash: string): Route {
  const h = hash.startsWith('#') ? hash.slice(1) : hash
  const i = h.indexOf('?')
  const path = i < 0 ? h : h.slice(0, i)
  const params = new URLSearchParams(i < 0 ? '' : h.slice(i + 1))
  return { path, params }
}

// buildHash makes "#path?k=v"; empty and undefined values are left out.
export function buildHash(path: string, params: Record<string, string | undefined> = {}): string {
  return '#' + path + queryString(params)
}

// queryString makes "?k=v&…" (or "") from the non-empty values, in key order
// of the object.
export function queryString(params: Record<string, string | number | undefined | null>): string {
  const sp = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue
    sp.set(k, String(v))
  }
  const s = sp.toString()
  return s ? '?' + s : ''
}

// matchPath matches "/ho-so/:id" style patterns and returns the parameters,
// or null. Parameters are URI-decoded.
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const ps = pattern.split('/')
  const xs = path.split('/')
  if (ps.length !== xs.length) return null
  const out: Record<string, string> = {}
  for (let i = 0; i < ps.length; i++) {
    if (ps[i].startsWith(':')) {
      if (xs[i] === '') return null
      try {
        out[ps[i].slice(1)] = decodeURIComponent(xs[i])
      } catch {
        return null
      }
    } else if (ps[i] !== xs[i]) {
      return null
    }
  }
  return out
}
