// Replay protection and the introspection cache, against the emulator with real proofs: each
// proof is accepted once (cached or not, one guard or two sharing a store); a cached allow never
// serves another scope, scheme or key, an expired token, or a request with a bad proof; concurrent
// misses share one Authlete call; a failing store denies.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, DEFAULT_CLIENT, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { createGuard, createMemoryReplayStore, type GuardErrorEvent, type GuardOptions, type ReplayStore, type RequestLike } from '../src'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
const ORIGIN = 'https://api.example.com'
let emu: Emulator
let key: DpopKeyPair
let otherKey: DpopKeyPair
let clock = 0 // ms added to both the emulator's and the guards' clocks

beforeAll(async () => {
  emu = await startEmulator({ now: () => Date.now() + clock })
  ;[key, otherKey] = await Promise.all([createDpopKeyPair('ES256'), createDpopKeyPair('ES256')])
})
afterAll(async () => {
  await emu?.close()
})
beforeEach(() => {
  clock = 0
  emu.faults.clear()
})

const guardWith = (options: Partial<GuardOptions> = {}) =>
  createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: ORIGIN, now: () => Date.now() + clock, ...options })
/** Revokes the token at Authlete (the emulator), as the client's logout would. */
const revoke = async (token: string) => {
  const reply = await fetch(`${emu.url}/api/${emu.serviceId}/auth/revocation`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emu.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ parameters: `token=${token}`, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret }),
  })
  expect((await reply.json()).action).toBe('OK')
}
const introspections = () => emu.requests.filter((r) => r.path.endsWith('/auth/introspection')).length
const bound = async (scopes = ['read']) => (await emu.createToken({ subject: 'alice', scopes, dpopKeyThumbprint: key.thumbprint })).accessToken
const dpopRequest = (token: string, dpop: string, path = '/api/me'): RequestLike => ({ method: 'GET', url: path, headers: { host: 'internal', authorization: `DPoP ${token}`, dpop } })
const freshProof = (token: string, path = '/api/me', signer = key, extra: { nonce?: string } = {}) =>
  createDpopProof(signer, { htm: 'GET', htu: `${ORIGIN}${path}`, accessToken: token, iat: Math.floor((Date.now() + clock) / 1000), ...extra })

