// Refresh-ahead of the introspection cache, against the emulator: the background call starts only
// once a request is allowed, asks about the presentation without the route's requirements (so a
// request of a route the token does not cover never ends a good entry), and only a definite "no"
// from Authlete ends the entry; a failure of Authlete's is reported and the entry serves on.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair, type Fault } from '@authlete-guard/emulator'
import { createGuard, createMemoryReplayStore, type GuardErrorEvent, type GuardOptions, type RequestLike } from '../src'
import { REFRESH_SCHEDULER } from '../src/cache/refresh-ahead'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
const ORIGIN = 'https://api.example.com'
let emu: Emulator
let key: DpopKeyPair
let clock = 0 // ms added to both the emulator's and the guards' clocks
let refreshes: Array<Promise<void>> = [] // the background refreshes the test's guards started

beforeAll(async () => {
  emu = await startEmulator({ now: () => Date.now() + clock, rejectReplayedProofs: false })
  key = await createDpopKeyPair('ES256')
})
afterAll(async () => {
  await emu?.close()
})
beforeEach(() => {
  clock = 0
  refreshes = []
  emu.faults.clear()
})

const guardWith = (options: Partial<GuardOptions> = {}) =>
  createGuard({
    authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken },
    publicUrl: ORIGIN,
    now: () => Date.now() + clock,
    cache: { ttlMs: 10_000 },
    [REFRESH_SCHEDULER]: (refresh: Promise<void>) => void refreshes.push(refresh),
    ...options,
  } as GuardOptions)
const introspectionCalls = () => emu.requests.filter((r) => r.apiPath === '/auth/introspection')
const bound = async () => (await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })).accessToken
const proof = (token: string) => createDpopProof(key, { htm: 'GET', htu: `${ORIGIN}/api/me`, accessToken: token, iat: Math.floor((Date.now() + clock) / 1000) })
const dpopRequest = (token: string, dpop: string): RequestLike => ({ method: 'GET', url: '/api/me?page=2', headers: { host: 'internal', authorization: `DPoP ${token}`, dpop } })
/**
 * Awaits every background refresh started so far (its store write or report included), then counts
 * Authlete's introspections. A refresh starts before the `check` that started it resolves, so a
 * refresh that should not have started is counted too: no waiting for nothing to happen.
 */
const settled = async () => {
  await Promise.all(refreshes)
  return introspectionCalls().length
}

describe('refresh-ahead asks about the presentation, not the route', () => {
  it('the background call carries token, proof, htm, htu and targetUri, none of the route\'s requirements', async () => {
    const guard = guardWith()
    const token = (await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint, acr: 'urn:acr:1', authTime: Math.floor(Date.now() / 1000) })).accessToken
    const route = { scopes: ['read'], subject: 'alice', acrValues: ['urn:acr:1'], maxAge: 86_400 }
    expect((await guard.check(dpopRequest(token, await proof(token)), route)).allowed).toBe(true)
    const before = introspectionCalls().length
    clock = 8_500 // the last fifth of the entry's life
    const hit = await guard.check(dpopRequest(token, await proof(token)), route)
    expect(hit.allowed && hit.auth.source).toBe('cache')
    expect(await settled()).toBe(before + 1)
    const body = introspectionCalls().at(-1)!.body as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['dpop', 'htm', 'htu', 'targetUri', 'token'])
    expect(body).toMatchObject({ htm: 'GET', htu: `${ORIGIN}/api/me`, targetUri: `${ORIGIN}/api/me?page=2` })
    await guard.close()
  })
  it('a request of a route the token does not cover, in the refresh window, is refused from the cache and leaves the entry serving', async () => {
    const guard = guardWith()
    const token = await bound()
    expect((await guard.check(dpopRequest(token, await proof(token)), { scopes: ['read'] })).allowed).toBe(true)
    const before = introspectionCalls().length
    clock = 8_500
    const admin = await guard.check(dpopRequest(token, await proof(token)), { scopes: ['admin'] })
    expect(!admin.allowed && [admin.status, admin.error]).toEqual([403, 'insufficient_scope'])
    expect(await settled()).toBe(before) // a denied request starts no refresh
    clock = 8_600
    const read = await guard.check(dpopRequest(token, await proof(token)), { scopes: ['read'] })
    expect(read.allowed && read.auth.source).toBe('cache')
    await guard.close()
  })
})

