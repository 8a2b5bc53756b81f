#!/usr/bin/env node
// `pnpm bench`: the guard side by side with a bare route, express-oauth2-jwt-bearer's local DPoP
// path and a hand-written undici call to Authlete, under the same load, in one run.
//
// Processes (all on 127.0.0.1, nothing else is contacted):
//   - the Authlete emulator, with 0 ms and then 20 ms added to /auth/introspection (BENCH_LATENCIES);
//   - one Express 5 server per variant (only one is loaded at a time);
//   - the load generator: 32 keep-alive connections, every request with a fresh ES256 DPoP proof
//     signed before the round (each proof is sent once);
//   - this process: orchestration, a local issuer + JWKS for express-oauth2-jwt-bearer, the report.
//
// Phases:
//   1. Saturation, at each Authlete latency: a closed loop (each connection sends its next request
//      as soon as the previous answer arrives), so req/s is the server's ceiling. Latency there is
//      mostly the queue (32 connections / throughput, Little's law): the table prints it, but the
//      p99 target is judged in phase 2.
//   2. Fixed rate, right after the saturation rounds at +20 ms: every variant at one rate R, an open
//      loop over the same 32 connections. Request i is due at t0 + i/R; it is sent at that time on
//      a free connection (or as soon as one frees up) and its latency counts from its due time, so
//      a stall is charged to every request it delays (no coordinated omission, as wrk2 does).
//      R = 25% of the cache-on guard's median saturation req/s at +20 ms, rounded down to a
//      multiple of 50 (an open loop costs the server ~1.5x the CPU per request of a saturated
//      closed loop, which batches many requests per wake-up: 25% of that ceiling keeps the server
//      about 40% busy; 50% would be near saturation again) (BENCH_FIXED_RATE overrides it); a variant whose own saturation req/s at
//      +20 ms is below 1.25 x R is skipped (the report says so). Not run without cacheOn or +20 ms.
//      "cache on p99 < 20 ms with Authlete at +20 ms" is judged here (its line also states the
//      saturation p99 of cache on and of the bare route); cache off vs the hand-written call at R
//      is printed as information.
//   Rounds of both phases are interleaved (A B C D E, then E D C B A, ...) so the ratios come from
//   the same minutes, with the same windows.
//   3. 100 concurrent requests with one token against the cached guard (Authlete calls counted).
//   4. 1,000,000 distinct tokens through a guard with the default limits (heap growth).
//
// A/B of a change: BENCH_BUILDS names other checkouts with their packages built (e.g. a git worktree
// with one mechanism switched off); a variant `cacheOn@name` is the cacheOn server with the adapter
// and core of checkout `name`, run in the same interleaved rounds as `cacheOn`, and the report's
// A/B table gives their ratios round by round (median, lowest..highest).
//
// A full default run writes its report, with the machine, Node version, date and commit, to
// test/bench/RESULTS.md (BENCH_RESULTS=file: any run's report to that file).
// Exit code: 0 when the run completed, whatever the targets say (they are printed met/MISSED);
// 1 when the harness failed (a child died, a variant answered errors, ...).
// Options: --no-heap (skip the 1M-token run), --profile[=variant] (a V8 CPU profile of that
// server, default the cache-on one: where its main thread spends time, top self time in packages/core),
// --quick (short rounds, to check the harness). Env: BENCH_ROUNDS, BENCH_WINDOW_MS, BENCH_WARMUP_MS,
// BENCH_VARIANTS (a comma list of variant ids, each `id` or `id@build`), BENCH_BUILDS (name=dir,...),
// BENCH_LATENCIES (comma list of Authlete latencies in ms, default 0,20), BENCH_FIXED_RATE (R in
// req/s), BENCH_RESULTS (file for the report), BENCH_RAW (file for every round's figures, JSON lines).
import { execFileSync, fork } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import os, { availableParallelism, tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { rpc } from './lib/ipc.mjs'
import { foreignLoad, snapshot } from './lib/machine.mjs'
import { selfTimes } from './lib/profile.mjs'

const here = fileURLToPath(new URL('.', import.meta.url))
const argv = process.argv.slice(2)
const args = new Set(argv)
const quick = args.has('--quick')
// --profile or --profile=<variant id>: which server runs under --cpu-prof (default cacheOn).
const profile = argv.find((a) => a === '--profile' || a.startsWith('--profile='))?.replace(/^--profile=?/, '') || (argv.some((a) => a.startsWith('--profile')) ? 'cacheOn' : undefined)
// Many short rounds rather than a few long ones: on a shared machine, other work comes and goes,
// and fine interleaving spreads it over every variant alike.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (quick ? 1 : 4))
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? (quick ? 1000 : 1500))
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? (quick ? 500 : 300)) // connections opened, pool filled
const FIRST_WARMUP_MS = Math.max(WARMUP_MS, 1000) // a variant's first round also warms the JIT
const CONNECTIONS = 32
// BENCH_LATENCIES=0,20: the Authlete latencies of the saturation phase, in that order.
const LATENCIES = (process.env.BENCH_LATENCIES ?? '0,20').split(',').map((x) => Number(x.trim()))
if (LATENCIES.length === 0 || LATENCIES.some((ms) => !Number.isInteger(ms) || ms < 0 || ms > 1000)) {
  console.error(`bench: BENCH_LATENCIES must be a comma list of whole milliseconds (0..1000), got ${JSON.stringify(process.env.BENCH_LATENCIES)}`)
  process.exit(1)
}
// The fixed-rate phase (after the saturation rounds at +20 ms): every variant at one rate R, in
// an open loop, where latency means something (at saturation it is only the queue: connections /
// throughput). R = FIXED_SHARE of the cache-on guard's median saturation req/s at +20 ms, rounded
// down to a multiple of 50 (BENCH_FIXED_RATE overrides it); a variant whose own saturation req/s
// at +20 ms is below FIXED_HEADROOM x R is skipped (it could not sustain R).
const FIXED_LATENCY = 20
const FIXED_SHARE = 0.25 // of the closed-loop ceiling: ~40% busy in the open loop (see the header)
const FIXED_HEADROOM = 1.25
const FIXED_DRAIN_MS = 5000 // after a fixed-rate window: its answers are awaited at most this long
const FIXED_RATE = process.env.BENCH_FIXED_RATE === undefined ? undefined : Number(process.env.BENCH_FIXED_RATE)
if (FIXED_RATE !== undefined && !(Number.isFinite(FIXED_RATE) && FIXED_RATE > 0 && FIXED_RATE <= 100_000)) {
  console.error(`bench: BENCH_FIXED_RATE must be a rate in req/s (0 < R <= 100000), got ${JSON.stringify(process.env.BENCH_FIXED_RATE)}`)
  process.exit(1)
}
const CLIENTS = 32 // distinct keys and tokens in the load (one per connection's worth of users)
const HOST = 'api.bench.test' // sent as Host: the htu is the same whatever port a server got
const PATH = '/api/me'
const PUBLIC_URL = `http://${HOST}`
const CPUS = availableParallelism()
const BUCKETS = 2048 // the load generator's latency histogram: 1% log buckets from 1 µs
const started = performance.now()

