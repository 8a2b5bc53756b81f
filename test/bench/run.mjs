#!/usr/bin/env node
// `pnpm bench`: speed and memory of the guard's stages, with targets. Uses the built packages
// (run `pnpm build` first; `pnpm bench` does) and the emulator on 127.0.0.1 as Authlete.
// Exits 1 when a target is missed. Bounded: a few seconds of loopback traffic, then it stops.
import { performance } from 'node:perf_hooks'
import { createGuard, DEFAULT_DPOP_ALGS } from '@authlete-guard/core'
import { decide, extractIntrospectionRequest } from '@authlete-guard/core/unstable'
import { createDpopKeyPair, createDpopProof, startEmulator } from '@authlete-guard/emulator'

const results = []
function record(name, value, unit, target, better = 'lower') {
  const ok = better === 'lower' ? value <= target : value >= target
  results.push({ name, value, unit, target, ok })
}

function timeSync(iterations, fn) {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn(i)
  const start = performance.now()
  for (let i = 0; i < iterations; i++) fn(i)
  return ((performance.now() - start) * 1000) / iterations // µs per op
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

const emu = await startEmulator()
const authlete = { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }
const guard = createGuard({ authlete, publicUrl: 'https://api.example.com' })
const key = await createDpopKeyPair('ES256')
const { accessToken } = await emu.createToken({ subject: 'alice', scopes: ['profile'], dpopKeyThumbprint: key.thumbprint })
const htu = 'https://api.example.com/api/me'

// 1. Pure stages.
const proof = await createDpopProof(key, { htm: 'GET', htu, accessToken })
const request = { method: 'GET', url: '/api/me?x=1', headers: { host: 'api.example.com', authorization: `DPoP ${accessToken}`, dpop: proof } }
const context = { dpopAlgs: DEFAULT_DPOP_ALGS, fixed: { origin: 'https://api.example.com', prefix: '' } }
record('extract (request -> introspection body)', timeSync(200_000, () => extractIntrospectionRequest(request, { scopes: ['profile'] }, context)), 'µs/op', 5)
const okReply = { action: 'OK', clientId: 1, subject: 'alice', scopes: ['profile'], expiresAt: Date.now() + 3_600_000, properties: [{ key: 'k', value: 'v' }] }
const denyReply = { action: 'UNAUTHORIZED', responseContent: 'DPoP error="invalid_token",error_description="[A065308] Expected a DPoP header but none was provided.",algs="ES256"' }
record('decide (OK reply -> allow)', timeSync(200_000, () => decide(okReply, { scheme: 'DPoP', dpopAlgs: DEFAULT_DPOP_ALGS })), 'µs/op', 5)
record('decide (UNAUTHORIZED reply -> deny)', timeSync(200_000, () => decide(denyReply, { scheme: 'DPoP', dpopAlgs: DEFAULT_DPOP_ALGS })), 'µs/op', 10)

// 2. End to end against the emulator over loopback keep-alive (proofs signed beforehand, so the
//    figure is the guard + one Authlete round trip, not the client's signing).
const N = 2000
const CONCURRENCY = 16
const proofs = await Promise.all(Array.from({ length: N }, () => createDpopProof(key, { htm: 'GET', htu, accessToken })))
const latencies = []
let allowed = 0
let next = 0
const heapBefore = process.memoryUsage().heapUsed
const start = performance.now()
await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
  while (next < N) {
    const i = next++
    const t0 = performance.now()
    const d = await guard.check({ ...request, headers: { ...request.headers, dpop: proofs[i] } }, { scopes: ['profile'] })
    latencies.push(performance.now() - t0)
    if (d.allowed) allowed++
  }
}))
const seconds = (performance.now() - start) / 1000
latencies.sort((a, b) => a - b)
record('check() throughput vs emulator (16 in flight)', N / seconds, 'checks/s', 1000, 'higher')
record('check() p50 latency vs emulator', percentile(latencies, 50), 'ms', 20)
record('check() p99 latency vs emulator', percentile(latencies, 99), 'ms', 60)
record('allowed checks', allowed, `of ${N}`, N, 'higher')
global.gc?.()
record('heap growth over the run', (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024, 'MiB', 64)

await guard.close()
await emu.close()

const width = Math.max(...results.map((r) => r.name.length))
for (const r of results) {
  const value = r.value >= 100 ? r.value.toFixed(0) : r.value.toFixed(2)
  console.log(`${r.ok ? 'ok  ' : 'MISS'} ${r.name.padEnd(width)}  ${value.padStart(8)} ${r.unit}  (target ${r.unit.startsWith('of') ? '=' : r.unit === 'checks/s' ? '≥' : '≤'} ${r.target})`)
}
const missed = results.filter((r) => !r.ok).length
console.log(missed === 0 ? 'All targets met.' : `${missed} target(s) missed.`)
process.exit(missed === 0 ? 0 : 1)
