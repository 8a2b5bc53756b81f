/**
 * Several instances, one truth: two API processes (Express and Fastify, the built packages), one
 * real redis-server and one emulator as Authlete, all on 127.0.0.1.
 *
 * - Replays: every proof accepted on one instance is replayed on the other, and refused there;
 *   proofs sent to both at once are accepted once. Control: two instances with in-memory stores
 *   accept each other's replays (the problem the Redis store solves).
 * - Shared cache: a token introspected on one instance is served from Redis on the other; the
 *   Authlete calls of the same load are counted with the shared cache and without it.
 * - Outage: Redis stopped (and then paused) mid-run: every request fails closed with 500, never
 *   200; the instances stay up, and answer 200 again once Redis is back.
 *
 * The emulator's own replay check is off, so every refusal counted here is the guards'. The
 * figures are printed (console.info) for the issue's closing note.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Pool } from 'undici'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { describeWithRedis, startRedisServer, type RedisServer } from '../support/redis'

const root = fileURLToPath(new URL('../..', import.meta.url))
const PUBLIC_URL = 'https://api.example.com'
const HTU = `${PUBLIC_URL}/api/me`
/** Proofs accepted on one instance and replayed on the other (the issue asks for at least 2,000). */
const REPLAY_PROOFS = 2000
/** Proofs sent to both instances at the same moment. */
const RACED_PROOFS = 400
/** Replays tried on the in-memory control pair. */
const CONTROL_PROOFS = 200
/** Fresh tokens in the shared-cache load. */
const CACHE_TOKENS = 40
const CONCURRENCY = 16

type Emulator = Awaited<ReturnType<typeof startEmulator>>
type Mode = 'redis' | 'memory'
type Framework = 'express' | 'fastify'

