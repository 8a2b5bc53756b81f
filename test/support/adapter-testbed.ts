// Shared by the adapters' own test files: one emulator per file, guards and servers that are
// closed afterwards, and the three behaviours every adapter shows the same way (allow with the
// principal, deny without running the route, decision headers on the allowed response).
import { createServer, request, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createGuard, isAuthleteGuardError, type Decision, type Guard, type GuardOptions, type RouteOptions } from '@authlete-guard/core'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'

export type Emulator = Awaited<ReturnType<typeof startEmulator>>

/** Register the file's emulator, DPoP key and cleanup; use its getters inside tests and hooks. */
export function useAdapterTestbed() {
  let emu: Emulator | undefined
  let key: DpopKeyPair | undefined
  const servers: Server[] = []
  const guards: Guard[] = []

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 })
    key = await createDpopKeyPair('ES256')
  })
  afterAll(async () => {
    for (const server of servers) server.closeAllConnections()
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
    await Promise.all(guards.map((g) => g.close()))
    await emu?.close()
  })

  /**
   * Listen on 127.0.0.1 port 0 with no handler yet (503 until `handle` sets one): for an app
   * that needs its own URL first (a guard whose `resource` is it). Resolves to the base URL.
   */
  async function listen(): Promise<{ url: string; handle(listener: RequestListener): void }> {
    let current: RequestListener = (_req, res) => res.writeHead(503).end()
    const server = createServer((req, res) => current(req, res))
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handle: (listener) => void (current = listener) }
  }

  return {
    emu: () => emu!,
    key: () => key!,
    /**
     * A guard on the emulator (v3 credentials) with `more` options, closed after the file; made by
     * `create` (the root entry's `createGuard` unless told, e.g. `createNodeGuard`).
     */
    newGuard(more: Partial<GuardOptions> = {}, create: (options: GuardOptions) => Guard = createGuard): Guard {
      const guard = create({ authlete: { baseUrl: emu!.url, serviceId: emu!.serviceId, accessToken: emu!.accessToken }, ...more })
      guards.push(guard)
      return guard
    },
    listen,
    /** Serve an app (an Express app, or a Koa app through its `callback()`) on 127.0.0.1; resolves to its base URL. */
    async serve(app: RequestListener | { callback(): RequestListener }): Promise<string> {
      const { url, handle } = await listen()
      handle(typeof app === 'function' ? app : app.callback())
      return url
    },
  }
}

/** The `AuthleteGuardError` code `fn` throws: `'none'` when it returns, `'other'` for another error. */
export function thrownCode(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    return isAuthleteGuardError(error) ? error.code : 'other'
  }
  return 'none'
}

/**
 * POST to `url` with `Content-Length: declared` and a first few bytes of the body, the rest never
 * sent: the status answered before the body ends, or `undefined` when none came within `waitMs`.
 */
export function statusBeforeBodyEnds(url: string, headers: Record<string, string>, declared: number, waitMs = 3000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(declared) } })
    const timer = setTimeout(() => {
      req.destroy()
      resolve(undefined)
    }, waitMs)
    req.on('response', (res) => {
      clearTimeout(timer)
      res.resume()
      req.destroy()
      resolve(res.statusCode)
    })
    req.on('error', () => {})
    req.write('{"a":') // the rest never comes
  })
}

/**
 * The behaviours every adapter shows the same way. The app must expose `GET /me` (scope profile,
 * answering `{ sub, scopes, tokenType }`) and `GET /nonce` (dpopNonceRequired, answering `{ sub }`),
 * and count route runs.
 */