const ALL_VARIANTS = [
  { id: 'bare', label: 'bare route (no auth)', kind: 'none' },
  { id: 'cacheOff', label: 'guard, cache off', kind: 'emu' },
  { id: 'cacheOn', label: 'guard, cache on', kind: 'emu' },
  { id: 'auth0', label: 'express-oauth2-jwt-bearer', kind: 'jwt' },
  { id: 'undici', label: 'hand-written undici call', kind: 'emu' },
]
// BENCH_BUILDS=name=dir,...: other checkouts of this repository with their packages built (e.g. a
// git worktree with one mechanism switched off). A variant `id@name` is variant `id` with the
// adapter (and so the core) loaded from that checkout; `A/B` in the report compares it, round by
// round, with `id` from this one.
const BUILDS = new Map()
for (const pair of (process.env.BENCH_BUILDS ?? '').split(',').filter((x) => x.trim() !== '')) {
  const [name, dir] = pair.split('=').map((x) => x?.trim())
  const entry = dir && resolve(dir, 'packages/express/dist/index.js')
  if (!name || !/^[\w-]+$/.test(name) || !entry || !existsSync(entry)) {
    console.error(`bench: BENCH_BUILDS wants name=dir pairs, dir a checkout with packages/express/dist built; got ${JSON.stringify(pair)}`)
    process.exit(1)
  }
  BUILDS.set(name, { dir: resolve(dir), entry })
}
/** `id` or `id@build` (BENCH_BUILDS) as a variant. */
function variantOf(spec) {
  const [id, build] = spec.trim().split('@')
  const v = ALL_VARIANTS.find((x) => x.id === id)
  if (!v || (build !== undefined && !BUILDS.has(build))) {
    console.error(`bench: unknown variant ${JSON.stringify(spec)} in BENCH_VARIANTS (variants: ${ALL_VARIANTS.map((x) => x.id).join(', ')}; builds: ${[...BUILDS.keys()].join(', ') || 'none, see BENCH_BUILDS'})`)
    process.exit(1)
  }
  return build === undefined ? v : { ...v, id: `${id}@${build}`, base: id, build, entry: BUILDS.get(build).entry, label: `${v.label} [${build}]` }
}
// BENCH_VARIANTS=bare,cacheOn,cacheOn@other: these, in this order (the targets that need a missing variant are not printed).
const VARIANTS = process.env.BENCH_VARIANTS ? process.env.BENCH_VARIANTS.split(',').map(variantOf) : ALL_VARIANTS

// ---------------------------------------------------------------- children and cleanup

const children = new Set()
let failed = false
function harnessFailure(message) {
  failed = true
  console.error(`bench: harness failure: ${message}`)
}
function killAll() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}
process.on('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    killAll()
    process.exit(130)
  })
}

function start(name, file, { env = {}, execArgv = [] } = {}) {
  const child = fork(join(here, file), [], {
    env: { ...process.env, ...env },
    execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  child.benchName = name
  children.add(child)
  child.on('exit', (code, signal) => {
    children.delete(child)
    if (!child.expectedExit) {
      harnessFailure(`${name} exited (${signal ?? code}) during the run`)
      killAll()
      process.exit(1)
    }
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s`)), 60_000)
    child.on('message', function onReady(message) {
      if (message?.event !== 'ready') return
      clearTimeout(timer)
      child.off('message', onReady)
      resolve({ child, ...message })
    })
  })
}

async function stop(child) {
  if (!child || child.exitCode !== null) return
  child.expectedExit = true
  const exited = new Promise((resolve) => child.once('exit', resolve))
  await rpc(child, 'exit', null, 10_000).catch(() => child.kill('SIGKILL'))
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))])
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}

// ---------------------------------------------------------------- issuer and JWKS for express-oauth2-jwt-bearer

const rsa = await generateKeyPair('RS256')
const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' }
const issuerServer = http.createServer((req, res) => {
  const base = `http://127.0.0.1:${issuerServer.address().port}`
  const body =
    req.url === '/.well-known/openid-configuration'
      ? { issuer: `${base}/`, jwks_uri: `${base}/.well-known/jwks.json` }
      : req.url === '/.well-known/jwks.json'
        ? { keys: [jwk] }
        : undefined
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}))
})
await new Promise((resolve) => issuerServer.listen(0, '127.0.0.1', resolve))
const issuer = `http://127.0.0.1:${issuerServer.address().port}/`
const audience = `${PUBLIC_URL}/`

