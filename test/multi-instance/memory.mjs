#!/usr/bin/env node
// Memory that the Redis stores take, measured: `node test/multi-instance/memory.mjs [count]`
// (after `pnpm build`). Starts its own redis-server on a free 127.0.0.1 port (no persistence),
// writes `count` (default 100,000) entries of each kind through the real stores, with keys and
// values exactly as a guard writes them, reads INFO memory's used_memory before and after each
// kind, and extrapolates to 1,000,000 tokens. The cache entry is the one a real guard stored for a
// DPoP token the emulator issued (Authlete's OK reply as the emulator gives it).
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { createGuard } from '@authlete-guard/core'
import { createDpopKeyPair, createDpopProof, startEmulator } from '@authlete-guard/emulator'
import { createRedisIntrospectionCache, createRedisReplayStore } from '@authlete-guard/redis'

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
  const [cacheKey] = await redis.keys('authlete-guard:cache:*')
  const sample = await redis.get(cacheKey)
  const entry = JSON.parse(sample)
  if (process.env.SHOW_SAMPLE) console.log(cacheKey, sample)
  const jkt = cacheKey.split(' ')[2]
  await redis.flushall()

  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1])
  async function measure(label, write) {
    const before = await used()
    for (let i = 0; i < COUNT; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, COUNT - i) }, () => write()))
    }
    const after = await used()
    const perEntry = (after - before) / COUNT
    return { label, entries: COUNT, bytesPerEntry: Math.round(perEntry), perMillion: `${((perEntry * 1_000_000) / 2 ** 20).toFixed(0)} MiB` }
  }
  const replayRow = await measure('replay store (one key per accepted proof)', () => replay.remember(hash(), 360_000))
  const cacheRow = await measure('introspection cache (one key per token and presentation)', () => cache.set(`${hash()} DPoP ${jkt}`, { ...entry, until: Date.now() + 3_600_000 }, 3_600_000))
  const info = await redis.info('server')
  console.log(JSON.stringify({
    redis: /redis_version:(\S+)/.exec(info)[1],
    sampleCacheKeyBytes: Buffer.byteLength(cacheKey),
    sampleCacheValueBytes: Buffer.byteLength(sample),
    rows: [replayRow, cacheRow],
  }, null, 2))
} finally {
  redis.disconnect()
  server.kill('SIGTERM')
  await new Promise((resolve) => server.once('exit', resolve))
  rmSync(dir, { recursive: true, force: true })
}