describe('refresh-ahead starts only for an allowed request', () => {
  it('a replayed proof refused at the store (a store without seen) starts no refresh', async () => {
    const inner = createMemoryReplayStore()
    const guard = guardWith({ replay: { remember: (k, ttl, owner) => inner.remember(k, ttl, owner) } })
    const token = await bound()
    const used = await proof(token)
    expect((await guard.check(dpopRequest(token, used))).allowed).toBe(true)
    const before = introspectionCalls().length
    clock = 8_500 // the entry is due for a refresh
    const replayed = await guard.check(dpopRequest(token, used)) // a hit, refused as a replay
    expect(!replayed.allowed && replayed.errorDescription).toBe('The DPoP proof has been used before.')
    expect(await settled()).toBe(before)
    await guard.close()
  })
  it('a proof over its key\'s share (429) starts no refresh', async () => {
    const guard = guardWith({ replay: createMemoryReplayStore({ maxEntriesPerOwner: 1, now: () => Date.now() + clock }) })
    const token = await bound()
    expect((await guard.check(dpopRequest(token, await proof(token)))).allowed).toBe(true)
    const before = introspectionCalls().length
    clock = 8_500
    const limited = await guard.check(dpopRequest(token, await proof(token)))
    expect(!limited.allowed && limited.status).toBe(429)
    expect(await settled()).toBe(before)
    await guard.close()
  })
})

describe('only a definite "no" ends the entry', () => {
  it.each<[string, Fault, string]>([
    ['INTERNAL_SERVER_ERROR', { type: 'reply', body: { action: 'INTERNAL_SERVER_ERROR', resultCode: 'A001101', resultMessage: '[A001101] Authlete Server error.', responseContent: 'Bearer error="server_error"' } }, 'ERR_AUTHLETE_REPORTED_ERROR'],
    ['an unknown action', { type: 'reply', body: { action: 'SOMETHING_NEW', resultCode: 'A000000' } }, 'ERR_AUTHLETE_UNKNOWN_ACTION'],
    ['no action', { type: 'reply', body: { resultCode: 'A000000' } }, 'ERR_AUTHLETE_INVALID_RESPONSE'],
  ])('%s: reported, and the entry serves to its end', async (_name, fault, code) => {
    const events: GuardErrorEvent[] = []
    const guard = guardWith({ onError: (e) => events.push(e) })
    const token = await bound()
    expect((await guard.check(dpopRequest(token, await proof(token)))).allowed).toBe(true)
    emu.faults.inject(fault, { times: 1, path: '/auth/introspection' })
    const before = introspectionCalls().length
    clock = 8_500
    expect((await guard.check(dpopRequest(token, await proof(token)))).allowed).toBe(true)
    expect(await settled()).toBe(before + 1)
    expect(events.map((e) => e.error.code)).toEqual([code])
    clock = 8_600
    const served = await guard.check(dpopRequest(token, await proof(token)))
    expect(served.allowed && served.auth.source).toBe('cache')
    await guard.close()
  })
  it('UNAUTHORIZED (a revoked token) ends it: the next request asks Authlete', async () => {
    const guard = guardWith()
    const token = await bound()
    expect((await guard.check(dpopRequest(token, await proof(token)))).allowed).toBe(true)
    emu.faults.inject({ type: 'reply', body: { action: 'UNAUTHORIZED', resultCode: 'A065304', responseContent: 'DPoP error="invalid_token"' } }, { times: 1, path: '/auth/introspection' })
    const before = introspectionCalls().length
    clock = 8_500
    expect((await guard.check(dpopRequest(token, await proof(token)))).allowed).toBe(true)
    expect(await settled()).toBe(before + 1)
    clock = 8_600
    const next = await guard.check(dpopRequest(token, await proof(token)))
    expect(next.allowed && next.auth.source).toBe('authlete')
    await guard.close()
  })
})
