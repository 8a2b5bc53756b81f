#!/usr/bin/env node
// Memory that the Redis stores take, measured: `node test/multi-instance/memory.mjs [count]`
// (after `pnpm build`). Starts its own redis-server on a free 127.0.0.1 port (no persistence),
// writes `count` (default 100,000) entries of each kind through the real stores, with keys, owners
// and values exactly as a guard writes them, reads INFO memory's used_memory before and after each
// kind, and extrapolates to 1,000,000 tokens. The cache entry is the one a real guard stored for a
// DPoP token the emulator issued (Authlete's OK reply as the emulator gives it); the key formats
// (service hash, scheme, thumbprint; the replay owner `<service hash>.<thumbprint>`) are read from
// what that guard wrote, and the script stops if they are not the ones it measures.
// Prints JSON: the Redis version, the guard's sample keys, one key of each kind the script wrote,
// and a row per kind.
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { createGuard } from '@authlete-guard/core'
import { createDpopKeyPair, createDpopProof, startEmulator } from '@authlete-guard/emulator'
import { createRedisIntrospectionCache, createRedisReplayStore, DEFAULT_CACHE_PREFIX, DEFAULT_REPLAY_PREFIX } from '@authlete-guard/redis'

const COUNT = Number(process.argv[2] ?? 100_000)
const hash = () => createHash('sha256').update(randomBytes(32)).digest('base64url')

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address()
    s.close(() => resolve(port))
  })
})
const dir = mkdtempSync(join(tmpdir(), 'authlete-guard-redis-memory-'))
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], { stdio: 'ignore' })
server.on('error', (error) => {
  console.error(`could not start redis-server (Debian package \`redis-server\`): ${error.message}`)
  process.exit(1)
})
const redis = new Redis(port, '127.0.0.1', { retryStrategy: (times) => (times > 50 ? null : 100) })
redis.on('error', () => {})
await new Promise((resolve) => redis.once('ready', resolve))

/**
 * The keys a guard's one allowed DPoP request wrote: the cache entry
 * `<prefix><service hash> <token hash> DPoP <thumbprint>`, the proof `<prefix>{<service hash>.<thumbprint>}:<hash>`
 * and its owner's set `<prefix>{<service hash>.<thumbprint>}`. Throws when they are not that.
 */
function guardKeys(names, thumbprint) {
  const cacheKeys = names.filter((name) => name.startsWith(DEFAULT_CACHE_PREFIX))
  const replayKeys = names.filter((name) => name.startsWith(DEFAULT_REPLAY_PREFIX)).sort((a, b) => a.length - b.length)
  const fields = cacheKeys.length === 1 ? cacheKeys[0].slice(DEFAULT_CACHE_PREFIX.length).split(' ') : []
  const [service, tokenHash, scheme, jkt] = fields
  const owner = `${DEFAULT_REPLAY_PREFIX}{${service}.${jkt}}`
  const fits = fields.length === 4 && /^[\w-]{43}$/.test(service) && /^[\w-]{43}$/.test(tokenHash) && scheme === 'DPoP' && jkt === thumbprint &&
    replayKeys.length === 2 && replayKeys[0] === owner && /^:[\w-]{43}$/.test(replayKeys[1].slice(owner.length)) && replayKeys[1].startsWith(owner)
  if (!fits) throw new Error(`the guard's keys are not the ones this script measures: ${JSON.stringify(names)}`)
  return { cache: cacheKeys[0], replayProof: replayKeys[1], replayOwner: replayKeys[0], service, jkt }
}