export function itBehavesLikeAnAdapter(
  bed: ReturnType<typeof useAdapterTestbed>,
  app: { url: () => string; runs: () => number; principal: string },
) {
  it(`allows a Bearer token and sets ${app.principal} for the route`, async () => {
    const { accessToken } = await bed.emu().createToken({ subject: 'alice', scopes: ['profile'] })
    const before = app.runs()
    const res = await fetch(`${app.url()}/me`, { headers: { authorization: `Bearer ${accessToken}` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: 'alice', scopes: ['profile'], tokenType: 'Bearer' })
    expect(app.runs() - before).toBe(1)
  })

  it('RFC 6750 §3.1 sends the denial (status, challenge, JSON body) and never runs the route', async () => {
    const before = app.runs()
    const res = await fetch(`${app.url()}/me`, { headers: { authorization: 'Bearer nope' } })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
    expect(res.headers.get('cache-control')).toMatch(/no-store/)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toMatchObject({ error: 'invalid_token' })
    expect(app.runs()).toBe(before)
  })

  it('RFC 9449 §8 puts the decision headers (DPoP-Nonce) on the allowed response', async () => {
    const key = bed.key()
    const { accessToken } = await bed.emu().createToken({ subject: 'alice', scopes: [], dpopKeyThumbprint: key.thumbprint })
    const call = async (nonce?: string) =>
      fetch(`${app.url()}/nonce`, {
        headers: {
          authorization: `DPoP ${accessToken}`,
          dpop: await createDpopProof(key, { htm: 'GET', htu: `${app.url()}/nonce`, accessToken, ...(nonce ? { nonce } : {}) }),
        },
      })
    const first = await call()
    expect(first.status).toBe(401)
    const nonce = first.headers.get('dpop-nonce')
    expect(nonce).toBeTruthy()
    const second = await call(nonce!)
    expect(second.status).toBe(200)
    expect(second.headers.get('dpop-nonce')).toBeTruthy()
    expect(await second.json()).toEqual({ sub: 'alice' })
  })
}

/**
 * RFC 9449 with two guards on one route (`protect` stacked, a router guard plus a route guard):
 * the app must expose `GET /stacked` with `protect(guard, { scopes: ['profile'] })` then
 * `protect(guard, { scopes: ['write'] })`, answering `{ sub }`. One DPoP request gets 200 with one
 * Authlete call in all and no false replay; a token without `write` is refused by the second guard.
 */
export function itServesStackedGuardsOnce(bed: ReturnType<typeof useAdapterTestbed>, app: { url: () => string; runs: () => number }) {
  it('stacked guards on one route: one proof check, one Authlete call, no false replay', async () => {
    const key = bed.key()
    const emu = bed.emu()
    const call = async (scopes: string[]) => {
      const { accessToken } = await emu.createToken({ subject: 'alice', scopes, dpopKeyThumbprint: key.thumbprint })
      const dpop = await createDpopProof(key, { htm: 'GET', htu: `${app.url()}/stacked`, accessToken })
      const before = { introspections: emu.requests.filter((r) => r.path.endsWith('/auth/introspection')).length, runs: app.runs() }
      const res = await fetch(`${app.url()}/stacked`, { headers: { authorization: `DPoP ${accessToken}`, dpop } })
      return { res, calls: emu.requests.filter((r) => r.path.endsWith('/auth/introspection')).length - before.introspections, ran: app.runs() - before.runs }
    }
    const ok = await call(['profile', 'write'])
    expect(ok.res.status).toBe(200)
    expect(await ok.res.json()).toEqual({ sub: 'alice' })
    expect([ok.calls, ok.ran]).toEqual([1, 1])
    const refused = await call(['profile'])
    expect(refused.res.status).toBe(403)
    expect(refused.res.headers.get('www-authenticate')).toMatch(/insufficient_scope/)
    expect([refused.calls, refused.ran]).toEqual([1, 0])
  })
}

/** An adapter's `protect(guard, route)` refuses bad route options and a missing guard at set-up. */
export function itChecksProtectArguments(bed: ReturnType<typeof useAdapterTestbed>, protect: (guard: Guard, route?: RouteOptions) => unknown) {
  it('protect() refuses invalid route options and a missing guard at start-up', () => {
    const guard = bed.newGuard()
    expect(thrownCode(() => protect(guard, { scopes: 'profile' as unknown as string[] }))).toBe('ERR_INVALID_CONFIG')
    expect(thrownCode(() => protect(undefined as unknown as Guard))).toBe('ERR_INVALID_CONFIG')
    expect(thrownCode(() => protect(guard, { scopes: ['profile'] }))).toBe('none')
  })
}

/** A denial with an extra header, to check that an adapter copies every header and the body as is. */
export const SAMPLE_DENIAL: Decision = {
  allowed: false,
  status: 400,
  headers: { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer error="invalid_request"', 'X-Extra': '1' },
  body: '{"error":"invalid_request"}',
  error: 'invalid_request',
  errorDescription: undefined,
}
