import { describe, expect, it, vi } from 'vitest'
import type { Redis } from 'ioredis'
import { createRedisReplayStore, DEFAULT_REDIS_TIMEOUT_MS, DEFAULT_REPLAY_PREFIX } from '../src'
import { describeWithRedis } from '../../../test/support/redis'
import { disconnected, ready, sleep, timed, useRedis } from './support'

// A key as the guard passes it: base64url SHA-256 of "<jkt> <jti>".
const hashKey = (i: number) => `k${String(i).padStart(3, '0')}`.padEnd(43, 'A')

/**
 * Records the commands Redis runs (MONITOR, on a connection of its own made from `watcher`).
 * `settled()` resolves once MONITOR has reported every command `client` has had answered: it sends
 * a marker ECHO on `client` and waits for MONITOR to show it (Redis reports commands in the order
 * it runs them), then disconnects the monitor. The marker is not recorded.
 */
async function monitorCommands(watcher: Redis, client: Redis) {
  const monitor = await watcher.monitor()
  const commands: Array<{ args: string[]; source: string }> = []
  const marker = `marker-${Math.random()}`
  let markerShown = () => {}
  const shown = new Promise<void>((resolve) => (markerShown = resolve))
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args[0]?.toLowerCase() === 'echo' && args[1] === marker) markerShown()
    else commands.push({ args, source })
  })
  const settled = async () => {
    await client.echo(marker)
    await shown
    monitor.disconnect()
  }
  return { commands, settled }
}

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

  it('without an owner (an older guard): one round trip per proof, SET key 1 PX ttl NX, unbounded', async () => {
    const client = await redis.client()
    const monitor = await monitorCommands(await redis.client(), client)
    await createRedisReplayStore(client).remember(hashKey(900), 360_000)
    await monitor.settled()
    const seen = monitor.commands.map(({ args }) => args)
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
      await Promise.all([disconnected(failFast), disconnected(queueing)])
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
    for (const maxEntriesPerOwner of [0, -1, 2.5, '10', Infinity, null]) {
      expect(() => createRedisReplayStore(client, { maxEntriesPerOwner } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringMatching(/maxEntriesPerOwner must be a whole number, 1 or more/) }))
    }
  })
  it('the default timeout is below the guard\'s own 2 s bound', () => {
    expect(DEFAULT_REDIS_TIMEOUT_MS).toBe(500)
  })
})

// An owner as the guard passes it: its service and the proof's key thumbprint (opaque here).
const ownerOf = (name: string) => `service-1 ${name.padEnd(43, 'J')}`
const proofKeyOf = (owner: string, key: string) => `${DEFAULT_REPLAY_PREFIX}{${owner}}:${key}`
const setKeyOf = (owner: string) => `${DEFAULT_REPLAY_PREFIX}{${owner}}`

/** Everything in Redis but the TTLs: each key, its type and its content. */
async function contents(client: Redis): Promise<unknown[]> {
  const keys = (await client.keys('*')).sort()
  return Promise.all(keys.map(async (key) => {
    const type = await client.type(key)
    return [key, type, type === 'zset' ? await client.zrange(key, '0', '-1', 'WITHSCORES') : await client.get(key)]
  }))
}

/** Redis's clock, ms. */
async function redisNow(client: Redis): Promise<number> {
  const [seconds, micros] = await client.time()
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
}

