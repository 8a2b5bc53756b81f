// 1,000,000 distinct Bearer tokens through one guard with the default limits (cache: true, the
// default replay store) against a scripted, instant Authlete: heap growth after a full GC.
// Run with --expose-gc. Prints one JSON line.
import { randomBytes } from 'node:crypto'
import { createGuard } from '@authlete-guard/core'

const total = Number(process.env.BENCH_HEAP_TOKENS ?? 1_000_000)
const budgetMs = Number(process.env.BENCH_HEAP_BUDGET_MS ?? 100_000)
const concurrency = 64
const expiresAt = Date.now() + 3_600_000
let calls = 0
const authlete = {
  baseUrl: 'https://authlete.invalid',
  apiVersion: 'V3',
  // A fresh object each time, as a parsed JSON reply is.
  async call() {
    calls++
    return { resultCode: 'A056001', resultMessage: 'ok', action: 'OK', clientId: 1, subject: 'alice', scopes: ['read'], existent: true, usable: true, sufficient: true, refreshable: false, expiresAt, properties: null, responseContent: 'Bearer error="invalid_request"' }
  },
  async close() {},
}
const guard = createGuard({ authlete, cache: true, publicUrl: 'https://api.bench.test' })
const route = { scopes: ['read'] }
const prefix = randomBytes(25).toString('base64url') // 34 chars; + 10 = a 44-char token
const request = (i) => ({ method: 'GET', url: '/api/me', headers: { host: 'api.bench.test', authorization: `Bearer ${prefix}${i.toString(36).padStart(10, '0')}` } })

const heap = () => {
  global.gc()
  global.gc()
  return process.memoryUsage().heapUsed
}

const before = heap()
const started = performance.now()
let done = 0
let allowed = 0
let at100k
while (done < total && performance.now() - started < budgetMs) {
  const n = Math.min(concurrency, total - done)
  const decisions = await Promise.all(Array.from({ length: n }, (_, k) => guard.check(request(done + k), route)))
  for (const d of decisions) if (d.allowed) allowed++
  done += n
  if (at100k === undefined && done >= 100_000) at100k = heap()
}
const seconds = (performance.now() - started) / 1000
const after = heap()
await guard.close()
console.log(JSON.stringify({ tokens: done, allowed, calls, seconds, before, at100k, after, growthMiB: (after - before) / 2 ** 20, growthAfter100kMiB: at100k === undefined ? null : (after - at100k) / 2 ** 20 }))
