import { describe, expect, it } from 'vitest'
import { createRedisReplayStore, DEFAULT_REDIS_TIMEOUT_MS, DEFAULT_REPLAY_PREFIX } from '../src'
import { describeWithRedis } from '../../../test/support/redis'
import { ready, sleep, timed, useRedis } from './support'

// A key as the guard passes it: base64url SHA-256 of "<jkt> <jti>".
const hashKey = (i: number) => `k${String(i).padStart(3, '0')}`.padEnd(43, 'A')

describeWithRedis('createRedisReplayStore on a real redis-server', () => {
  const redis = useRedis()

  it('concurrent remembers of one key, from two connections: exactly one true', async () => {
    const [a, b] = [await redis.client(), await redis.client()]
    const stores = [createRedisReplayStore(a), createRedisReplayStore(b)]
    for (let round = 0; round < 20; round++) {
      const key = hashKey(round)
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 2]!.remember(key, 60_000)))
      expect(answers.filter(Boolean)).toHaveLength(1)
    }
  })

  it('one round trip per proof: SET key 1 PX ttl NX', async () => {
    const client = await redis.client()
    const monitor = await (await redis.client()).monitor()
    const seen: string[][] = []
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(args))
    await createRedisReplayStore(client).remember(hashKey(900), 360_000)
    await sleep(50)
    monitor.disconnect()
    expect(seen.filter(([command]) => command?.toLowerCase() !== 'info')).toEqual([['set', `${DEFAULT_REPLAY_PREFIX}${hashKey(900)}`, '1', 'PX', '360000', 'NX']])
  })

  it('the key lives for the ttl the guard passes, then a proof is new again', async () => {
    const client = await redis.client()
    const store = createRedisReplayStore(client)
    const key = hashKey(100)
    expect(await store.remember(key, 300)).toBe(true)
    const pttl = await client.pttl(DEFAULT_REPLAY_PREFIX + key)
    expect(pttl).toBeGreaterThan(0)
    expect(pttl).toBeLessThanOrEqual(300)
    expect(await store.remember(key, 300)).toBe(false)
    await sleep(400)
    expect(await store.remember(key, 300)).toBe(true)
  })

  it('keys are the prefix plus the guard key, nothing else; prefixes keep applications apart', async () => {
    const client = await redis.client()
    const billing = createRedisReplayStore(client, { prefix: 'billing:' })
    const orders = createRedisReplayStore(client, { prefix: 'orders:' })
    const key = hashKey(200)
    expect(await billing.remember(key, 60_000)).toBe(true)
    expect(await orders.remember(key, 60_000)).toBe(true)
    expect(await billing.remember(key, 60_000)).toBe(false)
    expect(await client.get(`billing:${key}`)).toBe('1')
    expect(await client.get(`orders:${key}`)).toBe('1')
    expect((await client.keys('*' + key)).sort()).toEqual([`billing:${key}`, `orders:${key}`])
  })

  it('a Redis that does not answer (paused): remember rejects within timeoutMs, then works again', async () => {
    const client = await redis.client()
    const store = createRedisReplayStore(client, { timeoutMs: 200 })
    redis.server.pause()
    try {
      const outcome = await timed(store.remember(hashKey(300), 60_000))
      expect(outcome.error?.message).toMatch(/Redis did not answer the replay check within 200 ms/)
      expect(outcome.ms).toBeGreaterThanOrEqual(190)
      expect(outcome.ms).toBeLessThan(600)
    } finally {
      redis.server.resume()
    }
    // The late SET ran once Redis woke up: that proof stays spent (its request was denied anyway).
    expect(await store.remember(hashKey(300), 60_000)).toBe(false)
    expect(await store.remember(hashKey(301), 60_000)).toBe(true)
  })

  it('a stopped Redis: a fail-fast client rejects at once; a queueing client at timeoutMs; both recover', async () => {
    const failFast = await redis.client()
    const queueing = await redis.client({ enableOfflineQueue: true, maxRetriesPerRequest: null })
    const fast = createRedisReplayStore(failFast)
    const slow = createRedisReplayStore(queueing, { timeoutMs: 300 })
    await redis.server.stop()
    try {
      await sleep(100)
      const a = await timed(fast.remember(hashKey(400), 60_000))
      expect(a.error).toBeInstanceOf(Error)
      expect(a.ms).toBeLessThan(DEFAULT_REDIS_TIMEOUT_MS)
      const b = await timed(slow.remember(hashKey(401), 60_000))
      expect(b.error?.message).toMatch(/within 300 ms/)
      expect(b.ms).toBeLessThan(800)
    } finally {
      await redis.server.start()
    }
    await Promise.all([ready(failFast), ready(queueing)])
    expect(await fast.remember(hashKey(402), 60_000)).toBe(true)
    expect(await slow.remember(hashKey(403), 60_000)).toBe(true)
  })
})

describe('createRedisReplayStore options', () => {
  const client = { get: async () => null, set: async () => 'OK' } as never
  it('refuses what is not an ioredis client, unknown options and bad values, with ERR_INVALID_CONFIG', () => {
    for (const bad of [undefined, null, {}, 'redis://localhost']) {
      expect(() => createRedisReplayStore(bad as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }))
    }
    expect(() => createRedisReplayStore(client, { prefx: 'x' } as never)).toThrow(/unknown option "prefx"/)
    expect(() => createRedisReplayStore(client, { prefix: 1 } as never)).toThrow(/prefix must be a string/)
    for (const timeoutMs of [0, -1, 1.5, '500', Infinity]) {
      expect(() => createRedisReplayStore(client, { timeoutMs } as never)).toThrow(/timeoutMs must be a whole number/)
    }
  })
  it('the default timeout is below the guard\'s own 2 s bound', () => {
    expect(DEFAULT_REDIS_TIMEOUT_MS).toBe(500)
  })
})
