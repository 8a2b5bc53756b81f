/**
 * End to end: the real Next.js 16 app in `next-app/` (`next build`, then `next start` on
 * 127.0.0.1) with a route protected by `withAuth`, called over HTTP with real DPoP proofs, the
 * emulator standing in for Authlete. The app imports the packages' built `dist` (the published
 * shape), so run `pnpm build` first (the root `pnpm test` does).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'

const appDir = fileURLToPath(new URL('./next-app/', import.meta.url))
const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next')
const builtEntries = ['core', 'next'].map((name) => fileURLToPath(new URL(`../../packages/${name}/dist/index.js`, import.meta.url)))

type Emulator = Awaited<ReturnType<typeof startEmulator>>

let emu: Emulator
let server: ChildProcess | undefined
let serverLog = ''
let baseUrl: string
let key: DpopKeyPair

describe('Next.js 16 app (next build + next start) with withAuth', () => {
  beforeAll(async () => {
    const missing = builtEntries.filter((file) => !existsSync(file))
    if (missing.length > 0) throw new Error(`run \`pnpm build\` first: missing ${missing.join(', ')}`)

    emu = await startEmulator({ port: 0 })
    key = await createDpopKeyPair('ES256')
    const env = {
      ...process.env,
      NEXT_TELEMETRY_DISABLED: '1',
      AUTHLETE_BASE_URL: emu.url,
      AUTHLETE_API_VERSION: 'V3',
      AUTHLETE_SERVICE_APIKEY: String(emu.serviceId),
      AUTHLETE_SERVICE_ACCESSTOKEN: emu.accessToken,
    }
    // The build gets no AUTHLETE_* variables: the app creates its guard on the first request.
    const buildEnv = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('AUTHLETE_')))
    const build = await run(process.execPath, [nextBin, 'build'], { cwd: appDir, env: buildEnv })
    if (build.code !== 0) throw new Error(`next build failed (${build.code}):\n${build.output}`)

    const port = await freePort()
    baseUrl = `http://127.0.0.1:${port}`
    server = spawn(process.execPath, [nextBin, 'start', '-H', '127.0.0.1', '-p', String(port)], {
      cwd: appDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    server.stdout!.on('data', (chunk) => (serverLog += chunk))
    server.stderr!.on('data', (chunk) => (serverLog += chunk))
    await waitUntilReady(`${baseUrl}/api/me`, server)
  }, 180_000)

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve))
      server.kill('SIGTERM')
      await Promise.race([exited, delay(5_000)])
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL')
    }
    await emu?.close()
  })

  const get = async (token: string | undefined, proof?: string) => {
    const headers: Record<string, string> = {}
    if (token) headers.authorization = `${proof ? 'DPoP' : 'Bearer'} ${token}`
    if (proof) headers.dpop = proof
    const response = await fetch(`${baseUrl}/api/me`, { headers })
    return { response, body: (await response.json()) as Record<string, unknown> }
  }

  test('a DPoP-bound token with a proof for the URL the client called -> 200 with the subject', async () => {
    const { accessToken } = await emu.createToken({ subject: 'alice', scopes: ['profile'], dpopKeyThumbprint: key.thumbprint })
    const proof = await createDpopProof(key, { htm: 'GET', htu: `${baseUrl}/api/me`, accessToken })
    const { response, body } = await get(accessToken, proof)
    expect(response.status, serverLog).toBe(200)
    expect(body).toMatchObject({ sub: 'alice', scopes: ['profile'], tokenType: 'DPoP' })
  })

  test('RFC 9449 §7.1 a proof signed by another key -> 401 invalid_token, route not run', async () => {
    const { accessToken } = await emu.createToken({ subject: 'alice', scopes: ['profile'], dpopKeyThumbprint: key.thumbprint })
    const other = await createDpopKeyPair('ES256')
    const proof = await createDpopProof(other, { htm: 'GET', htu: `${baseUrl}/api/me`, accessToken })
    const { response, body } = await get(accessToken, proof)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/^DPoP /)
    expect(body).not.toHaveProperty('sub')
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  test('htu comes from the Host header, not the localhost URL `next start` gives the handler -> 401', async () => {
    const { accessToken } = await emu.createToken({ subject: 'alice', scopes: ['profile'], dpopKeyThumbprint: key.thumbprint })
    const proof = await createDpopProof(key, { htm: 'GET', htu: `${baseUrl.replace('127.0.0.1', 'localhost')}/api/me`, accessToken })
    const { response } = await get(accessToken, proof)
    expect(response.status).toBe(401)
  })

  test('RFC 6750 §3.1 no token -> 401 with a challenge and no error', async () => {
    const { response, body } = await get(undefined)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/Bearer/)
    expect(response.headers.get('www-authenticate')).not.toMatch(/error=/)
    expect(body.error).toBeUndefined()
  })

  test('RFC 6750 §3.1 a token without the route scope `profile` -> 403 insufficient_scope', async () => {
    const { accessToken } = await emu.createToken({ subject: 'alice', scopes: ['email'], dpopKeyThumbprint: key.thumbprint })
    const proof = await createDpopProof(key, { htm: 'GET', htu: `${baseUrl}/api/me`, accessToken })
    const { response, body } = await get(accessToken, proof)
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/)
    expect(body.error).toBe('insufficient_scope')
  })
})

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, output }))
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Poll until the route answers at all (a 401 without a token is the ready signal). */
async function waitUntilReady(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${serverLog}`)
    try {
      const response = await fetch(url)
      await response.arrayBuffer()
      if (response.status === 401) return
    } catch {
      // not listening yet
    }
    await delay(200)
  }
  throw new Error(`next start was not ready within ${timeoutMs} ms:\n${serverLog}`)
}