function mintJwt(thumbprint, i) {
  return new SignJWT({ scope: 'read', cnf: { jkt: thumbprint }, client_id: 'bench' })
    .setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(`user-${i}`)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(rsa.privateKey)
}

// ---------------------------------------------------------------- start everything

const emulator = await start('emulator', 'children/emulator.mjs')
const loadgen = await start('load generator', 'children/loadgen.mjs', { env: { BENCH_LOADGEN: JSON.stringify({ clientCount: CLIENTS, host: HOST, path: PATH }) } })
const emuTokens = await rpc(emulator.child, 'tokens', { thumbprints: loadgen.thumbprints, scopes: ['read'] })
const jwtTokens = await Promise.all(loadgen.thumbprints.map(mintJwt))
await rpc(loadgen.child, 'tokens', { emu: emuTokens, jwt: jwtTokens })

// Every proof the run sends to one server stays inside its iat window (the run is shorter than
// it): the replay store holds them all, at a rate no variant here reaches.
const trafficSeconds = ((LATENCIES.length + 1) * ROUNDS * (WINDOW_MS + WARMUP_MS) + FIRST_WARMUP_MS) / 1000 + 10 // + the fixed-rate phase
const replayMaxEntries = Math.max(100_000, Math.ceil(25_000 * trafficSeconds))
const profileDir = profile ? mkdtempSync(join(tmpdir(), 'authlete-guard-bench-')) : undefined
const servers = {}
await Promise.all(
  VARIANTS.map(async (v) => {
    const execArgv = profile === v.id ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
    const env = {
      BENCH_SERVER: JSON.stringify({
        variant: v.base ?? v.id,
        adapter: v.entry, // undefined: @authlete-guard/express of this checkout
        emu: { url: emulator.url, serviceId: emulator.serviceId, accessToken: emulator.accessToken },
        jwt: { issuerBaseURL: issuer, audience },
        publicUrl: PUBLIC_URL,
        replayMaxEntries,
      }),
    }
    servers[v.id] = await start(`server (${v.id})`, 'children/server.mjs', { env, execArgv })
  }),
)

// Before anything is timed: each variant accepts a good request, and each DPoP verifier refuses a
// proof signed for another URL (so no variant is fast because it checks nothing).
for (const v of VARIANTS) {
  const kind = v.kind === 'none' ? 'emu' : v.kind
  const good = await rpc(loadgen.child, 'smoke', { port: servers[v.id].port, kind })
  const bad = await rpc(loadgen.child, 'smoke', { port: servers[v.id].port, kind, wrongHtu: true })
  const badOk = v.kind === 'none' ? bad.status === 200 : bad.status === 401 || bad.status === 400
  if (good.status !== 200 || !badOk) {
    harnessFailure(`smoke requests to ${v.id}: good proof ${good.status}, proof for another htu ${bad.status}:\n${good.head}\n${good.body ?? ''}\n${bad.head}\n${bad.body ?? ''}`)
    process.exit(1)
  }
}

// ---------------------------------------------------------------- figures

function fmtInt(n) {
  return Math.round(n).toLocaleString('en-US')
}
const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2))
function percentile(hist, p) {
  const total = hist.reduce((a, b) => a + b, 0)
  const rank = Math.ceil((p / 100) * total)
  let seen = 0
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]
    if (seen >= rank) return 1.01 ** (i + 0.5) / 1000 // bucket middle, ms
  }
  return NaN
}
function aggregate(variant, latency) {
  const rounds = results.filter((r) => r.variant === variant && r.latency === latency)
  if (rounds.length === 0) return undefined
  const hist = new Array(BUCKETS).fill(0)
  for (const r of rounds) r.hist.forEach((n, i) => (hist[i] += n))
  const count = rounds.reduce((a, r) => a + r.count, 0)
  const seconds = rounds.reduce((a, r) => a + r.seconds, 0)
  const rates = rounds.map((r) => r.rate).sort((a, b) => a - b)
  const mid = rates.length / 2
  return {
    // The median round: one round that other work on the machine hit does not move it.
    rate: rates.length % 2 ? rates[Math.floor(mid)] : (rates[mid - 1] + rates[mid]) / 2,
    total: count / seconds,
    rates: rounds.map((r) => r.rate),
    mean: rounds.reduce((a, r) => a + r.sumMs, 0) / count,
    p50: percentile(hist, 50),
    p99: percentile(hist, 99),
    cpu: rounds.reduce((a, r) => a + r.cpuMicros, 0) / rounds.reduce((a, r) => a + r.serverRequests, 0),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    callsPerRequest: rounds.reduce((a, r) => a + r.authleteCalls, 0) / rounds.reduce((a, r) => a + r.responses, 0),
  }
}
/** The fixed-rate rounds of one variant, together. */
function fixedAggregate(variant) {
  const rounds = fixedResults.filter((r) => r.variant === variant)
  if (rounds.length === 0) return undefined
  const hist = new Array(BUCKETS).fill(0)
  for (const r of rounds) r.hist.forEach((n, i) => (hist[i] += n))
  const sends = rounds.reduce((a, r) => a + r.windowSends, 0)
  const max = Math.max(...rounds.map((r) => r.maxMs))
  const at = (p) => Math.min(percentile(hist, p), max) // a bucket's middle can lie above the exact max
  return {
    rate: rounds[0].rate,
    // Window requests sent per second of sending, all rounds together.
    achieved: sends / rounds.reduce((a, r) => a + (r.achievedRate > 0 ? r.windowSends / r.achievedRate : 0), 0),
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max,
    cpu: rounds.reduce((a, r) => a + r.cpuMicros, 0) / rounds.reduce((a, r) => a + r.serverRequests, 0),
    late: rounds.reduce((a, r) => a + r.late, 0),
    unanswered: rounds.reduce((a, r) => a + r.unanswered, 0),
    count: rounds.reduce((a, r) => a + r.count, 0),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    callsPerRequest: rounds.reduce((a, r) => a + r.authleteCalls, 0) / rounds.reduce((a, r) => a + r.responses, 0),
  }
}