describe('replay protection (RFC 9449 §11.1), on by default', () => {
  // Whether Authlete rejects a reused jti is unknown: the emulator's own check is off here, so
  // every refusal below is the guard's.
  beforeAll(() => emu.configure({ rejectReplayedProofs: false }))
  afterAll(() => emu.configure({ rejectReplayedProofs: true }))
  it.each([
    ['cache off', {}],
    ['cache on', { cache: true }],
  ])('%s: the same proof twice -> 200, then 401 invalid_dpop_proof', async (_name, options) => {
    const guard = guardWith(options)
    const token = await bound()
    const proof = await freshProof(token)
    expect((await guard.check(dpopRequest(token, proof))).allowed).toBe(true)
    const replayed = await guard.check(dpopRequest(token, proof))
    expect(!replayed.allowed && [replayed.status, replayed.error, replayed.errorDescription]).toEqual([401, 'invalid_dpop_proof', 'The DPoP proof has been used before.'])
    await guard.close()
  })
  it('two guards sharing one store: a proof accepted by one is refused by the other', async () => {
    const replay = createMemoryReplayStore()
    const [a, b] = [guardWith({ replay }), guardWith({ replay, cache: true })]
    const token = await bound()
    const proof = await freshProof(token)
    expect((await a.check(dpopRequest(token, proof))).allowed).toBe(true)
    expect((await b.check(dpopRequest(token, proof))).allowed).toBe(false)
    await Promise.all([a.close(), b.close()])
  })
  it('a proof refused for another reason (scope) is not remembered: the same proof then works on its route', async () => {
    const guard = guardWith()
    const token = await bound(['read'])
    const proof = await freshProof(token)
    expect((await guard.check(dpopRequest(token, proof), { scopes: ['admin'] })).allowed).toBe(false)
    expect((await guard.check(dpopRequest(token, proof), { scopes: ['read'] })).allowed).toBe(true)
    await guard.close()
  })
  it('replay: false leaves replay detection to Authlete alone', async () => {
    const guard = guardWith({ replay: false })
    const token = await bound()
    const proof = await freshProof(token)
    expect((await guard.check(dpopRequest(token, proof))).allowed).toBe(true)
    expect((await guard.check(dpopRequest(token, proof))).allowed).toBe(true)
    await guard.close()
  })
  it.each<[string, ReplayStore]>([
    ['rejects', { remember: async () => { throw new Error('redis down') } }],
    ['hangs past the deadline', { remember: () => new Promise<boolean>(() => {}) }],
  ])('a store that %s fails closed: 500, ERR_STORE_UNAVAILABLE, never allows', async (_name, replay) => {
    const events: GuardErrorEvent[] = []
    const guard = guardWith({ replay, onError: (e) => events.push(e) })
    const token = await bound()
    const decision = await guard.check(dpopRequest(token, await freshProof(token)))
    expect(!decision.allowed && decision.status).toBe(500)
    expect(events.map((e) => e.error.code)).toEqual(['ERR_STORE_UNAVAILABLE'])
    await guard.close()
  }, 10_000)
  it('the in-memory store refuses to forget a live proof: full -> limited (nothing written) until entries expire', async () => {
    let now = 0
    const replay = createMemoryReplayStore({ maxEntries: 2, now: () => now })
    expect(await replay.remember('a', 1000)).toBe(true)
    expect(await replay.remember('b', 1000)).toBe(true)
    expect(await replay.remember('c', 1000)).toEqual({ limited: true, retryAfterSeconds: 1 })
    expect(await replay.seen!('c')).toBe(false)
    expect(await replay.remember('a', 1000)).toBe(false)
    now = 1000
    expect(await replay.remember('c', 1000)).toBe(true)
    expect(await replay.remember('a', 1000)).toBe(true)
  })
  it('through the guard, a full in-memory store denies the new proof: 429 with Retry-After, nothing reported', async () => {
    const events: GuardErrorEvent[] = []
    const guard = guardWith({ replay: createMemoryReplayStore({ maxEntries: 1 }), onError: (e) => events.push(e) })
    const token = await bound()
    expect((await guard.check(dpopRequest(token, await freshProof(token)))).allowed).toBe(true)
    const second = await guard.check(dpopRequest(token, await freshProof(token)))
    expect(!second.allowed && [second.status, second.error, second.headers['Retry-After']]).toEqual([429, 'too_many_requests', '360'])
    expect(events).toEqual([])
    await guard.close()
  })
})

