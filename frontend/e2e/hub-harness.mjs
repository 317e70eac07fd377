// Shared set-up for the end-to-end tests of the provincial hub: a
// PostgreSQL cluster in a temporary directory of its own (initdb as the
// postgres user when root, like cmd/hub/dev-hub.sh and sync/hub/pgtest),
// the hub binary built from cmd/hub (or HUB_BIN) serving on loopback, a
// commune device speaking the signed sync protocol (sync/wire/auth.go), a
// staff login in Chromium, and small valid PDFs.
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..', '..')
const asRoot = process.getuid?.() === 0

export const sha256 = (b) => createHash('sha256').update(b).digest('hex')

// --- PostgreSQL in a directory of its own -------------------------------

function pgBin() {
  if (process.env.PG_BIN) return process.env.PG_BIN
  const base = '/usr/lib/postgresql'
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))) : []
  if (!versions.length) throw new Error('PostgreSQL binaries not found: apt-get install postgresql (build/scripts/setup.sh), or set PG_BIN')
  versions.sort((a, b) => Number(b) - Number(a))
  return join(base, versions[0], 'bin')
}

// pg runs a PostgreSQL program, as the postgres user when we are root
// (initdb refuses root).
function pg(program, args) {
  const path = join(pgBin(), program)
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args]
  return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] }).toString()
}

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => res(port))
    })
  })
}

