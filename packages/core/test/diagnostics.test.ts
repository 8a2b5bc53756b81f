// What the guard decides, where and why, for operators: the authlete-guard:check and
// authlete-guard:authlete tracing channels and the onDecision callback. No secret in any field.
import diagnostics from 'node:diagnostics_channel'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, DEFAULT_CLIENT, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { AUTHLETE_CHANNEL, CHECK_CHANNEL, createGuard, type AuthleteCallEvent, type CheckEvent, type GuardOptions, type RequestLike } from '../src'
import { createAuthorizationServer } from '../src/authorization-server'
import { unreachableUrl } from '../../../test/support/unreachable'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
const ORIGIN = 'https://api.example.com'
let emu: Emulator
let key: DpopKeyPair
const checks: Array<{ phase: string; event: CheckEvent }> = []
const calls: Array<{ phase: string; event: AuthleteCallEvent }> = []
const checkHandlers = {
  start: (e: unknown) => checks.push({ phase: 'start', event: { ...(e as CheckEvent) } }),
  asyncEnd: (e: unknown) => checks.push({ phase: 'asyncEnd', event: { ...(e as CheckEvent) } }),
}
// Whatever tracePromise adds to the context (`result`, `error`) is part of what subscribers see.
const callHandlers = {
  start: (e: unknown) => calls.push({ phase: 'start', event: { ...(e as AuthleteCallEvent) } }),
  asyncEnd: (e: unknown) => calls.push({ phase: 'asyncEnd', event: { ...(e as AuthleteCallEvent) } }),
  error: (e: unknown) => calls.push({ phase: 'error', event: { ...(e as AuthleteCallEvent) } }),
}

beforeAll(async () => {
  emu = await startEmulator()
  key = await createDpopKeyPair('ES256')
  diagnostics.tracingChannel(CHECK_CHANNEL).subscribe(checkHandlers as never)
  diagnostics.tracingChannel(AUTHLETE_CHANNEL).subscribe(callHandlers as never)
})
afterAll(async () => {
  diagnostics.tracingChannel(CHECK_CHANNEL).unsubscribe(checkHandlers as never)
  diagnostics.tracingChannel(AUTHLETE_CHANNEL).unsubscribe(callHandlers as never)
  await emu?.close()
})
afterEach(() => {
  checks.length = 0
  calls.length = 0
})

const guardWith = (options: Partial<GuardOptions> = {}) => createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: ORIGIN, ...options })
const request = (token: string, dpop: string, url = '/api/me?secret-query=1'): RequestLike => ({ method: 'get', url, headers: { host: 'internal', authorization: `DPoP ${token}`, dpop } })
const bound = async (scopes = ['read']) => (await emu.createToken({ subject: 'alice', scopes, dpopKeyThumbprint: key.thumbprint })).accessToken
const proof = (token: string, extra: Record<string, unknown> = {}) => createDpopProof(key, { htm: 'GET', htu: `${ORIGIN}/api/me`, accessToken: token, ...extra })
const ended = () => checks.filter((c) => c.phase === 'asyncEnd').map((c) => c.event)

/** Every field of every event, as text: none may hold a secret. */
function expectNoSecrets(secrets: string[]) {
  const text = JSON.stringify([checks, calls])
  for (const secret of [...secrets, emu.accessToken, 'secret-query']) expect(text).not.toContain(secret)
}