describe('the introspection cache (opt-in)', () => {
  it('a second request with a fresh proof is served from the cache: source cache, no Authlete call', async () => {
    const guard = guardWith({ cache: true })
    const token = await bound()
    const first = await guard.check(dpopRequest(token, await freshProof(token)))
    const before = introspections()
    const second = await guard.check(dpopRequest(token, await freshProof(token)))
    expect(first.allowed && first.auth.source).toBe('authlete')
    expect(second.allowed && second.auth.source).toBe('cache')
    expect(second.allowed && second.auth).toMatchObject({ subject: 'alice', scopes: ['read'], tokenType: 'DPoP' })
    expect(introspections()).toBe(before)
    await guard.close()
  })
  it('CVE-2021-32701: an allow cached for read never allows admin (403 insufficient_scope from the cache)', async () => {
    const guard = guardWith({ cache: true })
    const token = await bound(['read'])
    expect((await guard.check(dpopRequest(token, await freshProof(token)), { scopes: ['read'] })).allowed).toBe(true)
    const before = introspections()
    const admin = await guard.check(dpopRequest(token, await freshProof(token)), { scopes: ['admin'] })
    expect(!admin.allowed && [admin.status, admin.error]).toEqual([403, 'insufficient_scope'])
    expect(!admin.allowed && admin.headers['WWW-Authenticate']).toMatch(/^DPoP .*scope="admin"/)
    expect(introspections()).toBe(before)
    await guard.close()
  })
  it('other route requirements are judged on every hit: subject, acr, max_age (401 step-up)', async () => {
    const guard = guardWith({ cache: true })
    const token = (await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint, acr: 'urn:acr:1', authTime: Math.floor(Date.now() / 1000) - 1000 })).accessToken
    expect((await guard.check(dpopRequest(token, await freshProof(token)))).allowed).toBe(true)
    const subject = await guard.check(dpopRequest(token, await freshProof(token)), { subject: 'bob' })
    const acr = await guard.check(dpopRequest(token, await freshProof(token)), { acrValues: ['urn:acr:2'] })
    const maxAge = await guard.check(dpopRequest(token, await freshProof(token)), { maxAge: 600 })
    expect([subject, acr, maxAge].map((d) => !d.allowed && [d.status, d.error])).toEqual([
      [403, 'invalid_request'],
      [401, 'insufficient_user_authentication'],
      [401, 'insufficient_user_authentication'],
    ])
    const before = introspections()
    const met = await guard.check(dpopRequest(token, await freshProof(token)), { subject: 'alice', acrValues: ['urn:acr:1'], maxAge: 3600, scopes: ['read'] })
    expect(met.allowed && met.auth.source).toBe('cache')
    expect(introspections()).toBe(before)
    await guard.close()
  })
  it('a DPoP-cached token presented as Bearer is refused (no downgrade): it goes to Authlete, which refuses', async () => {
    const guard = guardWith({ cache: true })
    const token = await bound()
    expect((await guard.check(dpopRequest(token, await freshProof(token)))).allowed).toBe(true)
    const before = introspections()
    const bearer = await guard.check({ method: 'GET', url: '/api/me', headers: { host: 'internal', authorization: `Bearer ${token}` } })
    expect(!bearer.allowed && bearer.status).toBe(401)
    expect(introspections()).toBe(before + 1)
    await guard.close()
  })
  it('a proof from another key is refused on a hit (the cache pins the key Authlete accepted)', async () => {
    const guard = guardWith({ cache: true })
    const token = await bound()
    expect((await guard.check(dpopRequest(token, await freshProof(token)))).allowed).toBe(true)
    const stolen = await guard.check(dpopRequest(token, await freshProof(token, '/api/me', otherKey)))
    expect(!stolen.allowed && stolen.status).toBe(401)
    expect(stolen.allowed || stolen.headers['WWW-Authenticate']).toMatch(/invalid_token|invalid_dpop_proof/)
    await guard.close()
  })
  it('a bad proof is refused on a hit too (local checks come first)', async () => {
    const guard = guardWith({ cache: true })
    const token = await bound()
    expect((await guard.check(dpopRequest(token, await freshProof(token)))).allowed).toBe(true)
    const wrongPath = await guard.check(dpopRequest(token, await freshProof(token, '/api/other')))
    expect(!wrongPath.allowed && [wrongPath.status, wrongPath.error]).toEqual([401, 'invalid_dpop_proof'])
    await guard.close()
  })
  it('an expired token is not served from the cache (entries never outlive expiresAt)', async () => {
    const guard = guardWith({ cache: { ttlMs: 3_600_000 } })
    const token = (await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint, accessTokenDuration: 60 })).accessToken
    expect((await guard.check(dpopRequest(token, await freshProof(token)))).allowed).toBe(true)
    clock = 61_000
    const before = introspections()
    const late = await guard.check(dpopRequest(token, await freshProof(token)))
    expect(!late.allowed && [late.status, late.error]).toEqual([401, 'invalid_token'])
    expect(introspections()).toBe(before + 1)
    await guard.close()
  })
  it('a revoked token is served until the entry\'s TTL, then refused (documented revocation lag)', async () => {
    const guard = guardWith({ cache: { ttlMs: 5_000 } })
    const token = await bound()
    expect((await guard.check(dpopRequest(token, await freshProof(token)))).allowed).toBe(true)
    await revoke(token)
    const lagging = await guard.check(dpopRequest(token, await freshProof(token)))
    expect(lagging.allowed && lagging.auth.source).toBe('cache')
    clock = 5_001
    const after = await guard.check(dpopRequest(token, await freshProof(token)))
    expect(!after.allowed && after.status).toBe(401)
    await guard.close()
  })
  it('no refresh-ahead: a hit just before the entry\'s end asks nothing of Authlete, and the entry ends at its TTL', async () => {
    const guard = guardWith({ cache: { ttlMs: 10_000 } })
    const token = await bound()
    const start = introspections()
    expect((await guard.check(dpopRequest(token, await freshProof(token)))).allowed).toBe(true)
    clock = 9_900
    const late = await guard.check(dpopRequest(token, await freshProof(token)))
    expect(late.allowed && late.auth.source).toBe('cache')
    clock = 10_001 // the entry made at 0 has ended, and nothing renewed it
    const after = await guard.check(dpopRequest(token, await freshProof(token)))
    expect(after.allowed && after.auth.source).toBe('authlete')
    expect(introspections()).toBe(start + 2)
    await guard.close()
  })
  it('a nonce-requiring route is served from the cache only with the last nonce Authlete issued', async () => {
    const guard = guardWith({ cache: true })
    const token = await bound()
    const first = await guard.check(dpopRequest(token, await freshProof(token)), { dpopNonceRequired: true })
    const nonce = !first.allowed ? first.headers['DPoP-Nonce'] : undefined
    expect(nonce).toBeTruthy()
    expect((await guard.check(dpopRequest(token, await freshProof(token, '/api/me', key, { nonce })), { dpopNonceRequired: true })).allowed).toBe(true)
    const before = introspections()
    const hit = await guard.check(dpopRequest(token, await freshProof(token, '/api/me', key, { nonce })), { dpopNonceRequired: true })
    expect(hit.allowed && [hit.auth.source, hit.headers['DPoP-Nonce']]).toEqual(['cache', nonce])
    expect(introspections()).toBe(before)
    const noNonce = await guard.check(dpopRequest(token, await freshProof(token)), { dpopNonceRequired: true })
    expect(!noNonce.allowed && noNonce.error).toBe('use_dpop_nonce')
    expect(introspections()).toBe(before + 1)
    await guard.close()
  })
  it('coalescing: 100 concurrent requests with one token -> exactly 1 Authlete call, 100 allowed, each proof remembered', async () => {
    const guard = guardWith({ cache: true })
    const token = await bound()
    const proofs = await Promise.all(Array.from({ length: 100 }, () => freshProof(token)))
    const before = introspections()
    const decisions = await Promise.all(proofs.map((proof) => guard.check(dpopRequest(token, proof))))
    expect(decisions.filter((d) => d.allowed)).toHaveLength(100)
    expect(introspections() - before).toBe(1)
    // Each request still verified and remembered its own proof.
    expect((await guard.check(dpopRequest(token, proofs[7]!))).allowed).toBe(false)
    await guard.close()
  })
  it('a denial is not cached', async () => {
    const guard = guardWith({ cache: true })
    const token = await bound(['read'])
    await guard.check(dpopRequest(token, await freshProof(token)), { scopes: ['admin'] })
    const before = introspections()
    expect((await guard.check(dpopRequest(token, await freshProof(token)), { scopes: ['read'] })).allowed).toBe(true)
    expect(introspections()).toBe(before + 1)
    await guard.close()
  })
  it('Bearer tokens are cached per scheme: a Bearer entry never serves a DPoP presentation', async () => {
    const guard = guardWith({ cache: true })
    const token = (await emu.createToken({ subject: 'carol', scopes: ['read'] })).accessToken
    const bearer = () => guard.check({ method: 'GET', url: '/api/me', headers: { host: 'internal', authorization: `Bearer ${token}` } })
    expect((await bearer()).allowed).toBe(true)
    const hit = await bearer()
    expect(hit.allowed && hit.auth.source).toBe('cache')
    const before = introspections()
    const dpop = await guard.check(dpopRequest(token, await freshProof(token)))
    expect(dpop.allowed && dpop.auth.source).toBe('authlete')
    expect(introspections()).toBe(before + 1)
    await guard.close()
  })
  it('ES256K (no WebCrypto primitive): claims checked locally, signature left to Authlete, never a cache hit', async () => {
    const guard = guardWith({ cache: true })
    const k1 = await createDpopKeyPair('ES256K')
    const token = (await emu.createToken({ subject: 'dave', scopes: ['read'], dpopKeyThumbprint: k1.thumbprint })).accessToken
    const proof = () => createDpopProof(k1, { htm: 'GET', htu: `${ORIGIN}/api/me`, accessToken: token })
    const before = introspections()
    const first = await guard.check(dpopRequest(token, await proof()))
    const second = await guard.check(dpopRequest(token, await proof()))
    expect([first.allowed, second.allowed]).toEqual([true, true])
    expect(second.allowed && second.auth.source).toBe('authlete')
    expect(introspections() - before).toBe(2)
    const badHtu = await guard.check(dpopRequest(token, await createDpopProof(k1, { htm: 'GET', htu: `${ORIGIN}/elsewhere`, accessToken: token })))
    expect(!badHtu.allowed && badHtu.error).toBe('invalid_dpop_proof')
    expect(introspections() - before).toBe(2)
    await guard.close()
  })
  it('a pluggable store: entries go through it (JSON-serialisable, no raw token), and a failing store fails closed', async () => {
    const saved = new Map<string, string>()
    const store = {
      get: async (key: string) => (saved.has(key) ? JSON.parse(saved.get(key)!) : undefined),
      set: async (key: string, entry: unknown, ttlMs: number) => {
        expect(ttlMs).toBeGreaterThan(0)
        saved.set(key, JSON.stringify(entry))
      },
    }
    const guard = guardWith({ cache: { store } })
    const token = await bound()
    expect((await guard.check(dpopRequest(token, await freshProof(token)))).allowed).toBe(true)
    expect(saved.size).toBe(1)
    expect([...saved.keys(), ...saved.values()].join(' ')).not.toContain(token)
    const hit = await guard.check(dpopRequest(token, await freshProof(token)))
    expect(hit.allowed && hit.auth.source).toBe('cache')
    await guard.close()

    const events: GuardErrorEvent[] = []
    const broken = guardWith({ cache: { store: { get: async () => { throw new Error('down') }, set: async () => {} } }, onError: (e) => events.push(e) })
    const denied = await broken.check(dpopRequest(token, await freshProof(token)))
    expect(!denied.allowed && denied.status).toBe(500)
    expect(events.map((e) => [e.error.code, e.error.message])).toEqual([['ERR_STORE_UNAVAILABLE', 'The introspection cache store failed: down.']])
    await broken.close()
  })
  it('unknown cache keys and bad values throw at start-up', () => {
    expect(() => guardWith({ cache: { ttl: 1 } as never })).toThrow(/Did you mean ttlMs/)
    expect(() => guardWith({ cache: { ttlMs: 0 } })).toThrow(/ttlMs/)
    expect(() => guardWith({ replay: {} as never })).toThrow(/ReplayStore/)
  })
})

