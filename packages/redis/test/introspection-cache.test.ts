import { describe, expect, it, onTestFinished, vi } from 'vitest'
import type { CachedIntrospection } from '@authlete-guard/core'
import { createRedisIntrospectionCache, DEFAULT_CACHE_PREFIX, DEFAULT_LOCAL_TTL_MS } from '../src'
import { describeWithRedis } from '../../../test/support/redis'
import { disconnected, ready, sleep, timed, useRedis } from './support'

const TOKEN_HASH = 'dGhpcyBpcyBub3QgYSB0b2tlbiBidXQgYSBoYXNoAAA'
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'
const cacheKey = (i = 0) => `${TOKEN_HASH.slice(0, 40)}${String(i).padStart(3, '0')} DPoP ${JKT}`

const entry = (until = Date.now() + 30_000): CachedIntrospection => ({
  facts: {
    action: 'OK', resultCode: 'A056001', resultMessage: '[A056001] The access token is valid.', clientId: 3300001,
    subject: 'alice', scopes: ['profile', 'read'], expiresAt: Date.now() + 3_600_000, existent: true, usable: true,
    sufficient: true, refreshable: false, properties: [{ key: 'tenant', value: 'acme', hidden: false }], certificateThumbprint: null,
  },
  jkt: JKT,
  nonce: undefined,
  until,
})

