#!/usr/bin/env node
// `node test/bench/redis.mjs` (after `pnpm build`): the guard with its cache on, in-memory stores
// versus the Redis stores (@authlete-guard/redis: shared introspection cache and replay store), on
// the same Express 5 server under the same load. `pnpm bench` runs it after run.mjs when redis-server is installed.
//
// Processes, all on 127.0.0.1: this one (emulator as Authlete, load generator, report), one
// server per variant (forked from this file with --server; only one is loaded at a time), and a
// redis-server of its own (no persistence). Every request carries a fresh ES256 DPoP proof signed
// before the round, each sent once. Rounds are interleaved (A B, B A, ...).
// Env: BENCH_ROUNDS (default 2 per variant), BENCH_WINDOW_MS (3000), BENCH_WARMUP_MS (1000),
// BENCH_CONNECTIONS (32). Exit 0 when the run completed; 1 when the harness failed (or a variant
// answered anything but 200).
import { fork, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PUBLIC_URL = 'https://api.bench.test'
const PATH = '/api/me'

if (process.argv.includes('--server')) await serve()
else await main()

// ---------------------------------------------------------------- server (child)

async function serve() {
  const { variant, emu, redisPort } = JSON.parse(process.env.BENCH_REDIS_SERVER)
  const { default: express } = await import('express')
  const { createGuard, protect } = await import('@authlete-guard/express')
  let redis
  const options = { authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: PUBLIC_URL, cache: { ttlMs: 60_000 } }
  if (variant === 'redis') {
    const { Redis } = await import('ioredis')
    const { createRedisIntrospectionCache, createRedisReplayStore } = await import('@authlete-guard/redis')
    redis = new Redis(redisPort, '127.0.0.1', { maxRetriesPerRequest: 1, enableOfflineQueue: false })
    await new Promise((resolve) => redis.once('ready', resolve))
    options.cache.store = createRedisIntrospectionCache(redis)
    options.replay = createRedisReplayStore(redis)
  } else {
    const { createMemoryReplayStore } = await import('@authlete-guard/express')
    options.replay = createMemoryReplayStore({ maxEntries: 2_000_000 })
  }
  const guard = createGuard(options)
  const app = express()
  app.get(PATH, protect(guard, { scopes: ['read'] }), (req, res) => res.json({ sub: req.auth.subject }))
  const server = app.listen(0, '127.0.0.1', () => process.send({ event: 'ready', port: server.address().port }))
  // Rounds are seconds apart (proofs are signed in between): keep the load's connections open.
  server.keepAliveTimeout = 120_000
  process.on('message', (message) => {
    if (message === 'exit') process.exit(0)
  })
  process.on('disconnect', () => process.exit(0))
}

// ---------------------------------------------------------------- orchestration and load

async function main() {
  const { Pool } = await import('undici')
  const { createDpopKeyPair, createDpopProof, startEmulator } = await import('@authlete-guard/emulator')
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
  const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 3000)
  const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000)
  const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
  const CLIENTS = 32
  const VARIANTS = [
    { id: 'memory', label: 'guard, cache on (in-memory stores)' },
    { id: 'redis', label: 'guard, cache on, Redis store' },
  ]
  const children = []
  const cleanup = []
  process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')))

  try {
    // redis-server of its own
    const redisPort = await new Promise((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address()
        s.close(() => resolve(port))
      })
    })
    const dir = mkdtempSync(join(tmpdir(), 'authlete-guard-bench-redis-'))
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }))
    const redisServer = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], { stdio: 'ignore' })
    children.push(redisServer)
    await new Promise((resolve, reject) => {
      redisServer.once('error', (error) => reject(new Error(`redis-server could not start (install the Debian package \`redis-server\`): ${error.message}`)))
      redisServer.once('spawn', resolve)
    })

    const emu = await startEmulator({ port: 0 })
    cleanup.push(() => emu.close())
    emu.configure({ rejectReplayedProofs: false })
    const users = await Promise.all(Array.from({ length: CLIENTS }, async (_, i) => {
      const key = await createDpopKeyPair('ES256')
      const { accessToken } = await emu.createToken({ subject: `user-${i}`, scopes: ['read'], dpopKeyThumbprint: key.thumbprint })
      return { key, accessToken }
    }))

    const servers = {}
    for (const variant of VARIANTS) {
      const child = fork(fileURLToPath(import.meta.url), ['--server'], {
        env: { ...process.env, BENCH_REDIS_SERVER: JSON.stringify({ variant: variant.id, emu: { url: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, redisPort }) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      children.push(child)
      const port = await new Promise((resolve, reject) => {
        // redis-server may need a moment: the child's ioredis connects when it is up.
        const timer = setTimeout(() => reject(new Error(`server ${variant.id} did not start`)), 30_000)
        child.on('message', (m) => m?.event === 'ready' && (clearTimeout(timer), resolve(m.port)))
        child.once('exit', (code) => reject(new Error(`server ${variant.id} exited (${code})`)))
      })
      servers[variant.id] = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 })
    }

    async function sign(count) {
      const proofs = []
      for (let i = 0; i < count; i += 500) {
        proofs.push(...(await Promise.all(Array.from({ length: Math.min(500, count - i) }, (_, j) => {
          const user = users[(i + j) % CLIENTS]
          return createDpopProof(user.key, { htm: 'GET', htu: PUBLIC_URL + PATH, accessToken: user.accessToken }).then((dpop) => ({ dpop, token: user.accessToken }))
        }))))
      }
      return proofs
    }

    const best = {}
    /** A round; redone with twice the proofs when the load outran the estimate. */
    async function round(variant, estimate = Math.max(best[variant.id] ?? 8000, 3000) * 1.5) {
      const outcome = await roundWith(variant, Math.ceil((estimate * (WARMUP_MS + WINDOW_MS)) / 1000) + 500)
      return outcome ?? round(variant, estimate * 2)
    }
    async function roundWith(variant, count) {
      const pool = servers[variant.id]
      const proofs = await sign(count)
      let next = 0
      let ranOut = false
      const latencies = []
      const statuses = {}
      const started = performance.now()
      const windowStart = started + WARMUP_MS
      const windowEnd = windowStart + WINDOW_MS
      let inWindow = 0
      await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < windowEnd && !ranOut) {
          const proof = proofs[next++]
          if (!proof) {
            ranOut = true
            break
          }
          const sentAt = performance.now()
          const { statusCode, body } = await pool.request({ method: 'GET', path: PATH, headers: { authorization: `DPoP ${proof.token}`, dpop: proof.dpop } })
          await body.dump()
          const doneAt = performance.now()
          statuses[statusCode] = (statuses[statusCode] ?? 0) + 1
          if (sentAt >= windowStart && doneAt <= windowEnd) {
            inWindow++
            latencies.push(doneAt - sentAt)
          }
        }
      }))
      if (ranOut) return undefined
      latencies.sort((a, b) => a - b)
      const rate = inWindow / (WINDOW_MS / 1000)
      best[variant.id] = Math.max(best[variant.id] ?? 0, rate)
      return { rate, p50: latencies[Math.floor(latencies.length * 0.5)], p99: latencies[Math.floor(latencies.length * 0.99)], statuses }
    }

    // One request each first: the harness is right before anything is timed.
    for (const variant of VARIANTS) {
      const [proof] = await sign(1)
      const { statusCode, body } = await servers[variant.id].request({ method: 'GET', path: PATH, headers: { authorization: `DPoP ${proof.token}`, dpop: proof.dpop } })
      const text = await body.text()
      if (statusCode !== 200) throw new Error(`smoke request to ${variant.id} answered ${statusCode}: ${text}`)
    }
    // Then a round each, untimed: caches warm, JIT warm, and the rate estimate for the proofs.
    for (const variant of VARIANTS) await round(variant)
    const results = Object.fromEntries(VARIANTS.map((v) => [v.id, []]))
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()
      for (const variant of order) results[variant.id].push(await round(variant))
    }

    const introspections = emu.requests.filter((r) => r.apiPath === '/auth/introspection').length
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
    console.log(`\nguard with the cache on: in-memory stores vs Redis stores (${ROUNDS} rounds of ${WINDOW_MS} ms each, ${CONNECTIONS} connections, fresh ES256 DPoP proof per request; Express 5, Node ${process.version})\n`)
    console.log('| variant | req/s | p50 ms | p99 ms |')
    console.log('|---|---:|---:|---:|')
    let failed = false
    for (const variant of VARIANTS) {
      const rows = results[variant.id]
      const statuses = rows.reduce((acc, row) => ({ ...acc, ...Object.fromEntries(Object.entries(row.statuses).map(([k, v]) => [k, (acc[k] ?? 0) + v])) }), {})
      if (Object.keys(statuses).some((status) => status !== '200')) {
        failed = true
        console.error(`${variant.id} answered ${JSON.stringify(statuses)}`)
      }
      console.log(`| ${variant.label} | ${Math.round(median(rows.map((r) => r.rate)))} | ${median(rows.map((r) => r.p50)).toFixed(2)} | ${median(rows.map((r) => r.p99)).toFixed(2)} |`)
    }
    console.log(`\nAuthlete (emulator) introspections during the whole run: ${introspections} (${CLIENTS} tokens, cached).`)
    for (const pool of Object.values(servers)) await pool.close()
    process.exitCode = failed ? 1 : 0
  } catch (error) {
    console.error(`bench: harness failure: ${error.stack ?? error}`)
    process.exitCode = 1
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
    for (const step of cleanup.reverse()) await step()
  }
}
