// The replay store's bounds and its early lookup: one DPoP key cannot fill the store for everyone
// (its share, then 429 with Retry-After), a full store answers 429 instead of failing, a proof the
// store already holds is refused before any Authlete call, and only allowed requests write to it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { createGuard, createMemoryReplayStore, DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER, type CheckEvent, type GuardErrorEvent, type GuardOptions, type ReplayStore, type RequestLike } from '../src'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
const ORIGIN = 'https://api.example.com'
let emu: Emulator
let alice: DpopKeyPair
let bob: DpopKeyPair
let clock = 0 // ms added to the emulator's, the guards' and the stores' clocks

beforeAll(async () => {
  emu = await startEmulator({ now: () => Date.now() + clock, rejectReplayedProofs: false })
  ;[alice, bob] = await Promise.all([createDpopKeyPair('ES256'), createDpopKeyPair('ES256')])
})
afterAll(async () => {
  await emu?.close()
})
beforeEach(() => {
  clock = 0
})

const now = () => Date.now() + clock
const guardWith = (options: Partial<GuardOptions> = {}) =>
  createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: ORIGIN, now, ...options })
const introspections = () => emu.requests.filter((r) => r.apiPath === '/auth/introspection').length
const tokenOf = async (key: DpopKeyPair) => (await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })).accessToken
const proofOf = (key: DpopKeyPair, token: string) => createDpopProof(key, { htm: 'GET', htu: `${ORIGIN}/api/me`, accessToken: token, iat: Math.floor(now() / 1000) })
const dpopRequest = (token: string, dpop: string): RequestLike => ({ method: 'GET', url: '/api/me', headers: { host: 'internal', authorization: `DPoP ${token}`, dpop } })
const statusOf = (d: Awaited<ReturnType<ReturnType<typeof guardWith>['check']>>) => (d.allowed ? 200 : d.status)

describe('createMemoryReplayStore: per-owner share, full store, seen', () => {
  it('an owner past its share is limited until its oldest proof expires; other owners are not; nothing is written', async () => {
    let at = 0
    const store = createMemoryReplayStore({ maxEntriesPerOwner: 2, now: () => at })
    expect(await store.remember('a1', 10_000, 'A')).toBe(true)
    at = 4_000
    expect(await store.remember('a2', 10_000, 'A')).toBe(true)
    expect(await store.remember('a3', 10_000, 'A')).toEqual({ limited: true, retryAfterSeconds: 6 }) // a1 expires at 10,000
    expect(await store.seen!('a3')).toBe(false)
    expect(await store.remember('b1', 10_000, 'B')).toBe(true)
    expect(await store.remember('a1', 10_000, 'A')).toBe(false) // still a replay, whatever the share
    at = 10_000 // a1 expired: A's count dropped
    expect(await store.remember('a3', 10_000, 'A')).toBe(true)
    expect(await store.remember('a4', 10_000, 'A')).toEqual({ limited: true, retryAfterSeconds: 4 })
    expect(await store.remember('x', 10_000)).toBe(true) // no owner (an old caller): the store's bound only
  })
  it('a full store limits every new proof until its oldest expires', async () => {
    let at = 0
    const store = createMemoryReplayStore({ maxEntries: 2, now: () => at })
    expect(await store.remember('a1', 3_000, 'A')).toBe(true)
    expect(await store.remember('b1', 3_000, 'B')).toBe(true)
    expect(await store.remember('c1', 3_000, 'C')).toEqual({ limited: true, retryAfterSeconds: 3 })
    at = 2_500
    expect(await store.remember('c1', 3_000, 'C')).toEqual({ limited: true, retryAfterSeconds: 1 })
    at = 3_000
    expect(await store.remember('c1', 3_000, 'C')).toBe(true)
  })
  it('seen: true while remembered and unexpired, never writes', async () => {
    let at = 0
    const store = createMemoryReplayStore({ now: () => at })
    expect(await store.seen!('k')).toBe(false)
    expect(await store.remember('k', 1_000, 'A')).toBe(true) // the lookup wrote nothing
    expect(await store.seen!('k')).toBe(true)
    at = 1_000
    expect(await store.seen!('k')).toBe(false)
  })
  it('bad bounds throw; the default share is DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER', async () => {
    expect(() => createMemoryReplayStore({ maxEntriesPerOwner: 0 })).toThrow(/maxEntriesPerOwner must be a positive whole number/)
    expect(() => createMemoryReplayStore({ maxEntriesPerOwner: 1.5 })).toThrow(/maxEntriesPerOwner/)
    expect(DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER).toBe(10_000)
    const store = createMemoryReplayStore()
    for (let i = 0; i < DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER; i++) await store.remember(`k${i}`, 60_000, 'A')
    expect(await store.remember('one-more', 60_000, 'A')).toMatchObject({ limited: true })
  })
})