describe('one decision per request: a second guard on the same request', () => {
  it('stacked guards with DPoP: both allow, one Authlete call, no false replay; the second judges its own scopes', async () => {
    const guard = guardWith()
    const token = await bound(['read', 'write'])
    const request = dpopRequest(token, await freshProof(token))
    const before = introspections()
    const outer = await guard.check(request, { scopes: ['read'] })
    const inner = await guard.check(request, { scopes: ['write'] })
    const tooMuch = await guard.check(request, { scopes: ['admin'] })
    expect([outer.allowed, inner.allowed]).toEqual([true, true])
    expect(!tooMuch.allowed && tooMuch.status).toBe(403)
    expect(introspections() - before).toBe(1)
    await guard.close()
  })
})

describe('a second guard that requires a nonce the first did not', () => {
  it('asks Authlete (which demands the nonce) instead of reusing the first answer, and never calls it a replay', async () => {
    emu.configure({ rejectReplayedProofs: false })
    try {
      const guard = guardWith()
      const token = await bound()
      const request = dpopRequest(token, await freshProof(token))
      expect((await guard.check(request)).allowed).toBe(true)
      const nonceRoute = await guard.check(request, { dpopNonceRequired: true })
      expect(!nonceRoute.allowed && [nonceRoute.status, nonceRoute.error]).toEqual([401, 'use_dpop_nonce'])
      const nonce = !nonceRoute.allowed ? nonceRoute.headers['DPoP-Nonce'] : undefined
      const withNonce = dpopRequest(token, await freshProof(token, '/api/me', key, { nonce }))
      expect((await guard.check(withNonce, { dpopNonceRequired: true })).allowed).toBe(true)
      const before = introspections()
      expect((await guard.check(withNonce, { dpopNonceRequired: true, scopes: ['read'] })).allowed).toBe(true)
      expect(introspections()).toBe(before)
      await guard.close()
    } finally {
      emu.configure({ rejectReplayedProofs: true })
    }
  })
})