describeWithRedis('createRedisReplayStore: at most maxEntriesPerOwner proofs per owner (one Lua script)', () => {
  const redis = useRedis()

  it('an owner at its bound: limited until its oldest proof expires, and nothing is written; a replay is still a replay; other owners are accepted', async () => {
    const client = await redis.client()
    await client.flushall()
    const store = createRedisReplayStore(client, { maxEntriesPerOwner: 3 })
    const alice = ownerOf('alice')
    expect(await store.remember(hashKey(500), 60_000, alice)).toBe(true)
    expect(await store.remember(hashKey(501), 30_000, alice)).toBe(true)
    expect(await store.remember(hashKey(502), 90_000, alice)).toBe(true)
    const before = await contents(client)

    const limited = await store.remember(hashKey(503), 60_000, alice)
    expect(limited).toMatchObject({ limited: true })
    const { retryAfterSeconds } = limited as { retryAfterSeconds: number }
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(29) // the oldest expiry: hashKey(501), 30 s
    expect(retryAfterSeconds).toBeLessThanOrEqual(30)
    expect(await contents(client)).toEqual(before)
    expect(await store.seen(hashKey(503), alice)).toBe(false)

    expect(await store.remember(hashKey(502), 90_000, alice)).toBe(false)
    expect(await store.remember(hashKey(503), 60_000, ownerOf('bob'))).toBe(true)
    expect(await store.remember(hashKey(504), 60_000)).toBe(true) // no owner: no bound
    expect(await client.zcard(setKeyOf(alice))).toBe(3)
  })

  it('the layout: the proof key and the owner\'s sorted set share its hash tag; scores are expiries on Redis\'s clock; the set lives as long as its latest proof', async () => {
    const client = await redis.client()
    const store = createRedisReplayStore(client)
    const owner = ownerOf('layout')
    const start = await redisNow(client)
    for (const [i, ttl] of [[510, 5_000], [511, 20_000], [512, 10_000]] as const) expect(await store.remember(hashKey(i), ttl, owner)).toBe(true)
    const end = await redisNow(client)
    expect(await client.get(proofKeyOf(owner, hashKey(510)))).toBe('1')
    const pttl = await client.pttl(proofKeyOf(owner, hashKey(510)))
    expect(pttl).toBeGreaterThan(4_000)
    expect(pttl).toBeLessThanOrEqual(5_000)
    const scored = await client.zrange(setKeyOf(owner), '0', '-1', 'WITHSCORES')
    expect([scored[0], scored[2], scored[4]]).toEqual([hashKey(510), hashKey(512), hashKey(511)])
    for (const [index, ttl] of [[1, 5_000], [3, 10_000], [5, 20_000]] as const) {
      expect(Number(scored[index])).toBeGreaterThanOrEqual(start + ttl)
      expect(Number(scored[index])).toBeLessThanOrEqual(end + ttl)
    }
    expect(await client.pttl(setKeyOf(owner))).toBeGreaterThan(19_000)
    // Braces (and an empty owner) are escaped: the hash tag is always the whole owner.
    expect(await store.remember(hashKey(513), 1000, 'a{b}%')).toBe(true)
    expect(await client.exists(`${DEFAULT_REPLAY_PREFIX}{a%7Bb%7D%25}:${hashKey(513)}`, `${DEFAULT_REPLAY_PREFIX}{a%7Bb%7D%25}`)).toBe(2)
    expect(await store.remember(hashKey(514), 1000, '')).toBe(true)
    expect(await client.exists(`${DEFAULT_REPLAY_PREFIX}{%}:${hashKey(514)}`, `${DEFAULT_REPLAY_PREFIX}{%}`)).toBe(2)
  })

  it('an owner\'s count drops as its proofs expire, so it may remember again', async () => {
    const client = await redis.client()
    const store = createRedisReplayStore(client, { maxEntriesPerOwner: 2 })
    const owner = ownerOf('expiry')
    expect(await store.remember(hashKey(520), 300, owner)).toBe(true)
    expect(await store.remember(hashKey(521), 300, owner)).toBe(true)
    expect(await store.remember(hashKey(522), 300, owner)).toEqual({ limited: true, retryAfterSeconds: 1 })
    await sleep(400)
    expect(await store.remember(hashKey(522), 300, owner)).toBe(true)
    expect(await client.zrange(setKeyOf(owner), '0', '-1')).toEqual([hashKey(522)])
    await sleep(400)
    expect(await client.exists(setKeyOf(owner))).toBe(0) // the set expires with its latest proof
  })

  it('the instances\' clocks do not matter: expiry is on Redis\'s clock (an instance an hour behind does not free its owner early)', async () => {
    const [a, b] = [createRedisReplayStore(await redis.client(), { maxEntriesPerOwner: 1 }), createRedisReplayStore(await redis.client(), { maxEntriesPerOwner: 1 })]
    const owner = ownerOf('clock')
    const behind = Date.now() - 3_600_000
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => behind)
    try {
      expect(await a.remember(hashKey(530), 60_000, owner)).toBe(true)
    } finally {
      clock.mockRestore()
    }
    expect(await b.remember(hashKey(531), 60_000, owner)).toMatchObject({ limited: true, retryAfterSeconds: 60 })
  })

  it('concurrent remembers from two connections: of one key, exactly one true; of distinct keys of one owner, exactly maxEntriesPerOwner true, the rest limited', async () => {
    const [a, b] = [await redis.client(), await redis.client()]
    const stores = [createRedisReplayStore(a, { maxEntriesPerOwner: 7 }), createRedisReplayStore(b, { maxEntriesPerOwner: 7 })]
    for (let round = 0; round < 10; round++) {
      const owner = ownerOf(`race-${round}`)
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % 2]!.remember(hashKey(600 + round), 60_000, owner)))
      expect(answers.filter((answer) => answer === true)).toHaveLength(1)
      expect(answers.filter((answer) => answer === false)).toHaveLength(49)
    }
    const owner = ownerOf('flood')
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 2]!.remember(hashKey(700 + i), 60_000, owner)))
    expect(answers.filter((answer) => answer === true)).toHaveLength(7)
    expect(answers.filter((answer) => typeof answer === 'object' && answer.limited && answer.retryAfterSeconds === 60)).toHaveLength(33)
    expect(await a.zcard(setKeyOf(owner))).toBe(7)
    expect(await a.keys(`${setKeyOf(owner)}:*`)).toHaveLength(7)
  })

  it('one round trip per proof (EVALSHA) once Redis has the script; loaded again with EVAL after SCRIPT FLUSH', async () => {
    const client = await redis.client()
    const store = createRedisReplayStore(client)
    const owner = ownerOf('sha')
    await client.script('FLUSH')
    const monitor = await monitorCommands(await redis.client(), client)
    expect(await store.remember(hashKey(800), 60_000, owner)).toBe(true)
    expect(await store.remember(hashKey(801), 60_000, owner)).toBe(true)
    expect(await store.remember(hashKey(801), 60_000, owner)).toBe(false)
    await monitor.settled()
    const sent = monitor.commands.filter(({ args, source }) => !/lua/.test(source) && args[0]?.toLowerCase() !== 'info').map(({ args }) => args[0]!.toLowerCase())
    expect(sent).toEqual(['evalsha', 'eval', 'evalsha', 'evalsha'])
  })

  it('seen is a read: true for a remembered proof of that owner until it expires, false otherwise; it writes nothing', async () => {
    const client = await redis.client()
    const store = createRedisReplayStore(client)
    const owner = ownerOf('seen')
    expect(await store.seen(hashKey(900), owner)).toBe(false)
    expect(await client.exists(proofKeyOf(owner, hashKey(900)), setKeyOf(owner))).toBe(0)
    expect(await store.remember(hashKey(900), 300, owner)).toBe(true)
    const before = await contents(client)
    expect(await store.seen(hashKey(900), owner)).toBe(true)
    expect(await store.seen(hashKey(900), ownerOf('someone else'))).toBe(false)
    expect(await contents(client)).toEqual(before)
    await sleep(400)
    expect(await store.seen(hashKey(900), owner)).toBe(false)
    // Without an owner it finds what remember without an owner wrote.
    expect(await store.remember(hashKey(901), 60_000)).toBe(true)
    expect(await store.seen(hashKey(901))).toBe(true)
  })

  it('fails closed: a paused Redis makes remember (with an owner) and seen reject within timeoutMs; a foreign value at the owner\'s key rejects', async () => {
    const client = await redis.client()
    const store = createRedisReplayStore(client, { timeoutMs: 200 })
    const owner = ownerOf('paused')
    expect(await store.remember(hashKey(950), 60_000, owner)).toBe(true) // the script is loaded
    redis.server.pause()
    try {
      const remembered = await timed(store.remember(hashKey(951), 60_000, owner))
      expect(remembered.error?.message).toMatch(/Redis did not answer the replay check within 200 ms/)
      expect(remembered.ms).toBeLessThan(600)
      const looked = await timed(store.seen(hashKey(951), owner))
      expect(looked.error?.message).toMatch(/Redis did not answer the replay lookup within 200 ms/)
      expect(looked.ms).toBeLessThan(600)
    } finally {
      redis.server.resume()
    }
    const foreign = ownerOf('foreign')
    await client.set(setKeyOf(foreign), 'not a sorted set')
    await expect(store.remember(hashKey(952), 60_000, foreign)).rejects.toThrow(/WRONGTYPE/)
  })
})