// ---------------------------------------------------------------- rounds

const results = [] // one per saturation round
const fixedResults = [] // one per fixed-rate round
const bestRate = {} // variant -> highest req/s seen, to size the next round's proofs

const warmedUp = new Set()

/** One load-generator call on `variant`'s server, its timed window bracketed by CPU marks. */
async function measured(variant, type, payload) {
  const server = servers[variant.id].child
  const marks = []
  const machine = []
  const pids = () => [process.pid, ...[...children].map((c) => c.pid)]
  const onEvent = (message) => {
    if (message?.event === 'window-start') {
      marks.push(rpc(server, 'mark-start'))
      machine.push(snapshot(pids()))
    }
    if (message?.event === 'window-end') {
      marks.push(rpc(server, 'mark-end'))
      machine.push(snapshot(pids()))
    }
  }
  loadgen.child.on('message', onEvent)
  const callsBefore = await rpc(emulator.child, 'introspections')
  let r
  try {
    r = await rpc(loadgen.child, type, payload, 180_000)
  } finally {
    loadgen.child.off('message', onEvent)
  }
  const [, cpu] = await Promise.all(marks)
  const authleteCalls = (await rpc(emulator.child, 'introspections')) - callsBefore
  const foreign = foreignLoad(machine[0], machine[1])
  const use = (child) => ((foreign?.perPid[child.pid] ?? 0) * CPUS).toFixed(2)
  const cpuNote = foreign ? `; CPUs used: server ${use(server)}, load ${use(loadgen.child)}, emulator ${use(emulator.child)}, other processes ${(foreign.share * CPUS).toFixed(2)}` : ''
  return { r, cpu, authleteCalls, foreign, cpuNote }
}

function checkErrors(variant, latency, r) {
  if (r.errors + r.warmupErrors > 0) {
    const total = r.count
    const share = total ? r.errors / total : 1
    console.error(`  ${variant.id}: ${r.errors} non-2xx in the window, ${r.warmupErrors} in the warm-up; first:\n${r.firstError}`)
    if (share > 0.01 || r.warmupErrors > 100) harnessFailure(`${variant.id} @ ${latency} ms answered ${(share * 100).toFixed(1)}% non-2xx`)
  }
}

/** A saturation round: closed loop, each connection sends its next request on the previous answer. */
async function runRound(variant, latency) {
  const warmupMs = warmedUp.has(variant.id) ? WARMUP_MS : FIRST_WARMUP_MS
  warmedUp.add(variant.id)
  const estimate = bestRate[variant.id] ?? (variant.kind === 'jwt' ? 8000 : 6000)
  const need = variant.kind === 'none' ? 0 : Math.ceil((estimate * (warmupMs + WINDOW_MS) / 1000) * 1.3) + 1000
  const { r, cpu, authleteCalls, foreign, cpuNote } = await measured(variant, 'round', { port: servers[variant.id].port, kind: variant.kind, need, warmupMs, durationMs: WINDOW_MS, connections: CONNECTIONS })
  if (!r.hist || !cpu) {
    harnessFailure(`${variant.id} @ ${latency} ms: no timed window (proof pool ran out in the warm-up?)`)
    return
  }
  const rate = r.count / r.seconds
  bestRate[variant.id] = Math.max(bestRate[variant.id] ?? 0, rate)
  results.push({ variant: variant.id, latency, ...r, rate, cpuMicros: cpu.cpuMicros, serverRequests: cpu.requests, foreign, authleteCalls })
  const note = r.exhausted ? ' (proofs ran out: window cut short)' : ''
  process.stderr.write(`  ${variant.id.padEnd(8)} @ ${String(latency).padStart(2)} ms: ${fmtInt(rate).padStart(7)} req/s, ${r.errors} non-2xx, ${(r.prepareMs / 1000).toFixed(1)} s signing${cpuNote}${note}\n`)
  checkErrors(variant, latency, r)
}

/** A fixed-rate round: open loop at `rate`, latency from each request's due time. */
async function runFixed(variant, latency, rate) {
  const { r, cpu, authleteCalls, foreign, cpuNote } = await measured(variant, 'fixed', { port: servers[variant.id].port, kind: variant.kind, rate, warmupMs: WARMUP_MS, durationMs: WINDOW_MS, connections: CONNECTIONS, drainMs: FIXED_DRAIN_MS })
  if (!cpu) {
    harnessFailure(`${variant.id} @ ${latency} ms, fixed rate: no CPU marks`)
    return
  }
  fixedResults.push({ variant: variant.id, latency, ...r, cpuMicros: cpu.cpuMicros, serverRequests: cpu.requests, foreign, authleteCalls })
  const note = r.unanswered ? `, ${r.unanswered} UNANSWERED within ${FIXED_DRAIN_MS / 1000} s after the window (counted at their latency so far)` : ''
  process.stderr.write(`  ${variant.id.padEnd(8)} @ ${String(latency).padStart(2)} ms, ${fmtInt(rate)} req/s asked: ${fmtInt(r.achievedRate).padStart(7)} sent/s, p99 ${fmtMs(Math.min(percentile(r.hist, 99), r.maxMs))} ms, ${r.late} sent >1 ms late, ${r.errors} non-2xx, ${(r.prepareMs / 1000).toFixed(1)} s signing${cpuNote}${note}\n`)
  checkErrors(variant, latency, r)
}

