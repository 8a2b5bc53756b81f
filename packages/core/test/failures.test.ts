// Infrastructure failures are never silent and always say what was tried: without onError each
// distinct cause reaches console.warn once a minute; guard.ready() fails fast with the precise
// cause; messages name Authlete's URL path or origin, never a credential.
import { afterEach, beforeAll, afterAll, describe, expect, it, vi } from 'vitest'
import { createGuard, type AuthleteClient, type AuthleteOptions } from '../src'
import { createAuthorizationServer } from '../src/authorization-server'
import { startEmulator } from '@authlete-guard/emulator'
import { unreachableUrl } from '../../../test/support/unreachable'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
let emu: Emulator
let closedUrl: string
beforeAll(async () => {
  emu = await startEmulator({ port: 0 })
  closedUrl = await unreachableUrl()
})
afterAll(async () => {
  await emu?.close()
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const v3 = (extra: Partial<AuthleteOptions> = {}): AuthleteOptions => ({ baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken, timeoutMs: 2000, ...extra })
const request = { method: 'GET', url: '/api/me?secret-query=1', headers: { host: 'api.example.com', authorization: 'Bearer sEcReT-token' } }

describe('no onError: each distinct cause is logged to console.warn once a minute', () => {
  it('logs the first failure, stays quiet for a minute, logs again after it; a new cause is logged at once', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const guard = createGuard({ authlete: v3({ baseUrl: closedUrl }) })
    for (let i = 0; i < 5; i++) expect((await guard.check(request)).allowed).toBe(false)
    expect(warn).toHaveBeenCalledTimes(1)
    const line = String(warn.mock.calls[0]![0])
    expect(line).toContain('ERR_AUTHLETE_UNREACHABLE')
    expect(line).toContain(`Authlete at ${closedUrl} could not be reached for POST /api/${emu.serviceId}/auth/introspection (ECONNREFUSED).`)
    expect(line).not.toMatch(/sEcReT|secret-query|service-access|Bearer/)
    vi.setSystemTime(new Date('2026-01-01T00:00:59Z'))
    await guard.check(request)
    expect(warn).toHaveBeenCalledTimes(1)
    vi.setSystemTime(new Date('2026-01-01T00:01:01Z'))
    await guard.check(request)
    expect(warn).toHaveBeenCalledTimes(2)
    await guard.close()

    // Another cause (HTTP 401 from wrong credentials) is logged at once, by its own guard.
    const wrong = createGuard({ authlete: v3({ accessToken: 'wrong-token' }) })
    await wrong.check(request)
    expect(warn).toHaveBeenCalledTimes(3)
    expect(String(warn.mock.calls[2]![0])).toMatch(/ERR_AUTHLETE_HTTP_STATUS: Authlete answered POST \/api\/\d+\/auth\/introspection with HTTP 401/)
    expect(String(warn.mock.calls[2]![0])).not.toContain('wrong-token')
    await wrong.close()
  })
  it('with onError nothing is written to the console', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const codes: string[] = []
    const guard = createGuard({ authlete: v3({ baseUrl: closedUrl }), onError: (e) => codes.push(e.error.code) })
    await guard.check(request)
    expect(codes).toEqual(['ERR_AUTHLETE_UNREACHABLE'])
    expect(warn).not.toHaveBeenCalled()
    await guard.close()
  })
  it('the authorization server logs the same way without onError', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const as = createAuthorizationServer({ authlete: v3({ baseUrl: closedUrl }) })
    const result = await as.token({ method: 'POST', url: '/token', headers: { host: 'as.example.com', 'content-type': 'application/x-www-form-urlencoded' } }, 'grant_type=client_credentials')
    expect(result).toMatchObject({ done: true, status: 500 })
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(/token denied with 500: ERR_AUTHLETE_UNREACHABLE/)
    await as.close()
  })
})

describe('guard.ready(): one authenticated call, rejects with the precise cause', () => {
  it('resolves against a correctly configured Authlete (the emulator), v3 and v2', async () => {
    const guard = createGuard({ authlete: v3() })
    await expect(guard.ready()).resolves.toBeUndefined()
    await guard.close()
    const v2 = createGuard({ authlete: { baseUrl: emu.url, apiKey: emu.apiKey, apiSecret: emu.apiSecret } })
    await expect(v2.ready()).resolves.toBeUndefined()
    await v2.close()
  })
  it.each<[string, () => AuthleteOptions, string, RegExp]>([
    ['wrong credentials', () => v3({ accessToken: 'wrong-zz9' }), 'ERR_AUTHLETE_HTTP_STATUS', /refused the service credentials.*HTTP 401/],
    ['wrong base URL path', () => v3({ baseUrl: `${emu.url}/nope` }), 'ERR_AUTHLETE_HTTP_STATUS', /no such API.*POST \/nope\/api\/\d+\/auth\/introspection with HTTP 404/],
    ['unreachable', () => v3({ baseUrl: closedUrl }), 'ERR_AUTHLETE_UNREACHABLE', /could not be reached .*ECONNREFUSED/],
  ])('%s', async (_name, options, code, message) => {
    const guard = createGuard({ authlete: options() })
    const error = await guard.ready().then(() => undefined, (e: unknown) => e as { code: string; message: string })
    expect(error?.code).toBe(code)
    expect(error?.message).toMatch(message)
    expect(error?.message).not.toContain('wrong-zz9')
    await guard.close()
  })
  it('a reply that is not an introspection verdict (OK for a token that cannot exist) rejects', async () => {
    const fake: AuthleteClient = { baseUrl: 'x', apiVersion: 'V3', call: async () => ({ action: 'OK' }) as never, close: async () => {} }
    await expect(createGuard({ authlete: fake }).ready()).rejects.toMatchObject({ code: 'ERR_AUTHLETE_INVALID_RESPONSE' })
  })
  it('the authorization server has the same ready()', async () => {
    const as = createAuthorizationServer({ authlete: v3({ accessToken: 'wrong' }) })
    await expect(as.ready()).rejects.toMatchObject({ code: 'ERR_AUTHLETE_HTTP_STATUS', status: 401 })
    await as.close()
  })
})

describe('messages and codes say what happened', () => {
  it('an HTTP error names the URL path and does not double the full stop', async () => {
    const codes: Array<[string, string]> = []
    const guard = createGuard({ authlete: v3(), onError: (e) => codes.push([e.error.code, e.error.message]) })
    emu.faults.inject({ type: 'status', status: 503, body: { resultCode: 'A001101', resultMessage: '[A001101] Authlete Server error.' } }, { times: 1, path: '/auth/introspection' })
    await guard.check(request)
    expect(codes).toEqual([['ERR_AUTHLETE_HTTP_STATUS', `Authlete answered POST /api/${emu.serviceId}/auth/introspection with HTTP 503: [A001101] Authlete Server error.`]])
    await guard.close()
  })
  it('a bug outside Authlete\'s reply is ERR_INTERNAL (a client whose call throws a plain TypeError)', async () => {
    const codes: string[] = []
    const broken: AuthleteClient = { baseUrl: 'x', apiVersion: 'V3', call: async () => { throw new TypeError('boom') }, close: async () => {} }
    const decision = await createGuard({ authlete: broken, onError: (e) => codes.push(e.error.code) }).check(request)
    expect(!decision.allowed && decision.status).toBe(500)
    expect(codes).toEqual(['ERR_INTERNAL'])
  })
})
