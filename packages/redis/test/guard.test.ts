// The stores inside real guards (the core's createGuard, two of them standing for two instances),
// the emulator as Authlete and a real redis-server: replay across guards, the shared cache, what
// ends up in Redis, a DPoP key flooding the replay store, two Authlete services sharing one Redis,
// and a Redis that stops answering.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createGuard, type GuardErrorEvent, type Guard } from '@authlete-guard/core'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { createRedisIntrospectionCache, createRedisReplayStore, DEFAULT_CACHE_PREFIX, DEFAULT_REPLAY_PREFIX, type RedisReplayStoreOptions } from '../src'
import { describeWithRedis } from '../../../test/support/redis'
import { timed, useRedis } from './support'

const PUBLIC_URL = 'https://api.example.com'
const HTU = `${PUBLIC_URL}/api/me`

describeWithRedis('guards sharing a Redis', () => {
  const redis = useRedis()
  let emu: Awaited<ReturnType<typeof startEmulator>>
  let key: DpopKeyPair
  const guards: Guard[] = []
  const errors: GuardErrorEvent[] = []

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 })
    emu.configure({ rejectReplayedProofs: false }) // replay refusals must come from the guards
    key = await createDpopKeyPair('ES256')
  })
  afterAll(async () => {
    await Promise.all(guards.map((guard) => guard.close()))
    await emu?.close()
  })

  async function guardOnRedis(timeoutMs?: number, options: { cache?: boolean; replay?: RedisReplayStoreOptions; service?: typeof emu } = {}): Promise<Guard> {
    const client = await redis.client()
    const service = options.service ?? emu
    const guard = createGuard({
      authlete: { baseUrl: service.url, serviceId: service.serviceId, accessToken: service.accessToken, timeoutMs: 2000 },
      publicUrl: PUBLIC_URL,
      cache: options.cache === false ? false : { ttlMs: 30_000, store: createRedisIntrospectionCache(client, { timeoutMs }) },
      replay: createRedisReplayStore(client, { timeoutMs, ...options.replay }),
      onError: (event) => errors.push(event),
    })
    guards.push(guard)
    return guard
  }
  const request = (token: string, dpop: string) => ({ method: 'GET', url: '/api/me', headers: { host: 'internal:8080', authorization: `DPoP ${token}`, dpop } })
  const introspections = () => emu.requests.filter((r) => r.apiPath === '/auth/introspection').length

  it('a proof accepted by one guard is refused by the other; the token is introspected once for both', async () => {
    const [a, b] = [await guardOnRedis(), await guardOnRedis()]
    const { accessToken } = await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })
    const before = introspections()
    const proof = await createDpopProof(key, { htm: 'GET', htu: HTU, accessToken })
    const first = await a.check(request(accessToken, proof), { scopes: ['read'] })
    expect(first).toMatchObject({ allowed: true, auth: { subject: 'alice', source: 'authlete' } })
    const replayed = await b.check(request(accessToken, proof), { scopes: ['read'] })
    expect(replayed).toMatchObject({ allowed: false, status: 401, error: 'invalid_dpop_proof', errorDescription: 'The DPoP proof has been used before.' })
    const fresh = await b.check(request(accessToken, await createDpopProof(key, { htm: 'GET', htu: HTU, accessToken })), { scopes: ['read'] })
    expect(fresh).toMatchObject({ allowed: true, auth: { subject: 'alice', source: 'cache' } })
    expect(introspections() - before).toBe(1)
  })

  it('Redis holds hashes and Authlete\'s facts only: no token, proof or jti in any key or value', async () => {
    const guard = await guardOnRedis()
    const client = await redis.client()
    await client.flushall()
    const { accessToken } = await emu.createToken({ subject: 'bob', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })
    const proofs = await Promise.all([1, 2, 3].map(() => createDpopProof(key, { htm: 'GET', htu: HTU, accessToken })))
    for (const proof of proofs) expect((await guard.check(request(accessToken, proof))).allowed).toBe(true)
    const jtis = proofs.map((proof) => JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString()).jti as string)

    const keys = (await client.keys('*')).sort()
    const replayTypes = await Promise.all(keys.filter((k) => k.startsWith(DEFAULT_REPLAY_PREFIX)).map((k) => client.type(k)))
    expect(replayTypes.sort()).toEqual(['string', 'string', 'string', 'zset']) // three proofs and their owner's set (one key, one service)
    expect(keys.filter((k) => k.startsWith(DEFAULT_CACHE_PREFIX))).toHaveLength(1)
    expect(keys).toHaveLength(5)
    const values = await Promise.all(keys.map(async (k) => ((await client.type(k)) === 'zset' ? (await client.zrange(k, '0', '-1')).join(' ') : client.get(k))))
    const dump = [...keys, ...values].join('\n')
    for (const secret of [accessToken, ...proofs, ...jtis, ...proofs.map((p) => p.split('.')[2]!)]) expect(dump).not.toContain(secret)
    expect(dump).toContain('"subject":"bob"')
  })

  it('a DPoP key holding maxEntriesPerOwner proofs inside the window gets 429 with Retry-After, and nothing more is written; other keys are still allowed', async () => {
    const client = await redis.client()
    const guard = await guardOnRedis(undefined, { replay: { prefix: 'flood:', maxEntriesPerOwner: 3 } })
    const flooder = await createDpopKeyPair('ES256')
    const { accessToken } = await emu.createToken({ subject: 'mallory', scopes: ['read'], dpopKeyThumbprint: flooder.thumbprint })
    const send = async (dpopKey: DpopKeyPair, token: string) => guard.check(request(token, await createDpopProof(dpopKey, { htm: 'GET', htu: HTU, accessToken: token })))
    for (let i = 0; i < 3; i++) expect(await send(flooder, accessToken)).toMatchObject({ allowed: true })
    const written = (await client.keys('flood:*')).sort()
    expect(written).toHaveLength(4) // three proofs and the owner's set

    const flooded = await send(flooder, accessToken)
    expect(flooded).toMatchObject({ allowed: false, status: 429, error: 'too_many_requests', headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } })
    if (flooded.allowed) throw new Error('unreachable')
    expect(['359', '360']).toContain(flooded.headers['Retry-After']) // the oldest proof leaves the 360 s window
    expect(JSON.parse(flooded.body)).toEqual({ error: 'too_many_requests', error_description: 'Too many DPoP proofs of this key are inside the replay window; retry later.' })
    expect(flooded.reason).toMatchObject({ check: 'replay-limit', proofJkt: flooder.thumbprint, retryAfterSeconds: Number(flooded.headers['Retry-After']) })
    expect((await client.keys('flood:*')).sort()).toEqual(written)

    const other = await createDpopKeyPair('ES256')
    const otherToken = (await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: other.thumbprint })).accessToken
    expect(await send(other, otherToken)).toMatchObject({ allowed: true })
  })

  it('a replayed proof is refused before introspection (the store\'s seen): the replay makes no Authlete call', async () => {
    const [a, b] = [await guardOnRedis(undefined, { cache: false }), await guardOnRedis(undefined, { cache: false })]
    const { accessToken } = await emu.createToken({ subject: 'dave', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })
    const proof = await createDpopProof(key, { htm: 'GET', htu: HTU, accessToken })
    const before = introspections()
    expect(await a.check(request(accessToken, proof))).toMatchObject({ allowed: true })
    expect(await b.check(request(accessToken, proof))).toMatchObject({ allowed: false, status: 401, error: 'invalid_dpop_proof', errorDescription: 'The DPoP proof has been used before.' })
    expect(introspections() - before).toBe(1)
  })

  it('guards of two Authlete services share one Redis with the default prefixes: service B asks its own Authlete about A\'s token and answers 401', async () => {
    const serviceB = await startEmulator({ port: 0, serviceId: '7770002002', accessToken: 'service-b-access-token' })
    serviceB.configure({ rejectReplayedProofs: false })
    try {
      const [a, b] = [await guardOnRedis(), await guardOnRedis(undefined, { service: serviceB })]
      const { accessToken } = await emu.createToken({ subject: 'erin', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })
      expect(await a.check(request(accessToken, await createDpopProof(key, { htm: 'GET', htu: HTU, accessToken })), { scopes: ['read'] })).toMatchObject({ allowed: true, auth: { source: 'authlete' } })
      const atB = await b.check(request(accessToken, await createDpopProof(key, { htm: 'GET', htu: HTU, accessToken })), { scopes: ['read'] })
      expect(atB).toMatchObject({ allowed: false, status: 401, error: 'invalid_token' })
      expect(serviceB.requests.filter((r) => r.apiPath === '/auth/introspection')).toHaveLength(1)
    } finally {
      await serviceB.close()
    }
  })

  it('Redis paused: the guard denies with 500 and ERR_STORE_UNAVAILABLE after the store\'s timeout, not the guard\'s 2 s', async () => {
    const guard = await guardOnRedis(300)
    const { accessToken } = await emu.createToken({ subject: 'carol', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })
    errors.length = 0
    redis.server.pause()
    try {
      const outcome = await timed(guard.check(request(accessToken, await createDpopProof(key, { htm: 'GET', htu: HTU, accessToken }))))
      expect(outcome.value).toMatchObject({ allowed: false, status: 500 })
      expect(outcome.ms).toBeLessThan(1500)
      expect(errors.map((e) => e.error.code)).toEqual(['ERR_STORE_UNAVAILABLE'])
      expect(errors[0]!.error.message).toMatch(/within 300 ms/)
    } finally {
      redis.server.resume()
    }
    const again = await guard.check(request(accessToken, await createDpopProof(key, { htm: 'GET', htu: HTU, accessToken })))
    expect(again.allowed).toBe(true)
  })
})
