/**
 * The demo (`pnpm demo`) as a user runs it: the scripted DPoP client must report every step as
 * expected and exit 0, showing 200, 401 and 403 in its transcript; `--serve` must keep the
 * servers up and print working commands. Runs the built packages (`pnpm test` builds first).
 * The build step before it (examples/demo/build.mjs) builds only what is out of date: tested on a
 * stand-in checkout with a quick build script, and once on this repository.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_CLIENT, startEmulator } from '@authlete-guard/emulator'
import { unreachableUrl } from '../support/unreachable'

const demo = fileURLToPath(new URL('../../examples/demo/demo.mjs', import.meta.url))
const nextApp = fileURLToPath(new URL('../../examples/demo/next-app/', import.meta.url))
const nextBin = createRequire(new URL('../../examples/demo/package.json', import.meta.url)).resolve('next/dist/bin/next')
const build = fileURLToPath(new URL('../../examples/demo/build.mjs', import.meta.url))

/** Run `node ...args` in `cwd`; killed after `timeoutMs`. */
function runIn(cwd: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (c) => (output += c))
    child.stderr.on('data', (c) => (output += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

function runDemo(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000, script = demo): Promise<{ code: number | null; output: string }> {
  return runIn(process.cwd(), [script, ...args], { NO_COLOR: '1', AUTHLETE_BASE_URL: '', ...env }, timeoutMs)
}

// A stand-in checkout for the build step: a pnpm workspace with the demo's manifest and five
// packages whose `build` script is a quick Node script (it writes dist/index.js and logs the
// package's name), so the
// up-to-date logic runs for real without building the real packages. express depends on core,
// nestjs on core and express; hono is a package the demo does not import.
const FAKE_PACKAGES: Record<string, string[]> = { core: [], emulator: [], express: ['core'], nestjs: ['core', 'express'], hono: ['core'] }
const FAKE_BUILD = `
const { appendFileSync, mkdirSync, writeFileSync } = require('node:fs')
const name = require(process.cwd() + '/package.json').name
if (process.env.FAIL_BUILD === name) {
  console.log('tsup: building ' + name)
  console.error('src/index.ts(1,1): error TS2322: Type "x" is not assignable')
  process.exit(3)
}
mkdirSync('dist', { recursive: true })
writeFileSync('dist/index.js', 'export {}\\n')
appendFileSync(__dirname + '/builds.log', name + '\\n')
console.log('tsup chatter')
`

function fakeCheckout(): string {
  const root = mkdtempSync(join(tmpdir(), 'authlete-guard-demo-build-'))
  writeFileSync(join(root, 'build.cjs'), FAKE_BUILD)
  writeFileSync(join(root, 'tsup.base.ts'), 'export {}\n')
  writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n  - examples/*\n')
  const workspace = (deps: string[]) => Object.fromEntries(deps.map((d) => [`@authlete-guard/${d}`, 'workspace:^']))
  for (const [name, deps] of Object.entries(FAKE_PACKAGES)) {
    const dir = join(root, 'packages', name)
    mkdirSync(join(dir, 'src'), { recursive: true })
    writeFileSync(join(dir, 'src', 'index.ts'), 'export {}\n')
    writeFileSync(join(dir, 'tsup.config.ts'), 'export default {}\n')
    const manifest = { name: `@authlete-guard/${name}`, version: '0.1.0', exports: { '.': { import: './dist/index.js' }, './package.json': './package.json' }, scripts: { build: 'node ../../build.cjs' }, dependencies: workspace(deps) }
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest))
  }
  mkdirSync(join(root, 'examples', 'demo'), { recursive: true })
  const demo = { name: '@authlete-guard/demo', private: true, dependencies: workspace(['core', 'emulator', 'express', 'nestjs']) }
  writeFileSync(join(root, 'examples', 'demo', 'package.json'), JSON.stringify(demo))
  return root
}

/** Every file of the checkout 100 s old, and every built file 50 s old: built after the last change. */
function settle(root: string): void {
  const now = Date.now() / 1000
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = join(entry.parentPath, entry.name)
    const age = file.includes(`${sep}dist${sep}`) ? 50 : 100
    utimesSync(file, now - age, now - age)
  }
}

/** Change a file's time to 10 s ago: newer than its package's build, older than the next one. */
function touch(file: string): void {
  const t = Date.now() / 1000 - 10
  utimesSync(file, t, t)
}

/** The packages the stand-in build built, in order, over every run so far. */
const builds = (root: string) => (existsSync(join(root, 'builds.log')) ? readFileSync(join(root, 'builds.log'), 'utf8').split('\n').filter(Boolean) : [])

describe('pnpm demo: the build step before it (examples/demo/build.mjs)', () => {
  const roots: string[] = []
  const checkout = () => {
    const root = fakeCheckout()
    roots.push(root)
    return root
  }
  const buildIn = (root: string, env: Record<string, string> = {}) => runDemo(['--root', root], env, 30_000, build)
  afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })))

  it('builds the packages the demo imports, dependencies first, one line each; not the others; exit 0', async () => {
    const root = checkout()
    const { code, output } = await buildIn(root)
    expect(builds(root)).toEqual(['@authlete-guard/core', '@authlete-guard/emulator', '@authlete-guard/express', '@authlete-guard/nestjs'])
    expect(output).toMatch(/^Building the packages the demo imports .*\n  building @authlete-guard\/core… built in \d+\.\d s \(dist\/index\.js is missing\)\n/)
    expect(output).toMatch(/  building @authlete-guard\/nestjs… built in \d+\.\d s \(@authlete-guard\/core was rebuilt\)\nReady in \d+\.\d s\./)
    expect(output).not.toContain('hono')
    expect(output).not.toContain('tsup chatter')
    expect(code).toBe(0)
  })

  it('a second run skips every package, builds nothing and takes under 3 s', async () => {
    const root = checkout()
    await buildIn(root)
    const started = performance.now()
    const { code, output } = await buildIn(root)
    expect(performance.now() - started).toBeLessThan(3000)
    for (const name of ['core', 'emulator', 'express', 'nestjs']) expect(output).toContain(`  @authlete-guard/${name}: up to date, skipped\n`)
    expect(output).not.toContain('building')
    expect(builds(root)).toHaveLength(4)
    expect(code).toBe(0)
  })

  /** A built checkout, `change` made to it, built again: Express and its dependent NestJS rebuilt, nothing else. */
  async function rebuiltAfter(change: (root: string) => void) {
    const root = checkout()
    await buildIn(root)
    settle(root)
    change(root)
    const { output } = await buildIn(root)
    expect(builds(root).slice(4)).toEqual(['@authlete-guard/express', '@authlete-guard/nestjs'])
    return { root, output }
  }

  it('a changed source file rebuilds its package and the packages that depend on it, only', async () => {
    const { root, output } = await rebuiltAfter((root) => touch(join(root, 'packages', 'express', 'src', 'index.ts')))
    expect(output).toContain('  @authlete-guard/core: up to date, skipped\n')
    expect(output).toContain('  @authlete-guard/emulator: up to date, skipped\n')
    expect(output).toMatch(/building @authlete-guard\/express… built in \d+\.\d s \(packages\/express\/src\/index\.ts is newer than the build\)/)

    settle(root)
    touch(join(root, 'packages', 'core', 'tsup.config.ts'))
    await buildIn(root)
    expect(builds(root).slice(6)).toEqual(['@authlete-guard/core', '@authlete-guard/express', '@authlete-guard/nestjs'])

    settle(root)
    touch(join(root, 'tsup.base.ts'))
    await buildIn(root)
    expect(builds(root).slice(9)).toEqual(['@authlete-guard/core', '@authlete-guard/emulator', '@authlete-guard/express', '@authlete-guard/nestjs'])
  })

  it('a missing built file rebuilds its package, then its dependents', async () => {
    const { output } = await rebuiltAfter((root) => rmSync(join(root, 'packages', 'express', 'dist', 'index.js')))
    expect(output).toContain('(dist/index.js is missing)')
    expect(output).toContain('(@authlete-guard/express was rebuilt)')
  })

  it('a failing build shows all its output, errors included, stops there and passes its exit code on', async () => {
    const root = checkout()
    const { code, output } = await buildIn(root, { FAIL_BUILD: '@authlete-guard/express' })
    expect(output).toContain('building @authlete-guard/express… failed')
    expect(output).toContain('tsup: building @authlete-guard/express')
    expect(output).toContain('src/index.ts(1,1): error TS2322')
    expect(output).toMatch(/The build of @authlete-guard\/express failed after \d+\.\d s \(exit code 3\)\./)
    expect(output).not.toContain('Ready in')
    expect(builds(root)).toEqual(['@authlete-guard/core', '@authlete-guard/emulator'])
    expect(code).toBe(3)
  })

  it('on this repository: right after a run, a second run builds nothing and takes under 5 s', async () => {
    const first = await runDemo([], {}, 300_000, build)
    expect(first.code, first.output).toBe(0)
    const started = performance.now()
    const { code, output } = await runDemo([], {}, 30_000, build)
    const seconds = (performance.now() - started) / 1000
    const demoPackages = ['core', 'emulator', 'express', 'fastify', 'koa', 'nestjs', 'next']
    for (const name of demoPackages) expect(output).toContain(`  @authlete-guard/${name}: up to date, skipped\n`)
    expect(output).not.toContain('building')
    expect(code).toBe(0)
    expect(seconds).toBeLessThan(5)
  }, 330_000)
})

