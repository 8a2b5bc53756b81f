/**
 * End to end: the real Next.js 16 app in `next-app/` (`next build`, then `next start` on
 * 127.0.0.1), called over HTTP with real DPoP proofs, the emulator standing in for Authlete:
 * `withAuth` on a Node.js route (`/api/me`) and on an edge route (`/api/edge/me`), and `authProxy`
 * in `proxy.js` in front of `/api/proxied/*`, whose route reads `authFromHeaders`. One build for
 * all. The app imports the packages' built `dist` (the published shape), so run `pnpm build`
 * first (the root `pnpm test` does).
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

describe('Next.js 16 app (next build + next start)', () => {
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

  const call = async (path: string, token: string | undefined, proof?: string, extra: Record<string, string> = {}) => {
    const headers: Record<string, string> = { ...extra }
    if (token) headers.authorization = `${proof ? 'DPoP' : 'Bearer'} ${token}`
    if (proof) headers.dpop = proof
    const response = await fetch(`${baseUrl}${path}`, { headers })
    return { response, body: (await response.json()) as Record<string, unknown> }
  }
  const get = (token: string | undefined, proof?: string) => call('/api/me', token, proof)
  /** A DPoP-bound token for `subject` and a proof for GET `path` (`nonce` when given). */
  const signed = async (path: string, options: { subject?: string; scopes?: string[]; nonce?: string } = {}) => {
    const { accessToken } = await emu.createToken({ subject: options.subject ?? 'alice', scopes: options.scopes ?? ['profile'], dpopKeyThumbprint: key.thumbprint })
    const proof = await createDpopProof(key, { htm: 'GET', htu: `${baseUrl}${path}`, accessToken, ...(options.nonce ? { nonce: options.nonce } : {}) })
    return { accessToken, proof }
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

  describe('withAuth in the edge runtime (export const runtime = \'edge\')', () => {
    test('a DPoP-bound token with a valid proof -> 200 with the principal, computed on the edge', async () => {
      const { accessToken, proof } = await signed('/api/edge/me')
      const { response, body } = await call('/api/edge/me', accessToken, proof)
      expect(response.status, serverLog).toBe(200)
      expect(body).toMatchObject({ runtime: 'edge', sub: 'alice', scopes: ['profile'], tokenType: 'DPoP' })
      expect(body.clientId).toEqual(expect.any(Number))
    })

    test('a proof signed by another key -> 401 from Authlete\'s answer, with the challenge and no-store', async () => {
      const { accessToken } = await signed('/api/edge/me')
      const proof = await createDpopProof(await createDpopKeyPair('ES256'), { htm: 'GET', htu: `${baseUrl}/api/edge/me`, accessToken })
      const { response, body } = await call('/api/edge/me', accessToken, proof)
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toMatch(/^DPoP /)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(body).not.toHaveProperty('sub')
      expect(body.error).toEqual(expect.any(String))
    })
  })

  describe('authProxy in proxy.js, authFromHeaders in the route behind it', () => {
    const forged = { 'x-authlete-guard-subject': 'mallory', 'x-authlete-guard-scopes': 'admin', 'x-authlete-guard-client-id': '1', 'x-authlete-guard-token-type': 'DPoP', 'x-authlete-guard-expires-at': '99999999999999', 'x-authlete-guard-acr': 'forged' }

    test('a valid DPoP request -> 200, the route reads the principal from the request headers', async () => {
      const { accessToken, proof } = await signed('/api/proxied/me')
      const { response, body } = await call('/api/proxied/me', accessToken, proof)
      expect(response.status, serverLog).toBe(200)
      expect(response.headers.get('x-route-ran')).toBe('1')
      expect(body).toMatchObject({ path: 'me', subjectHeader: 'alice', auth: { subject: 'alice', scopes: ['profile'], tokenType: 'DPoP' } })
      const auth = body.auth as Record<string, unknown>
      expect(auth.clientId).toEqual(expect.any(Number))
      expect(auth.expiresAt).toBeGreaterThan(Date.now())
      // Internal headers of the proxy protocol never reach the client.
      for (const name of response.headers.keys()) expect(name).not.toMatch(/^x-middleware-|^x-authlete-guard-/)
    })

    test('forged x-authlete-guard-* headers and no token -> 401 from the proxy; the route never runs', async () => {
      const { response, body } = await call('/api/proxied/me', undefined, undefined, forged)
      expect(response.status).toBe(401)
      expect(response.headers.get('x-route-ran')).toBeNull()
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer .*DPoP /)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect(body).not.toHaveProperty('auth')
      expect(body).not.toHaveProperty('error') // RFC 6750 §3.1: no credentials, no error code
    })

    test('a valid request with forged headers -> the real principal; forged fields the token lacks are gone', async () => {
      const { accessToken, proof } = await signed('/api/proxied/me')
      const { response, body } = await call('/api/proxied/me', accessToken, proof, forged)
      expect(response.status, serverLog).toBe(200)
      expect(body.subjectHeader).toBe('alice')
      expect(body.auth).toMatchObject({ subject: 'alice', scopes: ['profile'] })
      const auth = body.auth as Record<string, unknown>
      expect(auth.clientId).not.toBe(1)
      expect(auth.expiresAt).not.toBe(99999999999999)
      expect(auth).not.toHaveProperty('acr') // undefined, dropped by JSON: not 'forged'
    })

    test('a subject outside visible ASCII reaches the route intact (percent-encoded in the header)', async () => {
      const subject = 'José 山田 100%'
      const { accessToken, proof } = await signed('/api/proxied/me', { subject })
      const { response, body } = await call('/api/proxied/me', accessToken, proof)
      expect(response.status, serverLog).toBe(200)
      expect(body.auth).toMatchObject({ subject })
      expect(body.subjectHeader).toBe('Jos%C3%A9%20%E5%B1%B1%E7%94%B0%20100%25')
    })

    test('a route the proxy does not protect (/api/proxied/open) runs without a token, and without the forged headers', async () => {
      const { response, body } = await call('/api/proxied/open', undefined, undefined, forged)
      expect(response.status).toBe(200)
      expect(body).toEqual({ path: 'open', auth: null, subjectHeader: null })
    })

    test('a token without the scope -> 403 insufficient_scope from the proxy', async () => {
      const { accessToken, proof } = await signed('/api/proxied/me', { scopes: ['email'] })
      const { response, body } = await call('/api/proxied/me', accessToken, proof)
      expect(response.status).toBe(403)
      expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/)
      expect(response.headers.get('x-route-ran')).toBeNull()
      expect(body.error).toBe('insufficient_scope')
    })

    test('RFC 9449 §8 nonces through the proxy: 401 use_dpop_nonce with DPoP-Nonce, then 200 with DPoP-Nonce on the route response', async () => {
      const first = await signed('/api/proxied/nonce')
      const challenge = await call('/api/proxied/nonce', first.accessToken, first.proof)
      expect(challenge.response.status).toBe(401)
      expect(challenge.response.headers.get('www-authenticate')).toMatch(/error="use_dpop_nonce"/)
      const nonce = challenge.response.headers.get('dpop-nonce')
      expect(nonce).toBeTruthy()
      const second = await signed('/api/proxied/nonce', { nonce: nonce! })
      const { response, body } = await call('/api/proxied/nonce', second.accessToken, second.proof)
      expect(response.status, serverLog).toBe(200)
      expect(response.headers.get('x-route-ran')).toBe('1')
      expect(response.headers.get('dpop-nonce')).toBe(nonce)
      expect(body.auth).toMatchObject({ subject: 'alice' })
    })
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