describeWithRedis('createRedisIntrospectionCache on a real redis-server', () => {
  const redis = useRedis()

  it('an entry written by one instance is read by another (two connections), equal to what was written', async () => {
    const a = createRedisIntrospectionCache(await redis.client())
    const b = createRedisIntrospectionCache(await redis.client())
    const written = { ...entry(), nonce: 'n-1' }
    expect(await b.get(cacheKey(1))).toBeUndefined()
    await a.set(cacheKey(1), written, 30_000)
    expect(await b.get(cacheKey(1))).toEqual(written)
    const noJkt = { ...entry(), jkt: undefined }
    await a.set(cacheKey(2), noJkt, 30_000)
    expect(await b.get(cacheKey(2))).toEqual(noJkt)
  })

  it('the key is the prefix plus the guard key; the value is versioned JSON of the entry, with the ttl the guard passes', async () => {
    const client = await redis.client()
    const cache = createRedisIntrospectionCache(client)
    const written = entry()
    await cache.set(cacheKey(3), written, 12_345)
    const raw = await client.get(DEFAULT_CACHE_PREFIX + cacheKey(3))
    expect(JSON.parse(raw!)).toEqual({ v: 1, facts: written.facts, jkt: JKT, until: written.until })
    const pttl = await client.pttl(DEFAULT_CACHE_PREFIX + cacheKey(3))
    expect(pttl).toBeGreaterThan(12_000)
    expect(pttl).toBeLessThanOrEqual(12_345)
    // An OK's responseContent (a denial's WWW-Authenticate text) is not kept.
    await cache.set(cacheKey(5), { ...written, facts: { ...written.facts, responseContent: 'Bearer error="invalid_request"' } }, 1000)
    expect(JSON.parse((await client.get(DEFAULT_CACHE_PREFIX + cacheKey(5)))!).facts).toEqual(written.facts)
    const custom = createRedisIntrospectionCache(client, { prefix: 'billing:c:' })
    await custom.set(cacheKey(3), written, 1000)
    expect(await client.exists(`billing:c:${cacheKey(3)}`)).toBe(1)
  })

  it('an entry is gone when its ttl has passed', async () => {
    const cache = createRedisIntrospectionCache(await redis.client())
    await cache.set(cacheKey(4), entry(), 200)
    expect(await cache.get(cacheKey(4))).toBeDefined()
    await sleep(300)
    expect(await cache.get(cacheKey(4))).toBeUndefined()
  })

  it('a value that is not ours (or of another format) is a miss, never an error nor an allow', async () => {
    const client = await redis.client()
    const cache = createRedisIntrospectionCache(client)
    for (const [i, value] of ['not json', 'null', '{"v":2,"facts":{"action":"OK"},"until":9e15}', '{"v":1,"until":9e15}', '{"v":1,"facts":{}}'].entries()) {
      await client.set(DEFAULT_CACHE_PREFIX + cacheKey(10 + i), value)
      expect(await cache.get(cacheKey(10 + i))).toBeUndefined()
    }
  })

  it('local layer off (default): a key deleted from Redis is gone for every instance at once', async () => {
    const client = await redis.client()
    const cache = createRedisIntrospectionCache(client)
    await cache.set(cacheKey(20), entry(), 30_000)
    expect(await cache.get(cacheKey(20))).toBeDefined()
    await client.del(DEFAULT_CACHE_PREFIX + cacheKey(20))
    expect(await cache.get(cacheKey(20))).toBeUndefined()
  })

  it('local layer on: hot entries are served from memory for localTtlMs (a deleted key lingers that long), never past the entry\'s until', async () => {
    // The local layer's clock is Date.now(), so time passes at once here; Redis keeps its own clock.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() })
    onTestFinished(() => void vi.useRealTimers())
    const client = await redis.client()
    const cache = createRedisIntrospectionCache(client, { localMaxEntries: 2, localTtlMs: 300 })
    await cache.set(cacheKey(21), entry(), 30_000)
    await client.del(DEFAULT_CACHE_PREFIX + cacheKey(21))
    expect(await cache.get(cacheKey(21))).toBeDefined() // the revocation lag the local layer adds
    vi.setSystemTime(Date.now() + 299)
    expect(await cache.get(cacheKey(21))).toBeDefined()
    vi.setSystemTime(Date.now() + 1)
    expect(await cache.get(cacheKey(21))).toBeUndefined()

    // Read through: a Redis hit is kept locally too.
    await client.set(DEFAULT_CACHE_PREFIX + cacheKey(22), JSON.stringify({ v: 1, ...entry() }), 'PX', 30_000)
    expect(await cache.get(cacheKey(22))).toBeDefined()
    await client.del(DEFAULT_CACHE_PREFIX + cacheKey(22))
    expect(await cache.get(cacheKey(22))).toBeDefined()

    // Bounded: a third entry pushes the least recently used one out.
    await cache.set(cacheKey(23), entry(), 30_000)
    await cache.set(cacheKey(24), entry(), 30_000)
    expect(await cache.get(cacheKey(22))).toBeUndefined()

    // An entry that ends sooner than localTtlMs ends locally then too.
    const short = createRedisIntrospectionCache(client, { localMaxEntries: 10, localTtlMs: 60_000 })
    await short.set(cacheKey(25), entry(Date.now() + 150), 150)
    await client.set(DEFAULT_CACHE_PREFIX + cacheKey(25), 'gone')
    vi.setSystemTime(Date.now() + 149)
    expect(await short.get(cacheKey(25))).toBeDefined()
    vi.setSystemTime(Date.now() + 1)
    expect(await short.get(cacheKey(25))).toBeUndefined()
    expect(DEFAULT_LOCAL_TTL_MS).toBe(1000)
  })

  it('a Redis that does not answer (paused): get and set reject within timeoutMs', async () => {
    const cache = createRedisIntrospectionCache(await redis.client(), { timeoutMs: 200 })
    redis.server.pause()
    try {
      const read = await timed(cache.get(cacheKey(30)))
      expect(read.error?.message).toMatch(/Redis did not answer a cache read within 200 ms/)
      expect(read.ms).toBeLessThan(600)
      const write = await timed(cache.set(cacheKey(30), entry(), 1000))
      expect(write.error?.message).toMatch(/Redis did not answer a cache write within 200 ms/)
    } finally {
      redis.server.resume()
    }
  })

  it('a stopped Redis: get rejects (the guard denies), and works again once Redis is back', async () => {
    const client = await redis.client()
    const cache = createRedisIntrospectionCache(client)
    await redis.server.stop()
    try {
      await disconnected(client)
      const read = await timed(cache.get(cacheKey(31)))
      expect(read.error).toBeInstanceOf(Error)
      expect(read.ms).toBeLessThan(600)
    } finally {
      await redis.server.start()
    }
    await ready(client)
    expect(await cache.get(cacheKey(31))).toBeUndefined() // the new server is empty
    await cache.set(cacheKey(31), entry(), 1000)
    expect(await cache.get(cacheKey(31))).toBeDefined()
  })
})

describe('createRedisIntrospectionCache options', () => {
  const client = { get: async () => null, set: async () => 'OK' } as never
  it('refuses bad clients, unknown options and bad values with ERR_INVALID_CONFIG', () => {
    expect(() => createRedisIntrospectionCache(null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }))
    expect(() => createRedisIntrospectionCache(client, { ttlMs: 1 } as never)).toThrow(/unknown option "ttlMs"/)
    expect(() => createRedisIntrospectionCache(client, { localMaxEntries: -1 })).toThrow(/localMaxEntries/)
    expect(() => createRedisIntrospectionCache(client, { localMaxEntries: 1.5 })).toThrow(/localMaxEntries/)
    expect(() => createRedisIntrospectionCache(client, { localTtlMs: 0 })).toThrow(/localTtlMs/)
    expect(() => createRedisIntrospectionCache(client, { timeoutMs: 0 })).toThrow(/timeoutMs/)
  })
})