describe('pnpm demo', () => {
  it.each(['express', 'koa', 'fastify', 'nestjs', 'next'])('--framework %s: every step as expected, exit 0, transcript shows 200, 403 and 401', async (framework) => {
    const { code, output } = await runDemo(['--framework', framework])
    expect(output).toContain('Every step behaved as expected.')
    expect(output).not.toContain('✘')
    expect(output).toMatch(/← 200 OK/)
    expect(output).toMatch(/← 403 Forbidden/)
    expect(output).toMatch(/← 401 Unauthorized/)
    expect(output).toMatch(/token_type":"DPoP"/)
    expect(output).toMatch(/use_dpop_nonce/)
    expect(output).toMatch(/dpop-nonce: /)
    expect(output).toContain(`(${framework}:`)
    expect(code).toBe(0)
  }, 60_000)

  it('with AUTHLETE_* set it runs against that service instead of its own emulator (client_credentials)', async () => {
    const service = await startEmulator()
    try {
      const { code, output } = await runDemo([], {
        AUTHLETE_BASE_URL: service.url,
        AUTHLETE_API_VERSION: 'V3',
        AUTHLETE_SERVICE_APIKEY: String(service.serviceId),
        AUTHLETE_SERVICE_ACCESSTOKEN: service.accessToken,
        DEMO_CLIENT_ID: String(DEFAULT_CLIENT.clientId),
        DEMO_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
      })
      expect(output).toContain(`Authlete:        ${service.url}`)
      expect(output).not.toContain('local emulator')
      expect(output).toContain('grant_type=client_credentials')
      expect(output).toContain('Every step behaved as expected.')
      expect(code).toBe(0)
      expect(service.requests.some((r) => r.path.endsWith('/auth/introspection'))).toBe(true)
    } finally {
      await service.close()
    }
  }, 60_000)

  it('with AUTHLETE_* set but no demo client it says what is missing and exits 1', async () => {
    const { code, output } = await runDemo([], { AUTHLETE_BASE_URL: await unreachableUrl(), AUTHLETE_SERVICE_APIKEY: '1', AUTHLETE_SERVICE_ACCESSTOKEN: 't' })
    expect(output).toMatch(/set DEMO_CLIENT_ID and DEMO_CLIENT_SECRET/)
    expect(code).toBe(1)
  })

  it('with a wrong service access token guard.ready() stops it at start-up with the precise cause, exit 1', async () => {
    const service = await startEmulator()
    try {
      const { code, output } = await runDemo([], {
        AUTHLETE_BASE_URL: service.url,
        AUTHLETE_SERVICE_APIKEY: String(service.serviceId),
        AUTHLETE_SERVICE_ACCESSTOKEN: 'not-the-service-token',
        DEMO_CLIENT_ID: String(DEFAULT_CLIENT.clientId),
        DEMO_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
      })
      expect(output).toMatch(/Demo failed: Authlete refused the service credentials/)
      expect(output).not.toContain('not-the-service-token')
      expect(output).not.toContain('Protected API:')
      expect(code).toBe(1)
    } finally {
      await service.close()
    }
  }, 60_000)

  it('the demo\'s Next.js app checks Authlete in instrumentation.js: a wrong access token stops next start with the cause, exit 1', async () => {
    const service = await startEmulator()
    try {
      const env = { NEXT_TELEMETRY_DISABLED: '1', AUTHLETE_BASE_URL: service.url, AUTHLETE_API_VERSION: 'V3', AUTHLETE_SERVICE_APIKEY: String(service.serviceId), AUTHLETE_SERVICE_ACCESSTOKEN: 'not-the-service-token' }
      const built = await runIn(nextApp, [nextBin, 'build'], env, 120_000)
      expect(built.code, built.output).toBe(0)
      const started = performance.now()
      const { code, output } = await runIn(nextApp, [nextBin, 'start', '-H', '127.0.0.1', '-p', '0'], env, 30_000)
      expect(output).toContain('authlete-guard: the Authlete configuration does not work:')
      expect(output).toContain('Authlete refused the service credentials')
      expect(output).not.toContain('not-the-service-token')
      expect(code).toBe(1)
      expect(performance.now() - started).toBeLessThan(20_000)
    } finally {
      await service.close()
    }
  }, 180_000)

  it('an unknown framework is refused with usage and exit 2', async () => {
    const { code, output } = await runDemo(['--framework', 'rails'])
    expect(code).toBe(2)
    expect(output).toMatch(/Usage: pnpm demo/)
  })

  it('--serve keeps the API up and prints commands; the printed API answers', async () => {
    const child = spawn(process.execPath, [demo, '--serve'], { env: { ...process.env, NO_COLOR: '1', AUTHLETE_BASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (c) => (output += c))
    child.stderr.on('data', (c) => (output += c))
    try {
      for (let i = 0; i < 300 && !output.includes('Press Ctrl+C to stop.'); i++) await new Promise((r) => setTimeout(r, 100))
      expect(output).toContain('Everything is running.')
      expect(output).toMatch(/curl -i http:\/\/127\.0\.0\.1:\d+\/api\/me -H "Authorization: DPoP \$TOKEN"/)
      expect(output).toMatch(/export AUTHLETE_BASE_URL=http:\/\/127\.0\.0\.1:\d+/)
      const api = /Protected API:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]
      const res = await fetch(`${api}/api/me`)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer.*DPoP/)
    } finally {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
    expect(child.exitCode).toBe(0)
  }, 60_000)
})
