// Shared set-up for the end-to-end tests: a real `motcua serve` child
// process on loopback with its own data dir, and Debian's Chromium driven
// by playwright-core.
import { spawn } from 'node:child_process'
import { mkdtempSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'

const root = resolve(import.meta.dirname, '..', '..')
export const BIN = process.env.MOTCUA_BIN || join(root, 'build', 'bin', 'motcua')
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium'

export function tempDir(prefix = 'motcua-e2e-') {
  return mkdtempSync(join(tmpdir(), prefix))
}

// One "PC" per test run: its machine key unlocks every data dir the tests
// create, across server restarts, and the developer's own keys and keyring
// are left alone.
const machineDir = tempDir('motcua-e2e-machine-')

// startServer runs `motcua serve` on a free port and resolves once it
// printed its address.
export function startServer(dataDir) {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--data', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MOTCUA_MACHINE_DIR: machineDir, MOTCUA_NO_KEYRING: '1' },
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