// The fixed-rate phase: which rate, which variants (decided after the saturation rounds at +20 ms).
const fixed = { rate: undefined, variants: [], skipped: [], note: undefined }
async function fixedPhase(latency) {
  const saturation = (id) => aggregate(id, latency)?.rate
  const onRate = saturation('cacheOn')
  if (onRate === undefined) {
    fixed.note = 'no fixed-rate phase: the variants run (BENCH_VARIANTS) do not include cacheOn, whose saturation req/s sets its rate'
    return
  }
  fixed.rate = FIXED_RATE ?? Math.floor((FIXED_SHARE * onRate) / 50) * 50
  fixed.how = FIXED_RATE !== undefined ? 'BENCH_FIXED_RATE' : `${FIXED_SHARE * 100}% of the cache-on guard's median saturation req/s at +${latency} ms (${fmtInt(onRate)}), rounded down to a multiple of 50`
  if (!(fixed.rate > 0)) {
    fixed.note = `no fixed-rate phase: the rate came out at ${fixed.rate} req/s`
    fixed.rate = undefined
    return
  }
  for (const v of VARIANTS) {
    const own = saturation(v.id)
    if (own !== undefined && own >= FIXED_HEADROOM * fixed.rate) fixed.variants.push(v)
    else fixed.skipped.push({ variant: v, saturation: own })
  }
  process.stderr.write(`Authlete latency ${latency} ms, fixed rate ${fmtInt(fixed.rate)} req/s (${fixed.how})${fixed.skipped.length ? `; skipped: ${fixed.skipped.map((s) => s.variant.id).join(', ')}` : ''}:\n`)
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? fixed.variants : [...fixed.variants].reverse()
    for (const v of order) await runFixed(v, latency, fixed.rate)
  }
}

for (const latency of LATENCIES) {
  await rpc(emulator.child, 'latency', { ms: latency })
  process.stderr.write(`Authlete latency ${latency} ms:\n`)
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()
    for (const v of order) await runRound(v, latency)
  }
  if (latency === FIXED_LATENCY) await fixedPhase(latency)
}
if (!LATENCIES.includes(FIXED_LATENCY)) fixed.note = `no fixed-rate phase: BENCH_LATENCIES does not include ${FIXED_LATENCY}`

// ---------------------------------------------------------------- coalescing: 100 concurrent requests, one token

const BURST = 100
await rpc(emulator.child, 'latency', { ms: 20 })
const [burstToken] = await rpc(emulator.child, 'tokens', { thumbprints: [loadgen.burstThumbprint], scopes: ['read'] })
const callsBefore = await rpc(emulator.child, 'introspections')
const burst = !servers.cacheOn ? { statuses: {} } : await rpc(loadgen.child, 'burst', { port: servers.cacheOn.port, token: burstToken, n: BURST })
await new Promise((resolve) => setTimeout(resolve, 300)) // the emulator's log is drained every 250 ms
const burstCalls = (await rpc(emulator.child, 'introspections')) - callsBefore
const burstOk = burst.statuses[200] ?? 0

const signing = await rpc(loadgen.child, 'stats')
await Promise.all([...Object.values(servers).map((s) => stop(s.child)), stop(loadgen.child), stop(emulator.child)])
issuerServer.close()

// ---------------------------------------------------------------- 1,000,000 tokens: heap growth