describe('authlete-guard:check and onDecision', () => {
  it('allow from Authlete: start and end events with the request and the decision', async () => {
    const seen: CheckEvent[] = []
    const guard = guardWith({ onDecision: (e) => seen.push({ ...e }) })
    const token = await bound()
    const dpop = await proof(token)
    await guard.check(request(token, dpop), { scopes: ['read'] })
    expect(checks.map((c) => c.phase)).toEqual(['start', 'asyncEnd'])
    expect(checks[0]!.event).toMatchObject({ method: 'GET', path: '/api/me', route: { scopes: ['read'] } })
    expect(ended()[0]).toMatchObject({ allowed: true, status: 200, error: undefined, source: 'authlete', scheme: 'DPoP', reason: undefined })
    expect(ended()[0]!.durationMs).toBeGreaterThan(0)
    expect(seen).toEqual([ended()[0]])
    expectNoSecrets([token, dpop])
    await guard.close()
  })
  it('cache hit: source cache, no Authlete call event', async () => {
    const guard = guardWith({ cache: true })
    const token = await bound()
    await guard.check(request(token, await proof(token)))
    calls.length = 0
    const dpop = await proof(token)
    await guard.check(request(token, dpop))
    expect(ended().at(-1)).toMatchObject({ allowed: true, source: 'cache' })
    expect(calls).toEqual([])
    expectNoSecrets([token, dpop])
    await guard.close()
  })
  it('local refusal (htu): source local, and the reason names both URLs (no query)', async () => {
    const guard = guardWith()
    const token = await bound()
    const dpop = await createDpopProof(key, { htm: 'GET', htu: 'https://api.example.com/api/other?x=secret-query', accessToken: token })
    await guard.check(request(token, dpop))
    expect(ended()[0]).toMatchObject({ allowed: false, status: 401, error: 'invalid_dpop_proof', source: 'local', reason: { check: 'htu', expected: `${ORIGIN}/api/me`, actual: `${ORIGIN}/api/other` } })
    expect(calls).toEqual([])
    expectNoSecrets([token, dpop])
    await guard.close()
  })
  it('local refusal (iat): the proof\'s iat, the server time and the window', async () => {
    const guard = guardWith()
    const token = await bound()
    const iat = Math.floor(Date.now() / 1000) - 1000
    await guard.check(request(token, await proof(token, { iat })))
    const reason = ended()[0]!.reason!
    expect(reason).toMatchObject({ check: 'iat', iat, maxAgeSeconds: 300, maxFutureSeconds: 60 })
    expect(Math.abs((reason.now as number) - (iat + 1000))).toBeLessThanOrEqual(2)
    await guard.close()
  })
  it('Authlete refusal (another key): source authlete, the result code and both thumbprints', async () => {
    const guard = guardWith()
    const token = await bound()
    const other = await createDpopKeyPair('ES256')
    await guard.check(request(token, await createDpopProof(other, { htm: 'GET', htu: `${ORIGIN}/api/me`, accessToken: token })))
    // Both thumbprints: the proof's, and the one the token is bound to (RFC 7662 cnf.jkt).
    expect(ended()[0]).toMatchObject({ allowed: false, status: 401, source: 'authlete', reason: { check: 'authlete', resultCode: 'A065309', proofJkt: other.thumbprint, tokenJkt: key.thumbprint } })
    await guard.close()
  })
  it('Authlete failure: 500 with the error code; the call event has the error', async () => {
    const guard = guardWith({ authlete: { baseUrl: await unreachableUrl(), serviceId: emu.serviceId, accessToken: emu.accessToken }, onError: () => {} })
    const token = await bound()
    await guard.check(request(token, await proof(token)))
    expect(ended()[0]).toMatchObject({ allowed: false, status: 500, error: 'server_error', source: 'authlete', errorCode: 'ERR_AUTHLETE_UNREACHABLE' })
    expect(calls.find((c) => c.phase === 'error')?.event).toMatchObject({ apiPath: `/api/${emu.serviceId}/auth/introspection`, errorCode: 'ERR_AUTHLETE_UNREACHABLE' })
    expectNoSecrets([token])
    await guard.close()
  })
  it('a throwing onDecision changes nothing', async () => {
    const guard = guardWith({ onDecision: () => { throw new Error('boom') } })
    const token = await bound()
    expect((await guard.check(request(token, await proof(token)))).allowed).toBe(true)
    await guard.close()
  })
})

describe('authlete-guard:authlete', () => {
  it('every Authlete call: API path, HTTP status, result code, action, duration; the authorization server too', async () => {
    const guard = guardWith()
    const token = await bound()
    await guard.check(request(token, await proof(token)))
    const end = calls.find((c) => c.phase === 'asyncEnd')!.event
    expect(end).toMatchObject({ apiPath: `/api/${emu.serviceId}/auth/introspection`, httpStatus: 200, resultCode: 'A056001', action: 'OK' })
    expect(end.durationMs).toBeGreaterThan(0)
    calls.length = 0
    const as = createAuthorizationServer({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken } })
    const issued = await as.token(
      { method: 'POST', url: '/token', headers: { host: 'as.example.com', 'content-type': 'application/x-www-form-urlencoded' } },
      `grant_type=client_credentials&client_id=${DEFAULT_CLIENT.clientId}&client_secret=${DEFAULT_CLIENT.clientSecret}`,
    )
    const newToken = issued.done ? (JSON.parse(issued.body) as { access_token?: string }).access_token : undefined
    expect(newToken).toBeTruthy()
    expect(calls.find((c) => c.phase === 'asyncEnd')?.event).toMatchObject({ apiPath: `/api/${emu.serviceId}/auth/token`, httpStatus: 200, action: 'OK' })
    // The published context never carries Authlete's reply (tracePromise's `result`): no issued token, no secret.
    expectNoSecrets([token, newToken!, DEFAULT_CLIENT.clientSecret])
    await Promise.all([guard.close(), as.close()])
  })
})