interface Instance {
  name: string
  framework: Framework
  mode: Mode
  child: ChildProcess
  pool: Pool
  stderr: () => string
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

interface Reply {
  status: number
  body: { sub?: string; source?: string; instance?: string; error?: string }
  wwwAuthenticate: string | undefined
}

let redis: RedisServer
let emu: Emulator
const instances: Instance[] = []
const figures: Record<string, unknown> = {}

async function ensureBuilt(): Promise<void> {
  const needed = ['core', 'express', 'fastify', 'redis']
  if (needed.every((name) => existsSync(join(root, 'packages', name, 'dist', 'index.js')))) return
  await promisify(execFile)('pnpm', ['-r', ...needed.flatMap((name) => ['--filter', `@authlete-guard/${name}`]), 'build'], { cwd: root })
}

async function startInstance(framework: Framework, mode: Mode): Promise<Instance> {
  const child = fork(fileURLToPath(new URL('./instance.mjs', import.meta.url)), [], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      MULTI_INSTANCE: JSON.stringify({ framework, mode, emu: { url: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, redisPort: redis.port, publicUrl: PUBLIC_URL }),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  child.stdout!.on('data', () => {})
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${framework}/${mode} did not start within 30 s: ${stderr}`)), 30_000)
    child.on('message', (message: { event?: string; port?: number }) => {
      if (message?.event === 'ready') {
        clearTimeout(timer)
        resolve(message.port!)
      }
    })
    void exit.then(({ code, signal }) => reject(new Error(`${framework}/${mode} exited (${code ?? signal}) while starting: ${stderr}`)))
  })
  const instance: Instance = {
    name: `${framework}/${mode}`,
    framework,
    mode,
    child,
    pool: new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY, pipelining: 1 }),
    stderr: () => stderr,
    exit,
  }
  instances.push(instance)
  return instance
}

/** The two instances of a mode: [Express, Fastify]. */
const pair = (mode: Mode) => (['express', 'fastify'] as const).map((framework) => instances.find((i) => i.mode === mode && i.framework === framework)!) as [Instance, Instance]

async function send(instance: Instance, token: string, proof: string): Promise<Reply> {
  const { statusCode, headers, body } = await instance.pool.request({ method: 'GET', path: '/api/me', headers: { authorization: `DPoP ${token}`, dpop: proof } })
  const text = await body.text()
  let parsed: Reply['body'] = {}
  try {
    parsed = JSON.parse(text)
  } catch {
    // a non-JSON body is judged by its status
  }
  const www = headers['www-authenticate']
  return { status: statusCode, body: parsed, wwwAuthenticate: Array.isArray(www) ? www[0] : www }
}

const proofFor = (key: DpopKeyPair, accessToken: string) => createDpopProof(key, { htm: 'GET', htu: HTU, accessToken })
const introspections = () => emu.requests.filter((r) => r.apiPath === '/auth/introspection').length

/** Run `count` jobs with at most `CONCURRENCY` at once. */
async function inParallel(count: number, job: (i: number) => Promise<void>, concurrency = CONCURRENCY): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await job(next++)
  }))
}

async function tokens(count: number, subject: string): Promise<Array<{ key: DpopKeyPair; accessToken: string }>> {
  return Promise.all(Array.from({ length: count }, async (_, i) => {
    const key = await createDpopKeyPair('ES256')
    const { accessToken } = await emu.createToken({ subject: `${subject}-${i}`, scopes: ['read'], dpopKeyThumbprint: key.thumbprint })
    return { key, accessToken }
  }))
}

describeWithRedis('several instances sharing one Redis (Express and Fastify processes, built packages)', () => {
  beforeAll(async () => {
    await ensureBuilt()
    redis = await startRedisServer()
    emu = await startEmulator({ port: 0 })
    emu.configure({ rejectReplayedProofs: false }) // the refusals counted here must be the guards'
    await Promise.all([startInstance('express', 'redis'), startInstance('fastify', 'redis'), startInstance('express', 'memory'), startInstance('fastify', 'memory')])
  }, 120_000)

  afterAll(async () => {
    for (const instance of instances) {
      await instance.pool.close().catch(() => {})
      if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGKILL')
    }
    await emu?.close()
    await redis?.close()
    if (Object.keys(figures).length) console.info(`multi-instance figures: ${JSON.stringify(figures, null, 2)}`)
  })

  it(`${REPLAY_PROOFS} proofs, each accepted on one instance and replayed on the other: every replay refused`, async () => {
    const [a, b] = pair('redis')
    const users = await tokens(8, 'replay')
    let accepted = 0
    let replaysTried = 0
    let replaysAccepted = 0
    const refusals = new Map<string, number>()
    await inParallel(REPLAY_PROOFS, async (i) => {
      const { key, accessToken } = users[i % users.length]!
      const [first, other] = i % 2 === 0 ? [a, b] : [b, a]
      const proof = await proofFor(key, accessToken)
      const used = await send(first, accessToken, proof)
      if (used.status === 200) accepted++
      else refusals.set(`first use ${used.status}`, (refusals.get(`first use ${used.status}`) ?? 0) + 1)
      replaysTried++
      const replay = await send(other, accessToken, proof)
      if (replay.status === 200) replaysAccepted++
      const why = `${replay.status} ${replay.body.error} ${/error="invalid_dpop_proof"/.test(replay.wwwAuthenticate ?? '') ? 'challenge ok' : replay.wwwAuthenticate}`
      refusals.set(why, (refusals.get(why) ?? 0) + 1)
    })
    figures.replays = { proofs: REPLAY_PROOFS, acceptedOnFirstUse: accepted, replaysTried, replaysAccepted, replayAnswers: Object.fromEntries(refusals) }
    expect(accepted).toBe(REPLAY_PROOFS)
    expect(replaysTried).toBe(REPLAY_PROOFS)
    expect(replaysAccepted).toBe(0)
    expect(Object.fromEntries(refusals)).toEqual({ '401 invalid_dpop_proof challenge ok': REPLAY_PROOFS })
  }, 180_000)

  it(`${RACED_PROOFS} proofs sent to both instances at the same moment: each accepted exactly once`, async () => {
    const [a, b] = pair('redis')
    const users = await tokens(4, 'race')
    // Warm the shared cache, so that both requests of a race reach the replay check together.
    for (const { key, accessToken } of users) expect((await send(a, accessToken, await proofFor(key, accessToken))).status).toBe(200)
    const acceptedPerProof: number[] = []
    const statuses = new Map<number, number>()
    await inParallel(RACED_PROOFS, async (i) => {
      const { key, accessToken } = users[i % users.length]!
      const proof = await proofFor(key, accessToken)
      const replies = await Promise.all([send(a, accessToken, proof), send(b, accessToken, proof)])
      for (const reply of replies) statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1)
      acceptedPerProof.push(replies.filter((r) => r.status === 200).length)
    }, 8)
    figures.races = { proofs: RACED_PROOFS, requests: 2 * RACED_PROOFS, statuses: Object.fromEntries(statuses), proofsAcceptedTwice: acceptedPerProof.filter((n) => n > 1).length }
    expect(acceptedPerProof.filter((n) => n !== 1)).toEqual([])
    expect(Object.fromEntries(statuses)).toEqual({ 200: RACED_PROOFS, 401: RACED_PROOFS })
  }, 120_000)

  it('control: with in-memory stores, the other instance accepts every replay', async () => {
    const [a, b] = pair('memory')
    const users = await tokens(4, 'control')
    let replaysAccepted = 0
    await inParallel(CONTROL_PROOFS, async (i) => {
      const { key, accessToken } = users[i % users.length]!
      const proof = await proofFor(key, accessToken)
      expect((await send(i % 2 ? a : b, accessToken, proof)).status).toBe(200)
      if ((await send(i % 2 ? b : a, accessToken, proof)).status === 200) replaysAccepted++
    })
    figures.controlInMemory = { replaysTried: CONTROL_PROOFS, replaysAccepted }
    expect(replaysAccepted).toBe(CONTROL_PROOFS)
  }, 120_000)

  it('a token introspected on one instance is served from the shared cache on the other: half the Authlete calls of in-memory caches', async () => {
    // The same load on each pair: per fresh token, one request on A, two on B, one more on A.
    async function load(mode: Mode) {
      const [a, b] = pair(mode)
      const users = await tokens(CACHE_TOKENS, `cache-${mode}`)
      const before = introspections()
      const sources: Record<string, number> = {}
      let requests = 0
      await inParallel(CACHE_TOKENS, async (i) => {
        const { key, accessToken } = users[i]!
        for (const [n, instance] of [a, b, b, a].entries()) {
          const reply = await send(instance, accessToken, await proofFor(key, accessToken))
          expect(reply.status).toBe(200)
          requests++
          const label = `${n === 0 ? 'first' : 'later'} on ${instance.framework}: ${reply.body.source}`
          sources[label] = (sources[label] ?? 0) + 1
        }
      })
      return { tokens: CACHE_TOKENS, requests, authleteCalls: introspections() - before, sources }
    }
    const shared = await load('redis')
    const perInstance = await load('memory')
    figures.cache = { sharedRedisCache: shared, inMemoryCachePerInstance: perInstance }
    expect(shared.authleteCalls).toBe(CACHE_TOKENS)
    expect(perInstance.authleteCalls).toBe(2 * CACHE_TOKENS)
    expect(shared.sources).toEqual({ 'first on express: authlete': CACHE_TOKENS, 'later on fastify: cache': 2 * CACHE_TOKENS, 'later on express: cache': CACHE_TOKENS })
    expect(perInstance.sources).toEqual({ 'first on express: authlete': CACHE_TOKENS, 'later on fastify: authlete': CACHE_TOKENS, 'later on fastify: cache': CACHE_TOKENS, 'later on express: cache': CACHE_TOKENS })
  }, 120_000)

  it('Redis stopped, then paused, mid-run: every request fails closed with 500, never 200; 200 again once Redis is back', async () => {
    const [a, b] = pair('redis')
    const users = await tokens(4, 'outage')
    interface Sample { sentAt: number; doneAt: number; status: number; error: string | undefined; instance: string }
    const samples: Sample[] = []
    let running = true
    const loop = inParallel(6, async (w) => {
      for (let n = 0; running; n++) {
        const { key, accessToken } = users[(w + n) % users.length]!
        const instance = (w + n) % 2 ? a : b
        const proof = await proofFor(key, accessToken)
        const sentAt = performance.now()
        const reply = await send(instance, accessToken, proof)
        samples.push({ sentAt, doneAt: performance.now(), status: reply.status, error: reply.body.error, instance: instance.framework })
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    }, 6)
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    const between = (from: number, to: number) => samples.filter((s) => s.sentAt >= from && s.doneAt <= to)
    const count = (list: Sample[]) => list.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s.status]: (acc[s.status] ?? 0) + 1 }), {})
    /** Resolves when both instances have answered 200 to requests sent after `from`. */
    const recovered = async (from: number) => {
      const deadline = performance.now() + 15_000
      while (performance.now() < deadline) {
        const ok = new Set(samples.filter((s) => s.sentAt >= from && s.status === 200).map((s) => s.instance))
        if (ok.size === 2) return performance.now()
        await wait(20)
      }
      throw new Error(`no 200 from both instances within 15 s of Redis coming back: ${JSON.stringify(count(samples.filter((s) => s.sentAt >= from)))}`)
    }

    try {
      const startedAt = performance.now()
      await wait(700)
      const beforeOutage = between(startedAt, performance.now())

      await redis.stop()
      const stoppedAt = performance.now()
      await wait(1500)
      const restartingAt = performance.now()
      await redis.start()
      const restartedAt = performance.now()
      const backAt = await recovered(restartedAt)
      await wait(700)
      const afterRestart = between(backAt, performance.now())

      redis.pause()
      const pausedAt = performance.now()
      await wait(2000)
      const resumingAt = performance.now()
      redis.resume()
      const resumedAt = performance.now()
      const backFromPauseAt = await recovered(resumedAt)
      await wait(700)
      running = false
      await loop
      const end = performance.now()
      const afterPause = between(backFromPauseAt, end)

      const stopped = between(stoppedAt, restartingAt)
      const paused = between(pausedAt, resumingAt)
      const serverErrors = samples.filter((s) => s.status === 500)
      figures.outage = {
        requests: samples.length,
        statuses: count(samples),
        beforeOutage: count(beforeOutage),
        whileStopped: count(stopped),
        msToRecoverAfterRestart: Math.round(backAt - restartedAt),
        afterRestart: count(afterRestart),
        whilePaused: count(paused),
        slowestWhilePausedMs: Math.round(Math.max(...paused.map((s) => s.doneAt - s.sentAt))),
        msToRecoverAfterResume: Math.round(backFromPauseAt - resumedAt),
        afterPause: count(afterPause),
      }

      expect(Object.keys(count(samples)).sort()).toEqual(['200', '500'])
      expect(count(beforeOutage)).toEqual({ 200: beforeOutage.length })
      expect(stopped.length).toBeGreaterThan(20)
      expect(count(stopped)).toEqual({ 500: stopped.length })
      expect(paused.length).toBeGreaterThan(5)
      expect(count(paused)).toEqual({ 500: paused.length })
      // Each request waits for at most the store's 500 ms (plus the load of this machine), never the guard's 2 s.
      expect(Math.max(...paused.map((s) => s.doneAt - s.sentAt))).toBeLessThan(1900)
      expect(afterRestart.length).toBeGreaterThan(10)
      expect(count(afterRestart)).toEqual({ 200: afterRestart.length })
      expect(afterPause.length).toBeGreaterThan(10)
      expect(count(afterPause)).toEqual({ 200: afterPause.length })
      expect(new Set(serverErrors.map((s) => s.error))).toEqual(new Set(['server_error']))
    } finally {
      running = false
      redis.resume()
      await redis.start()
      await loop
    }

    for (const instance of [a, b]) {
      const stats = await new Promise<{ storeErrors: number; redisErrors: number }>((resolve) => {
        instance.child.once('message', (message: { event: string; storeErrors: number; redisErrors: number }) => resolve(message))
        instance.child.send({ type: 'stats' })
      })
      expect(stats.storeErrors).toBeGreaterThan(0)
    }
  }, 120_000)

  it('no instance crashed nor logged an unhandled rejection; each closes cleanly (exit 0, empty stderr)', async () => {
    for (const instance of instances) {
      expect(instance.child.exitCode, instance.name).toBeNull()
      instance.child.send({ type: 'close' })
      const { code, signal } = await instance.exit
      expect({ name: instance.name, code, signal, stderr: instance.stderr() }).toEqual({ name: instance.name, code: 0, signal: null, stderr: '' })
    }
  }, 60_000)
})