const heap = args.has('--no-heap') ? undefined : await new Promise((resolve) => {
  const child = fork(join(here, 'children/heap.mjs'), [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  children.add(child)
  child.expectedExit = true
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.on('exit', (code) => {
    children.delete(child)
    try {
      resolve(JSON.parse(out.trim().split('\n').pop()))
    } catch {
      harnessFailure(`heap run exited ${code} without a result`)
      resolve(undefined)
    }
  })
})

// ---------------------------------------------------------------- report

// What the report prints, kept for RESULTS.md.
const reportLines = []
function say(text) {
  reportLines.push(...String(text).split('\n'))
  console.log(text)
}

// BENCH_RAW=file: every round's figures as JSON lines, for analysis outside this report.
if (process.env.BENCH_RAW) {
  const raw = (phase) => (r) => JSON.stringify({ phase, variant: r.variant, latency: r.latency, rate: r.rate ?? r.achievedRate, cpu: r.cpuMicros / r.serverRequests, p50: percentile(r.hist, 50), p99: Math.min(percentile(r.hist, 99), r.maxMs ?? Infinity), foreign: r.foreign?.share === undefined ? null : r.foreign.share * CPUS })
  writeFileSync(process.env.BENCH_RAW, [...results.map(raw('saturation')), ...fixedResults.map(raw('fixed'))].join('\n') + '\n')
}

const table = []
const header = ['Authlete', 'variant', 'req/s', 'mean ms', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'req/s per round', 'non-2xx', 'Authlete calls/req']
for (const latency of LATENCIES) {
  for (const v of VARIANTS) {
    const a = aggregate(v.id, latency)
    if (!a) continue
    table.push([`+${latency} ms`, v.label, fmtInt(a.rate), fmtMs(a.mean), fmtMs(a.p50), fmtMs(a.p99), fmtInt(a.cpu), a.rates.map(fmtInt).join(' / '), String(a.errors), a.callsPerRequest.toFixed(a.callsPerRequest > 0 && a.callsPerRequest < 0.01 ? 4 : 2)])
  }
}
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)))
const line = (row) => row.map((cell, i) => (i === 1 || i === 7 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')
say('')
say(`authlete-guard benchmark: Express 5, ${CONNECTIONS} connections, fresh ES256 DPoP proof per request; ${ROUNDS} interleaved round(s) of ${WINDOW_MS / 1000} s per variant and Authlete latency (A..E, E..A, ...; warm-up ${FIRST_WARMUP_MS / 1000} s, then ${WARMUP_MS / 1000} s); req/s = median round; p50/p99 over all rounds`)
say(`node ${process.version}, ${CPUS} CPUs; emulator, server and load generator in separate processes on 127.0.0.1${profile ? `; ${profile} server under --cpu-prof` : ''}`)
const foreign = [...results, ...fixedResults].map((r) => r.foreign).filter(Boolean)
if (foreign.length > 0) {
  const mean = (foreign.reduce((a, f) => a + f.share, 0) / foreign.length) * CPUS
  const worst = Math.max(...foreign.map((f) => f.share)) * CPUS
  const steal = (foreign.reduce((a, f) => a + f.steal, 0) / foreign.length) * CPUS
  say(`other processes on this machine during the timed windows: ${mean.toFixed(2)} CPU on average, ${worst.toFixed(2)} at worst (steal ${steal.toFixed(2)})${mean > 0.2 ? ' -- NOT a quiet machine: absolute figures are low and noisy; compare ratios' : ''}`)
}
say('')
say(line(header))
say(widths.map((w) => '-'.repeat(w)).join('  '))
let lastLatency
for (const row of table) {
  if (lastLatency !== undefined && row[0] !== lastLatency) say('')
  lastLatency = row[0]
  say(line(row))
}
say('')

// The fixed-rate phase: one rate for every variant, open loop, latency from each request's due time.
const signed = (x, digits = 1) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`
if (fixed.rate === undefined) say(`${fixed.note ?? 'no fixed-rate phase'}\n`)
else {
  const fixedHeader = ['variant', 'req/s asked / achieved', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'server CPU µs/req', 'sent >1 ms late', 'non-2xx', 'Authlete calls/req']
  const fixedTable = []
  for (const v of fixed.variants) {
    const a = fixedAggregate(v.id)
    if (!a) continue
    const late = `${fmtInt(a.late)} of ${fmtInt(a.count)}${a.unanswered ? ` (${fmtInt(a.unanswered)} UNANSWERED)` : ''}`
    fixedTable.push([v.label, `${fmtInt(a.rate)} / ${fmtInt(a.achieved)}`, fmtMs(a.p50), fmtMs(a.p90), fmtMs(a.p99), fmtMs(a.p999), fmtMs(a.max), fmtInt(a.cpu), late, String(a.errors), a.callsPerRequest.toFixed(a.callsPerRequest > 0 && a.callsPerRequest < 0.01 ? 4 : 2)])
  }
  const fixedWidths = fixedHeader.map((h, i) => Math.max(h.length, ...fixedTable.map((row) => row[i].length)))
  const fixedLine = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(fixedWidths[i]) : cell.padStart(fixedWidths[i]))).join('  ')
  say(`Fixed rate, Authlete +${FIXED_LATENCY} ms: ${fmtInt(fixed.rate)} req/s for every variant (${fixed.how}); open loop over the same ${CONNECTIONS} connections, request i due at t0 + i/R, latency counted from its due time (a request waiting for a free connection counts its wait); ${ROUNDS} interleaved round(s) of ${WINDOW_MS / 1000} s per variant after ${WARMUP_MS / 1000} s at the same rate; percentiles over all rounds`)
  for (const { variant, saturation } of fixed.skipped) say(`  skipped: ${variant.label} (saturation ${saturation === undefined ? 'not measured' : `${fmtInt(saturation)} req/s`} < ${FIXED_HEADROOM} x ${fmtInt(fixed.rate)}: it could not sustain the rate)`)
  say('')
  if (fixedTable.length === 0) say('(no variant ran at the fixed rate)\n')
  else {
    say(fixedLine(fixedHeader))
    say(fixedWidths.map((w) => '-'.repeat(w)).join('  '))
    for (const row of fixedTable) say(fixedLine(row))
    say('')
  }
  const off = fixedAggregate('cacheOff')
  const hand = fixedAggregate('undici')
  if (off && hand) {
    say(`Information (not a target): cache off vs the hand-written undici call at ${fmtInt(fixed.rate)} req/s: p50 ${signed(off.p50 - hand.p50, 2)} ms (${fmtMs(off.p50)} vs ${fmtMs(hand.p50)} ms), p99 ${signed(off.p99 - hand.p99, 2)} ms (${fmtMs(off.p99)} vs ${fmtMs(hand.p99)} ms)`)
    say('')
  }
}

// A/B: a variant of another build (BENCH_BUILDS) against the same variant of this checkout, round
// by round: the two ran in the same interleaved round, so each ratio comes from the same minutes.
const ab = VARIANTS.filter((v) => v.base !== undefined && VARIANTS.some((x) => x.id === v.base))
if (ab.length > 0) {
  const cpuOf = (r) => r.cpuMicros / r.serverRequests
  const p99Of = (r) => Math.min(percentile(r.hist, 99), r.maxMs)
  /** other / this for each round both ran; "median (lowest..highest)". */
  const paired = (list, v, latency, figure) => {
    const mine = list.filter((r) => r.variant === v.id && r.latency === latency)
    const theirs = list.filter((r) => r.variant === v.base && r.latency === latency)
    const ratios = mine.slice(0, theirs.length).map((r, i) => figure(r) / figure(theirs[i])).sort((a, b) => a - b)
    if (ratios.length === 0) return '-'
    const mid = ratios.length / 2
    const median = ratios.length % 2 ? ratios[Math.floor(mid)] : (ratios[mid - 1] + ratios[mid]) / 2
    return `${median.toFixed(3)} (${ratios[0].toFixed(2)}..${ratios[ratios.length - 1].toFixed(2)})`
  }
  const abHeader = ['variant', 'Authlete', 'req/s', 'server CPU µs/req', 'fixed-rate p99', 'fixed-rate CPU µs/req']
  const abTable = []
  for (const v of ab) {
    for (const latency of LATENCIES) {
      const fixedHere = latency === FIXED_LATENCY
      abTable.push([v.label, `+${latency} ms`, paired(results, v, latency, (r) => r.rate), paired(results, v, latency, cpuOf), fixedHere ? paired(fixedResults, v, latency, p99Of) : '', fixedHere ? paired(fixedResults, v, latency, cpuOf) : ''])
    }
  }
  const abWidths = abHeader.map((h, i) => Math.max(h.length, ...abTable.map((row) => row[i].length)))
  const abLine = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(abWidths[i]) : cell.padStart(abWidths[i]))).join('  ')
  say('A/B: each variant of another build (BENCH_BUILDS) over the same variant of this checkout, paired round by round; ratio other/this, median of the rounds (lowest..highest)')
  say('')
  say(abLine(abHeader))
  say(abWidths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of abTable) say(abLine(row))
  say('')
}

const targets = []
function target(name, ok, figures) {
  targets.push({ name, ok, figures })
}
const get = (id, latency) => aggregate(id, latency)
for (const latency of LATENCIES) {
  const on = get('cacheOn', latency)
  const a0 = get('auth0', latency)
  const bare = get('bare', latency)
  if (on && a0) target(`cache on >= 1.5x express-oauth2-jwt-bearer req/s (Authlete +${latency} ms)`, on.rate >= 1.5 * a0.rate, `${(on.rate / a0.rate).toFixed(2)}x (${fmtInt(on.rate)} vs ${fmtInt(a0.rate)} req/s)`)
  if (on && bare) target(`cache on >= 40% of the bare route's req/s (Authlete +${latency} ms)`, on.rate >= 0.4 * bare.rate, `${((on.rate / bare.rate) * 100).toFixed(0)}% (${fmtInt(on.rate)} vs ${fmtInt(bare.rate)} req/s)`)
}
// Judged at the fixed rate (a load the server sustains); the saturation p99s are stated beside it:
// under the closed loop latency is the queue (connections / throughput), even for the bare route.
const on20 = get('cacheOn', FIXED_LATENCY)
const bare20 = get('bare', FIXED_LATENCY)
if (on20) {
  const onFixed = fixedAggregate('cacheOn')
  const bareFixed = fixedAggregate('bare')
  const atSaturation = `at saturation ${fmtMs(on20.p99)} ms${bare20 ? ` (bare ${fmtMs(bare20.p99)} ms)` : ''}`
  target(
    `cache on p99 < 20 ms with Authlete at +${FIXED_LATENCY} ms, at a fixed rate`,
    onFixed !== undefined && onFixed.p99 < 20,
    onFixed
      ? `p99 ${fmtMs(onFixed.p99)} ms at ${fmtInt(fixed.rate)} req/s (${bareFixed ? `bare route ${fmtMs(bareFixed.p99)} ms` : 'bare route not run'}); ${atSaturation}`
      : `not measured at a fixed rate (${fixed.rate === undefined ? fixed.note : `its saturation ${fmtInt(on20.rate)} req/s < ${FIXED_HEADROOM} x ${fmtInt(fixed.rate)}`}); ${atSaturation}`,
  )
}
for (const latency of LATENCIES) {
  const off = get('cacheOff', latency)
  const hand = get('undici', latency)
  if (off && hand) {
    // Mean latency: with a fixed number of connections it is what throughput is (Little's law),
    // so a slower guard cannot hide in the median.
    const overhead = off.mean / hand.mean - 1
    target(
      `cache off adds <= 5% latency over the hand-written undici call (Authlete +${latency} ms)`,
      overhead <= 0.05,
      `mean ${signed(overhead * 100)}% (${fmtMs(off.mean)} vs ${fmtMs(hand.mean)} ms; p50 ${fmtMs(off.p50)} vs ${fmtMs(hand.p50)} ms); req/s ${signed((off.rate / hand.rate - 1) * 100)}%; server CPU ${signed(off.cpu - hand.cpu, 0)} µs/req`,
    )
  }
}
if (servers.cacheOn) target(`${BURST} concurrent requests with one token (cache on, Authlete +20 ms): exactly 1 Authlete call`, burstCalls === 1 && burstOk === BURST, `${burstCalls} introspection call(s); ${burstOk}/${BURST} answered 200${burstOk === BURST ? '' : ` (${JSON.stringify(burst.statuses)})`}`)
if (heap) {
  const complete = heap.tokens === 1_000_000 || process.env.BENCH_HEAP_TOKENS !== undefined
  target(
    `${fmtInt(heap.tokens)} distinct tokens through a guard with default limits (cache: true): heap growth < 100 MiB`,
    complete && heap.growthMiB < 100 && heap.allowed === heap.tokens,
    `${heap.growthMiB.toFixed(1)} MiB after GC (${heap.growthAfter100kMiB === null ? 'n/a' : `${heap.growthAfter100kMiB >= 0 ? '+' : ''}${heap.growthAfter100kMiB.toFixed(1)} MiB`} from 100k to the end); ${fmtInt(heap.tokens / heap.seconds)} checks/s, ${heap.allowed === heap.tokens ? 'all allowed' : `${heap.allowed} allowed`}${complete ? '' : ', time budget ran out'}`,
  )
}

const nameWidth = Math.max(...targets.map((t) => t.name.length))
say('Targets')
for (const t of targets) say(`  ${t.ok ? 'met   ' : 'MISSED'}  ${t.name.padEnd(nameWidth)}  ${t.figures}`)
const missed = targets.filter((t) => !t.ok).length
say('')
say(`${targets.length - missed} of ${targets.length} targets met. ${fmtInt(signing.signed)} proofs signed before their rounds (${(signing.signMs / 1000).toFixed(1)} s). Total ${((performance.now() - started) / 1000).toFixed(0)} s.`)

if (profile) {
  const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'))
  if (!file) harnessFailure(`no CPU profile was written by the ${profile} server`)
  else {
    const { rows } = selfTimes(join(profileDir, file))
    const busy = rows.filter((r) => r.name !== '(idle)')
    const total = busy.reduce((a, r) => a + r.micros, 0)
    const where = (r) =>
      r.url.includes('/packages/core/') ? 'packages/core'
        : r.url.includes('/packages/express/') ? 'packages/express'
          : /\/node_modules\/\.pnpm\/(express|router|body-parser|finalhandler|send|serve-static|on-finished|content-type|qs)@/.test(r.url) ? 'express + router'
            : r.url.includes('/node_modules/') ? 'other node_modules'
              : r.url.startsWith('node:') ? r.url.replace(/^node:(internal\/)?/, 'node:').replace(/\/.*$/, '').replace(/^node:(crypto|webcrypto).*/, 'node:crypto')
                : r.name.startsWith('(') ? r.name : `native ${r.name}`
    const groups = new Map()
    for (const r of busy) groups.set(where(r), (groups.get(where(r)) ?? 0) + r.micros)
    const pct = (micros) => `${((micros / total) * 100).toFixed(1).padStart(5)}%`
    const short = (url) => url.replace(/^file:\/\/.*?\/(packages|node_modules)\//, '$1/').replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    say(`\nCPU profile of the ${profile} server, whole run, share of busy main-thread time (WebCrypto calls show up as jobPromise in node:internal/crypto/util; their libuv-thread part is not sampled):`)
    for (const [name, micros] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 12)) say(`  ${pct(micros)}  ${name}`)
    say('\nTop self time:')
    for (const r of busy.slice(0, 15)) say(`  ${pct(r.micros)}  ${r.name}  ${short(r.url)}:${r.line}`)
    say('\nTop self time in packages/core:')
    for (const r of busy.filter((r) => r.url.includes('/packages/core/')).slice(0, 15)) say(`  ${pct(r.micros)}  ${r.name}  ${short(r.url)}:${r.line}`)
    say(`\n(profile: ${join(profileDir, file)})`)
  }
} else if (profileDir) rmSync(profileDir, { recursive: true, force: true })

// ---------------------------------------------------------------- RESULTS.md

// A full default run (`pnpm bench`: no option, no BENCH_* setting) writes test/bench/RESULTS.md,
// the committed record of the figures; BENCH_RESULTS=file writes any run's report to that file.
const SETTINGS = ['BENCH_ROUNDS', 'BENCH_WINDOW_MS', 'BENCH_WARMUP_MS', 'BENCH_VARIANTS', 'BENCH_LATENCIES', 'BENCH_FIXED_RATE', 'BENCH_BUILDS', 'BENCH_HEAP_TOKENS', 'BENCH_HEAP_BUDGET_MS']
const changed = [...argv, ...SETTINGS.filter((name) => process.env[name] !== undefined).map((name) => `${name}=${process.env[name]}`)]
const resultsFile = process.env.BENCH_RESULTS || (changed.length === 0 ? join(here, 'RESULTS.md') : undefined)
if (failed) console.log('\n(no results file written: the harness failed)')
else if (!resultsFile) console.log(`\n(test/bench/RESULTS.md not written: not a default run (${changed.join(' ')}); BENCH_RESULTS=file writes this report there)`)
else {
  writeFileSync(resultsFile, resultsMarkdown(changed))
  console.log(`\nWritten to ${relative(process.cwd(), resultsFile) || resultsFile}.`)
}

/** RESULTS.md: the machine, Node.js, date and commit, then the report as printed. */
function resultsMarkdown(changed) {
  const cpus = os.cpus()
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    // not a git checkout
  }
  const lines = [...reportLines]
  while (lines[0] === '') lines.shift()
  return [
    '# `pnpm bench` results',
    '',
    'Written by `test/bench/run.mjs` at the end of a full default run (`pnpm bench`); not edited by hand.',
    'What each figure and target means: [Measuring: `pnpm bench`](../../docs/caching-and-performance.md#measuring-pnpm-bench).',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${[...new Set(cpus.map((c) => c.model.trim()))].join(', ')}, ${cpus.length} CPUs (${CPUS} available to Node.js), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; ${os.type()} ${os.release()} ${os.arch()}`,
    `- Node.js ${process.version}`,
    `- commit: ${commit}`,
    `- settings: ${changed.length === 0 ? 'defaults' : changed.join(' ')}`,
    '',
    '```text',
    ...lines,
    '```',
    '',
  ].join('\n')
}

process.exit(failed ? 1 : 0)
