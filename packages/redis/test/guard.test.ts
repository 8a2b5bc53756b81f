// The stores inside real guards (the core's createGuard, two of them standing for two instances),
// the emulator as Authlete and a real redis-server: replay across guards, the shared cache, what
// ends up in Redis, and a Redis that stops answering.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createGuard, type GuardErrorEvent, type Guard } from '@authlete-guard/core'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { createRedisIntrospectionCache, createRedisReplayStore } from '../src'
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

  async function guardOnRedis(timeoutMs?: number): Promise<Guard> {
    const client = await redis.client()
    const guard = createGuard({
      authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken, timeoutMs: 2000 },
      publicUrl: PUBLIC_URL,
      cache: { ttlMs: 30_000, store: createRedisIntrospectionCache(client, { timeoutMs }) },
      replay: createRedisReplayStore(client, { timeoutMs }),
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
    expect(keys.filter((k) => k.startsWith('authlete-guard:replay:'))).toHaveLength(3)
    expect(keys.filter((k) => k.startsWith('authlete-guard:cache:'))).toHaveLength(1)
    for (const k of keys) expect(k).toMatch(/^authlete-guard:(replay:[\w-]{43}|cache:[\w-]{43} DPoP [\w-]{43})$/)
    const dump = [...keys, ...(await Promise.all(keys.map((k) => client.get(k))))].join('\n')
    for (const secret of [accessToken, ...proofs, ...jtis, ...proofs.map((p) => p.split('.')[2]!)]) expect(dump).not.toContain(secret)
    expect(dump).toContain('"subject":"bob"')
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