describe('the guard: flooding one key past its share', () => {
  it('the flooding client gets 429 with Retry-After for new proofs; another client still gets 200; after the window it is served again', async () => {
    const decisions: CheckEvent[] = []
    const guard = guardWith({ replay: createMemoryReplayStore({ maxEntriesPerOwner: 5, now }), onDecision: (e) => decisions.push(e) })
    const [aliceToken, bobToken] = await Promise.all([tokenOf(alice), tokenOf(bob)])
    const flood: number[] = []
    let last
    for (let i = 0; i < 12; i++) {
      last = await guard.check(dpopRequest(aliceToken, await proofOf(alice, aliceToken)))
      flood.push(statusOf(last))
    }
    expect(flood).toEqual([...Array(5).fill(200), ...Array(7).fill(429)])
    expect(!last!.allowed && last).toMatchObject({
      status: 429,
      error: 'too_many_requests',
      body: '{"error":"too_many_requests","error_description":"Too many DPoP proofs of this key are inside the replay window; retry later."}',
      headers: { 'Retry-After': '360', 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    })
    expect(decisions.at(-1)).toMatchObject({ status: 429, source: 'local', reason: { check: 'replay-limit', proofJkt: alice.thumbprint, retryAfterSeconds: 360 } })

    const other: number[] = []
    for (let i = 0; i < 5; i++) other.push(statusOf(await guard.check(dpopRequest(bobToken, await proofOf(bob, bobToken)))))
    expect(other).toEqual([200, 200, 200, 200, 200])

    clock = 361_000 // alice's remembered proofs have left the window
    expect(statusOf(await guard.check(dpopRequest(aliceToken, await proofOf(alice, aliceToken))))).toBe(200)
    await guard.close()
  })
})

describe('the guard: a replayed proof is refused before any Authlete call', () => {
  it.each([
    ['cache off', {}],
    ['cache on', { cache: true }],
  ])('%s: an accepted proof replayed 5 times -> 5 x 401 "used before", 0 further Authlete calls', async (_name, options) => {
    const events: CheckEvent[] = []
    const guard = guardWith({ ...options, onDecision: (e) => events.push(e) })
    const token = await tokenOf(alice)
    const proof = await proofOf(alice, token)
    expect((await guard.check(dpopRequest(token, proof))).allowed).toBe(true)
    const before = introspections()
    for (let i = 0; i < 5; i++) {
      const replayed = await guard.check(dpopRequest(token, proof))
      expect(!replayed.allowed && [replayed.status, replayed.error, replayed.errorDescription]).toEqual([401, 'invalid_dpop_proof', 'The DPoP proof has been used before.'])
    }
    expect(introspections()).toBe(before)
    expect(events.slice(1).map((e) => [e.source, e.reason?.check])).toEqual(Array(5).fill(['local', 'replay']))
    await guard.close()
  })
  it('a request Authlete refuses (a made-up token) looks the proof up but never writes it', async () => {
    const inner = createMemoryReplayStore()
    const calls: string[] = []
    const store: ReplayStore = {
      remember: (key, ttlMs, owner) => (calls.push('remember'), inner.remember(key, ttlMs, owner)),
      seen: (key) => (calls.push('seen'), inner.seen!(key)),
    }
    const guard = guardWith({ replay: store })
    const madeUp = 'made-up-token-that-authlete-never-issued'
    const refused = await guard.check(dpopRequest(madeUp, await proofOf(alice, madeUp)))
    expect(!refused.allowed && [refused.status, refused.error]).toEqual([401, 'invalid_token'])
    expect(calls).toEqual(['seen'])
    await guard.close()
  })
  it('a store without seen is asked at remember only (the replay reaches Authlete, then is refused)', async () => {
    const inner = createMemoryReplayStore()
    const guard = guardWith({ replay: { remember: (key, ttlMs, owner) => inner.remember(key, ttlMs, owner) } })
    const token = await tokenOf(alice)
    const proof = await proofOf(alice, token)
    expect((await guard.check(dpopRequest(token, proof))).allowed).toBe(true)
    const before = introspections()
    const replayed = await guard.check(dpopRequest(token, proof))
    expect(!replayed.allowed && replayed.errorDescription).toBe('The DPoP proof has been used before.')
    expect(introspections()).toBe(before + 1)
    await guard.close()
  })
})

describe('the guard: a store answering outside the contract fails closed', () => {
  it.each<[string, ReplayStore]>([
    ['remember resolves a truthy non-boolean', { remember: async () => 'OK' as never }],
    ['remember resolves a limit without a number', { remember: async () => ({ limited: true }) as never }],
    ['seen resolves a non-boolean', { remember: async () => true, seen: async () => 'no' as never }],
  ])('%s: 500, ERR_STORE_UNAVAILABLE, never allows', async (_name, replay) => {
    const events: GuardErrorEvent[] = []
    const guard = guardWith({ replay, onError: (e) => events.push(e) })
    const token = await tokenOf(alice)
    const decision = await guard.check(dpopRequest(token, await proofOf(alice, token)))
    expect(statusOf(decision)).toBe(500)
    expect(events.map((e) => [e.error.code, e.error.message])).toEqual([['ERR_STORE_UNAVAILABLE', expect.stringMatching(/^The DPoP replay store failed: its answer to (remember|seen) is not one a ReplayStore gives\.$/)]])
    await guard.close()
  })
  it('replay.seen that is not a function throws at start-up', () => {
    expect(() => guardWith({ replay: { remember: async () => true, seen: 1 as never } })).toThrow(/replay.seen must be a function/)
  })
})
