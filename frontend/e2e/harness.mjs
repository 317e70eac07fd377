// Shared set-up for the end-to-end tests: a real `motcua serve` child
// process on loopback with its own data dir, and Debian's Chromium driven
// by playwright-core.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'

const root = resolve(import.meta.dirname, '..', '..')
export const BIN = process.env.MOTCUA_BIN || join(root, 'build', 'bin', 'motcua')
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'

// Every temporary dir goes when the test process exits (each test file is
// its own process), so that runs do not fill the disk of a CI machine;
// MOTCUA_E2E_KEEP=1 keeps them for a look after a failure.
const made = []
process.on('exit', () => {
  if (process.env.MOTCUA_E2E_KEEP === '1') return
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
    } catch (err) {
      console.error(`leaving ${dir}: ${err.message}`)
    }
  }
})

export function tempDir(prefix = 'motcua-e2e-') {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

// One "PC" per test run: its machine key unlocks every data dir the tests
// create, across server restarts, and the developer's own keys and keyring
// are left alone.
const machineDir = tempDir('motcua-e2e-machine-')

// startServer runs `motcua serve` on a free port and resolves once it
// printed its address. env adds to (or overrides) the server's environment,
// for example { MOTCUA_HUB_URL: 'http://127.0.0.1:9' }.
export function startServer(dataDir, env = {}) {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MOTCUA_MACHINE_DIR: machineDir, MOTCUA_NO_KEYRING: '1', ...env },
    })
    let stderr = ''
    proc.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => reject(new Error('serve did not start: ' + stderr)), 20000)
    let buf = ''
    proc.stdout.on('data', (d) => {
      buf += d
      const m = buf.match(/motcua: serving on (http:\/\/\S+)/)
      if (m) {
        clearTimeout(timer)
        resolvePromise({
          url: m[1],
          proc,
          stop: (signal = 'SIGTERM') =>
            new Promise((res) => {
              if (proc.exitCode !== null) return res()
              proc.once('exit', () => res())
              proc.kill(signal)
            }),
        })
      }
    })
    proc.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)))
  })
}

export async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  // No wait may hang a CI run: every page gets a default timeout.
  const newPage = browser.newPage.bind(browser)
  browser.newPage = async (...args) => {
    const page = await newPage(...args)
    page.setDefaultTimeout(20000)
    return page
  }
  // playwright gives every launch a fresh temporary profile of its own.
  return { browser, close: () => browser.close() }
}

// shotPath returns where to save a screenshot: docs/screenshots when
// MOTCUA_SHOTS is set (make screenshots), else a temp dir.
export function shotPath(name) {
  const dir = process.env.MOTCUA_SHOTS || join(tmpdir(), 'motcua-shots')
  mkdirSync(dir, { recursive: true })
  return join(dir, name)
}

// setupDesk runs the first-run set-up over the API (office settings and an
// administrator), adds a desk user with the clerk, specialist and leader
// roles, and returns that user's session token.
export async function setupDesk(url, settings) {
  const post = async (path, body, token) => {
    const r = await fetch(url + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) },
      body: JSON.stringify(body),
    })
    const json = await r.json()
    if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`)
    return json
  }
  await post('/api/setup', { settings, admin: { username: 'quantri', fullName: 'Lê Văn Quản', password: 'mật khẩu quản trị' } })
  const admin = await post('/api/session', { username: 'quantri', password: 'mật khẩu quản trị' })
  await post('/api/users', { username: 'canbo', fullName: 'Trần Văn Bình', roles: ['clerk', 'specialist', 'leader'], password: 'mật khẩu cán bộ' }, admin.token)
  const desk = await post('/api/session', { username: 'canbo', password: 'mật khẩu cán bộ' })
  // A user made by an admin must replace the temporary password first.
  const r = await fetch(url + '/api/session/password', {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + desk.token },
    body: JSON.stringify({ old: 'mật khẩu cán bộ', password: 'mật khẩu mới của cán bộ' }),
  })
  if (!r.ok) throw new Error('change password: ' + r.status)
  const again = await post('/api/session', { username: 'canbo', password: 'mật khẩu mới của cán bộ' })
  return again.token
}

// OFFICE is the office settings of the test desks (a commune of Khánh Hòa).
export const OFFICE = {
  province: 'Khánh Hòa',
  parentAgency: 'UBND xã Cam Hải Đông',
  unitName: 'Trung tâm Phục vụ hành chính công xã Cam Hải Đông',
  communeName: 'Cam Hải Đông',
  agencyCode: '000.17.22.H56',
  address: 'Thôn Thủy Triều, xã Cam Hải Đông',
  phone: '0258 3854 123',
  email: '',
  formSet: '03/2025',
  hours: { morningStart: '07:00', morningEnd: '11:30', afternoonStart: '13:30', afternoonEnd: '17:00' },
}

// apiAs returns a caller of the API with token's session: api(path, init)
// resolves to {status, body} (body is the decoded JSON, or null), and
// api.raw(path, init) to the Response itself.
export function apiAs(url, token) {
  const raw = (path, init = {}) =>
    fetch(url + path, { ...init, headers: { ...(init.headers ?? {}), Authorization: 'Bearer ' + token } })
  const api = async (path, init = {}) => {
    const headers = init.body && typeof init.body === 'string' ? { 'Content-Type': 'application/json', ...(init.headers ?? {}) } : init.headers
    const r = await raw(path, { ...init, headers })
    const text = await r.text()
    let body = null
    try {
      body = JSON.parse(text)
    } catch {
      body = null
    }
    return { status: r.status, body }
  }
  api.raw = raw
  return api
}

// receiveDossier records through api (apiAs) what the desk records for a
// complete in-person reception: applicant (name, idNumber, and optionally
// address, phone) hands in the original of the procedure's first paper
// (component, when the caller already knows its name). Returns the dossier.
export async function receiveDossier(api, applicant, { procedure = '2.000815', component = '', requestId = randomUUID() } = {}) {
  if (!component) {
    const { body: proc } = await api('/api/procedures/' + procedure)
    component = proc.procedure.components[0].name
  }
  const { status, body } = await api('/api/dossiers', {
    method: 'POST',
    body: JSON.stringify({
      requestId,
      procedureCode: procedure,
      applicant: { kind: 'person', address: '', phone: '', email: '', ...applicant },
      channel: 'in_person',
      components: [{ name: component, originals: 1, certified: 0, copies: 0 }],
      sets: 1,
      outcome: 'complete',
      resultDelivery: 'in_person',
    }),
  })
  assert.equal(status, 201, JSON.stringify(body))
  return body.dossier
}