try {
  // One real entry: a guard with the Redis stores lets a DPoP request through.
  const emu = await startEmulator({ port: 0 })
  const key = await createDpopKeyPair('ES256')
  const { accessToken } = await emu.createToken({ subject: 'user-0000012345', scopes: ['openid', 'profile', 'read'], dpopKeyThumbprint: key.thumbprint })
  const cache = createRedisIntrospectionCache(redis)
  const replay = createRedisReplayStore(redis)
  const guard = createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: 'https://api.example.com', cache: { ttlMs: 30_000, store: cache }, replay })
  const dpop = await createDpopProof(key, { htm: 'GET', htu: 'https://api.example.com/api/me', accessToken })
  const decision = await guard.check({ method: 'GET', url: '/api/me', headers: { authorization: `DPoP ${accessToken}`, dpop } })
  if (!decision.allowed) throw new Error(`the sample request was denied: ${decision.status} ${decision.body}`)
  await guard.close()
  await emu.close()
  const sampleKeys = guardKeys(await redis.keys('authlete-guard:*'), key.thumbprint)
  const sample = await redis.get(sampleKeys.cache)
  const entry = JSON.parse(sample)
  if (process.env.SHOW_SAMPLE) console.log(sampleKeys.cache, sample)
  const { service, jkt } = sampleKeys
  await redis.flushall()

  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1])
  async function measure(label, write) {
    const before = await used()
    for (let i = 0; i < COUNT; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, COUNT - i) }, (_, j) => write(i + j)))
    }
    const after = await used()
    const perEntry = (after - before) / COUNT
    return { label, entries: COUNT, bytesPerEntry: Math.round(perEntry), perMillion: `${((perEntry * 1_000_000) / 2 ** 20).toFixed(0)} MiB` }
  }
  /** Accepted proofs as the guard remembers them: a hashed key under the owner `<service hash>.<thumbprint>`, `perOwner` proofs per DPoP key. */
  const replayRow = async (label, perOwner) => {
    let owner
    const row = await measure(label, async (i) => {
      if (i % perOwner === 0) owner = `${service}.${hash()}` // a new DPoP key (a thumbprint is 43 base64url characters, like a hash)
      const answer = await replay.remember(hash(), 360_000, owner)
      if (answer !== true) throw new Error(`the replay store did not take proof ${i}: ${JSON.stringify(answer)}`)
    })
    await redis.flushall()
    return { ...row, proofsPerKey: perOwner }
  }
  // The owner's share (DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER, 10,000) bounds the busiest key.
  const manyKeys = await replayRow('replay store: one key per accepted proof, many DPoP keys of 10 proofs each', Math.min(10, COUNT))
  const busyKeys = await replayRow('replay store: one key per accepted proof, a few DPoP keys of 5,000 proofs each', Math.min(5000, COUNT))
  const written = { replay: await replayKeysOf(service) }
  let cacheKey
  const cacheRow = await measure('introspection cache: one key per token and presentation', () => {
    cacheKey = `${service} ${hash()} DPoP ${jkt}` // the guard's: service hash, token hash, scheme, thumbprint
    return cache.set(cacheKey, { ...entry, until: Date.now() + 3_600_000 }, 3_600_000)
  })
  written.cache = DEFAULT_CACHE_PREFIX + cacheKey
  if ((await redis.exists(written.cache)) !== 1) throw new Error(`the cache store did not write ${written.cache}`)
  const info = await redis.info('server')
  console.log(JSON.stringify({
    redis: /redis_version:(\S+)/.exec(info)[1],
    sampleCacheKeyBytes: Buffer.byteLength(sampleKeys.cache),
    sampleCacheValueBytes: Buffer.byteLength(sample),
    guardKeys: { cache: sampleKeys.cache, replayProof: sampleKeys.replayProof, replayOwner: sampleKeys.replayOwner },
    writtenKeys: written,
    rows: [manyKeys, busyKeys, cacheRow],
  }, null, 2))

  /** One replay proof key and its owner's set, as this script wrote them. */
  async function replayKeysOf(service) {
    const owner = `${service}.${hash()}`
    const proof = hash()
    if ((await replay.remember(proof, 360_000, owner)) !== true) throw new Error('the replay store did not take the sample proof')
    const names = (await redis.keys(`${DEFAULT_REPLAY_PREFIX}*`)).sort((a, b) => a.length - b.length)
    await redis.flushall()
    return { replayOwner: names[0], replayProof: names[1] }
  }
} finally {
  redis.disconnect()
  server.kill('SIGTERM')
  await new Promise((resolve) => server.once('exit', resolve))
  rmSync(dir, { recursive: true, force: true })
}
