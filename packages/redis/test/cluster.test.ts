// The stores on an ioredis Cluster client, against a real three-node Redis Cluster (three
// redis-server processes with --cluster-enabled, slots split between them): every command is on
// one key, or (the per-owner replay script) on an owner's keys, which share one slot, so keys spread
// over the nodes and nothing fails with CROSSSLOT or MOVED.
import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createRedisIntrospectionCache, createRedisReplayStore } from '../src'
import { describeWithRedis, startRedisServer, type RedisServer } from '../../../test/support/redis'

describeWithRedis('on a real Redis Cluster (three nodes)', () => {
  const nodes: RedisServer[] = []
  const admins: Redis[] = []
  let cluster: Cluster

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) nodes.push(await startRedisServer({ args: ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'] }))
    for (const node of nodes) admins.push(new Redis(node.port, '127.0.0.1'))
    const ranges = [[0, 5460], [5461, 10922], [10923, 16383]]
    await Promise.all(admins.map((admin, i) => admin.call('CLUSTER', 'ADDSLOTSRANGE', String(ranges[i]![0]), String(ranges[i]![1]))))
    for (const node of nodes.slice(1)) await admins[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(node.port))
    const deadline = Date.now() + 20_000
    for (;;) {
      const states = await Promise.all(admins.map(async (admin) => /cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO'))) && /cluster_known_nodes:3/.test(String(await admin.call('CLUSTER', 'INFO')))))
      if (states.every(Boolean)) break
      if (Date.now() > deadline) throw new Error('the Redis Cluster did not become ready within 20 s')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    cluster = new Cluster([{ host: '127.0.0.1', port: nodes[0]!.port }], { enableOfflineQueue: true, redisOptions: { maxRetriesPerRequest: 1 } })
    cluster.on('error', () => {}) // reported by the failing command; no "Unhandled error event" noise
    await new Promise<void>((resolve, reject) => {
      cluster.once('ready', () => resolve())
      cluster.once('error', reject)
    })
  }, 60_000)

  afterAll(async () => {
    cluster?.disconnect()
    for (const admin of admins) admin.disconnect()
    await Promise.all(nodes.map((node) => node.close()))
  })

  it('replay keys spread over the nodes; concurrent remembers of one key: exactly one true', async () => {
    const store = createRedisReplayStore(cluster)
    const keys = Array.from({ length: 60 }, (_, i) => `cluster-proof-${i}`.padEnd(43, 'x'))
    for (const key of keys) {
      const answers = await Promise.all([store.remember(key, 60_000), store.remember(key, 60_000), store.remember(key, 60_000)])
      expect(answers.filter(Boolean)).toHaveLength(1)
    }
    const perNode = await Promise.all(admins.map((admin) => admin.dbsize()))
    expect(perNode.reduce((a, b) => a + b, 0)).toBe(keys.length)
    expect(perNode.every((count) => count > 0)).toBe(true)
  })

  it('with owners: each owner\'s proof keys and set share its slot, owners spread over the nodes, the bound holds, one key races to exactly one true', async () => {
    const store = createRedisReplayStore(cluster, { maxEntriesPerOwner: 3, prefix: 'owners:' })
    const owners = [...Array.from({ length: 30 }, (_, i) => `service-1 ${`jkt-${i}`.padEnd(43, 'J')}`), 'a{b}c', '{x}', '}{', '']
    for (const [i, owner] of owners.entries()) {
      const keys = [1, 2, 3, 4].map((n) => `owner-${i}-proof-${n}`.padEnd(43, 'x'))
      const raced = await Promise.all([store.remember(keys[0]!, 60_000, owner), store.remember(keys[0]!, 60_000, owner), store.remember(keys[0]!, 60_000, owner)])
      expect(raced.filter((answer) => answer === true)).toHaveLength(1)
      expect(await store.remember(keys[1]!, 60_000, owner)).toBe(true)
      expect(await store.remember(keys[2]!, 60_000, owner)).toBe(true)
      expect(await store.remember(keys[3]!, 60_000, owner)).toMatchObject({ limited: true, retryAfterSeconds: 60 })
      expect(await store.seen(keys[2]!, owner)).toBe(true)
      expect(await store.seen(keys[3]!, owner)).toBe(false)
    }
    const perNode = await Promise.all(admins.map(async (admin) => (await admin.keys('owners:*')).length))
    expect(perNode.reduce((a, b) => a + b, 0)).toBe(owners.length * 4) // three proofs and a set per owner
    expect(perNode.every((count) => count > 0)).toBe(true)
    for (const admin of admins) {
      for (const set of (await admin.keys('owners:*')).filter((key) => !key.includes('}:'))) {
        const proofs = await admin.keys(`${set.replace(/[*?[\]\\]/g, '\\$&')}:*`)
        expect(proofs, set).toHaveLength(3) // on the same node as its set
        for (const proof of proofs) expect(await admin.call('CLUSTER', 'KEYSLOT', proof)).toBe(await admin.call('CLUSTER', 'KEYSLOT', set))
      }
    }
  })

  it('cache entries round-trip through the cluster', async () => {
    const cache = createRedisIntrospectionCache(cluster)
    const entry = { facts: { action: 'OK' as const, subject: 'alice', scopes: ['read'], expiresAt: Date.now() + 60_000 }, jkt: 'j', nonce: undefined, until: Date.now() + 30_000 }
    for (let i = 0; i < 20; i++) await cache.set(`token-hash-${i} DPoP j`, entry, 30_000)
    for (let i = 0; i < 20; i++) expect(await cache.get(`token-hash-${i} DPoP j`)).toEqual(entry)
  })
})
