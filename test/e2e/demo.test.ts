/**
 * The demo (`pnpm demo`) as a user runs it: the scripted DPoP client must report every step as
 * expected and exit 0, showing 200, 401 and 403 in its transcript; `--serve` must keep the
 * servers up and print working commands. Runs the built packages (`pnpm test` builds first).
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CLIENT, startEmulator } from '@authlete-guard/emulator'
import { unreachableUrl } from '../support/unreachable'

const demo = fileURLToPath(new URL('../../examples/demo/demo.mjs', import.meta.url))
const build = fileURLToPath(new URL('../../examples/demo/build.mjs', import.meta.url))

function runDemo(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000, script = demo): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, NO_COLOR: '1', AUTHLETE_BASE_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
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

describe('pnpm demo: the build step before it (examples/demo/build.mjs, here with a stand-in build command)', () => {
  it('says what it builds, then how long it took; the build\'s own output stays quiet; exit 0', async () => {
    const { code, output } = await runDemo([process.execPath, '-e', 'console.log("tsup " + "chatter")'], {}, 60_000, build)
    expect(output).toMatch(/^Building the packages \(.+\)…\nBuilt in \d+\.\d s\.\n/)
    expect(output).not.toContain('tsup chatter')
    expect(code).toBe(0)
  })

  it('a failing build shows all its output, errors included, and passes its exit code on', async () => {
    const failing = 'console.log("building core"); console.error("src/guard.ts(1,1): error TS2322"); process.exit(3)'
    const { code, output } = await runDemo([process.execPath, '-e', failing], {}, 60_000, build)
    expect(output).toContain('building core')
    expect(output).toContain('src/guard.ts(1,1): error TS2322')
    expect(output).toMatch(/The build failed after \d+\.\d s \(exit code 3\)/)
    expect(output).not.toContain('Built in')
    expect(code).toBe(3)
  })
})

describe('pnpm demo', () => {
  it.each(['express', 'koa', 'fastify', 'nestjs'])('--framework %s: every step as expected, exit 0, transcript shows 200, 403 and 401', async (framework) => {
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