// startPostgres creates and starts a throw-away cluster. query(sql) runs
// one statement through psql and returns its rows, each an array of text
// fields.
export async function startPostgres() {
  // Under /tmp whatever TMPDIR says: the postgres user must reach it, and a
  // unix socket path must stay short.
  const dir = mkdtempSync('/tmp/motcua-e2e-pg-')
  if (asRoot) execFileSync('chown', ['postgres:', dir])
  const data = join(dir, 'data')
  pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'])
  const port = await freePort()
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`
  pg('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-o', opts, '-w', '-t', '60', 'start'])
  const url = `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`
  return {
    url,
    query(sql) {
      const out = pg('psql', ['-X', '-q', '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql])
      return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'))
    },
    stop() {
      try {
        pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

// --- the hub binary ------------------------------------------------------

export function buildHub(work) {
  if (process.env.HUB_BIN) return process.env.HUB_BIN
  const bin = join(work, 'hub')
  execFileSync('go', ['build', '-o', bin, './cmd/hub'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  return bin
}

// hubCli returns a runner of the hub's admin commands (agency, staff,
// enrol-code …) against env's database: cli(args, stdin) → trimmed stdout.
export function hubCli(bin, env) {
  return (args, input) => execFileSync(bin, args, { env, input, stdio: ['pipe', 'pipe', 'pipe'] }).toString().trim()
}

// startHub runs `hub serve` on listen (a free loopback port by default)
// and resolves with its address once it logs that it serves.
export function startHub(bin, env, listen = '127.0.0.1:0') {
  return new Promise((res, rej) => {
    const proc = spawn(bin, ['serve', '--listen', listen], { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let log = ''
    const timer = setTimeout(() => rej(new Error('hub did not start: ' + log)), 30000)
    proc.stderr.on('data', (d) => {
      log += d
      const m = log.match(/msg="hub serving" addr=(\S+)/)
      if (m) {
        clearTimeout(timer)
        res({
          url: 'http://' + m[1],
          log: () => log,
          stop: () =>
            new Promise((done) => {
              if (proc.exitCode !== null) return done()
              proc.once('exit', done)
              proc.kill('SIGTERM')
            }),
        })
      }
    })
    proc.once('exit', (code) => rej(new Error(`hub exited ${code}: ${log}`)))
  })
}

// --- a commune device on the signed protocol (sync/wire/auth.go) --------

export class Device {
  constructor(hub, protocol) {
    this.hub = hub
    this.protocol = protocol
    const { publicKey, privateKey } = generateKeyPairSync('ed25519')
    this.key = privateKey
    this.pub = Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url')
  }

  async enrol(code) {
    const norm = code.toUpperCase().replace(/[-\s]/g, '')
    const proof = sign(null, Buffer.from(`motcua-enrol-v1\n${norm}\n${this.pub.toString('hex')}`), this.key)
    const r = await fetch(this.hub + '/v1/enrol', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Motcua-Protocol': this.protocol },
      body: JSON.stringify({ code: norm, device_name: 'Máy một cửa 1', public_key: this.pub.toString('base64'), proof: proof.toString('base64') }),
    })
    const body = await r.json()
    assert.equal(r.status, 201, JSON.stringify(body))
    this.id = body.device_id
  }

  // call sends a signed request; body is a Buffer or undefined.
  async call(method, pathAndQuery, body, headers = {}) {
    const [path, query = ''] = pathAndQuery.split('?')
    const ts = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    const nonce = randomBytes(16).toString('base64url')
    const bodySum = sha256(body ?? Buffer.alloc(0))
    const canonical = [
      'MOTCUA-ED25519-V1', method, path, query, this.protocol, this.id, ts, nonce, bodySum,
      headers['Upload-Offset'] ?? '', headers['Upload-Length'] ?? '',
    ].join('\n')
    return fetch(this.hub + pathAndQuery, {
      method,
      body,
      headers: {
        ...headers,
        'Motcua-Protocol': this.protocol,
        'Motcua-Device': this.id,
        'Motcua-Timestamp': ts,
        'Motcua-Nonce': nonce,
        'Motcua-Content-SHA256': bodySum,
        'Motcua-Signature': sign(null, Buffer.from(canonical), this.key).toString('base64'),
      },
    })
  }

  async upload(data, name) {
    const sum = sha256(data)
    const r = await this.call('PATCH', '/v1/blobs/' + sum, data, {
      'Upload-Offset': '0',
      'Upload-Length': String(data.length),
      'Content-Type': 'application/offset+octet-stream',
    })
    assert.equal(r.status, 201, await r.text())
    return { sha256: sum, size: data.length, media_type: 'application/pdf', name }
  }

  async push(dossiers, events = []) {
    const r = await this.call('POST', '/v1/push', Buffer.from(JSON.stringify({ dossiers, events })), { 'Content-Type': 'application/json' })
    const body = await r.json()
    assert.equal(r.status, 200, JSON.stringify(body))
    for (const item of [...body.dossiers, ...body.events]) assert.equal(item.outcome, 'created', JSON.stringify(item))
  }

  async pull() {
    const r = await this.call('GET', '/v1/changes?limit=1000')
    assert.equal(r.status, 200)
    return (await r.json()).changes
  }
}

// --- the staff web UI ----------------------------------------------------

// staffLogin signs an official in on the hub's login page.
export async function staffLogin(page, hubUrl, staff) {
  await page.goto(hubUrl + '/dang-nhap')
  await page.getByLabel('Tên đăng nhập').fill(staff.username)
  await page.getByLabel('Mật khẩu').fill(staff.password)
  await page.getByRole('button', { name: 'Đăng nhập' }).click()
  await page.getByRole('heading', { name: 'Hồ sơ đến' }).waitFor()
}

// --- PDFs ----------------------------------------------------------------

// makePdf writes a small one-page PDF (ASCII text, Helvetica) with a
// correct cross-reference table, so Chromium's viewer renders it and
// MuPDF reads its text layer (the desk then needs no OCR). size is the
// page's [width, height] in points (A4 by default).
export function makePdf(title, lines, size = [595, 842]) {
  const [w, h] = size
  const text = [`BT /F1 22 Tf 72 ${h - 82} Td (${title}) Tj ET`]
  lines.forEach((l, i) => text.push(`BT /F1 12 Tf 72 ${h - 122 - 20 * i} Td (${l}) Tj ET`))
  text.push(`0.6 w 60 60 ${w - 120} ${h - 120} re S`)
  const stream = text.join('\n')
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>`,
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ]
  let out = '%PDF-1.4\n'
  const offsets = objects.map((o, i) => {
    const at = out.length
    out += `${i + 1} 0 obj\n${o}\nendobj\n`
    return at
  })
  const xref = out.length
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(out, 'latin1')
}
