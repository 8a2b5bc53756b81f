// The load generator, in its own process: keep-alive HTTP/1.1 over raw sockets (one request in
// flight per connection, pre-built request bytes, a minimal response parser), so that as little
// client CPU as possible competes with the server on a small machine. Every request carries a
// fresh DPoP proof signed before the round (by worker threads); each proof is sent once.
// Two kinds of round: `round`, a closed loop (each connection sends its next request as soon as
// the previous answer arrives: the server's saturation throughput), and `fixed`, an open loop at a
// constant rate (latency counted from each request's due time: the latency at a load the server
// sustains, without coordinated omission; its clock is lib/ticker.mjs).
import net from 'node:net'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { createDpopKeyPair } from '@authlete-guard/emulator'
import { serve } from '../lib/ipc.mjs'
import { ath, proofSigner, requestText } from '../lib/proof.mjs'
import { clock } from '../lib/ticker.mjs'

const { clientCount, host, path } = JSON.parse(process.env.BENCH_LOADGEN)
const htm = 'GET'
const htu = `http://${host}${path}`
const MAX_PROOF_AGE_MS = 120_000 // well inside every verifier's iat window (300 s)

// Latency histogram: log buckets of 1% from 1 µs up.
export const BUCKETS = 2048
const LOG_STEP = Math.log(1.01)
const bucketOf = (ms) => Math.max(0, Math.min(BUCKETS - 1, Math.floor(Math.log(Math.max(1, ms * 1000)) / LOG_STEP)))

// Load clients (one key and one token of each kind per client) plus one spare for the burst test.
const keys = await Promise.all(Array.from({ length: clientCount + 1 }, () => createDpopKeyPair('ES256')))
const clients = keys.map((k) => ({ privateJwk: k.privateKey.export({ format: 'jwk' }), publicJwk: k.publicJwk, thumbprint: k.thumbprint, tokens: {}, ath: {} }))
const burstClient = clients.pop()

const workers = Array.from({ length: Math.max(1, Math.min(4, availableParallelism())) }, () => new Worker(new URL('./sign-worker.mjs', import.meta.url)))
const pool = { emu: { items: [], born: [] }, jwt: { items: [], born: [] } }
let bareRequest
let signed = 0
let signMs = 0

function workerCall(worker, task) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      worker.off('error', reject)
      resolve(message)
    }
    worker.once('message', onMessage)
    worker.once('error', reject)
    worker.postMessage(task)
  })
}

/** Make sure `need` unsent, fresh proofs of `kind` are ready. */
async function topUp(kind, need) {
  const p = pool[kind]
  const now = Date.now()
  let stale = 0
  while (stale < p.born.length && now - p.born[stale] > MAX_PROOF_AGE_MS) stale++
  if (stale > 0) {
    p.items.splice(0, stale)
    p.born.splice(0, stale)
  }
  let missing = need - p.items.length
  if (missing <= 0) return
  const t0 = performance.now()
  const tasks = []
  const chunk = 4000
  let w = 0
  while (missing > 0) {
    const count = Math.min(chunk, missing)
    missing -= count
    tasks.push({ kind, count, start: signed, htm, htu, path, host, worker: w++ % workers.length })
    signed += count
  }
  // One task at a time per worker, all workers busy.
  const queues = workers.map((worker, i) => tasks.filter((t) => t.worker === i))
  const results = await Promise.all(
    queues.map(async (queue, i) => {
      const out = []
      for (const { worker: _, ...task } of queue) out.push(await workerCall(workers[i], task))
      return out
    }),
  )
  const born = Date.now()
  for (const batches of results) {
    for (const { buf, offsets } of batches) {
      const all = Buffer.from(buf)
      for (let i = 0; i + 1 < offsets.length; i++) {
        p.items.push(all.subarray(offsets[i], offsets[i + 1]))
        p.born.push(born)
      }
    }
  }
  signMs += performance.now() - t0
}

/** Keep-alive connections with a tiny HTTP/1.1 response parser. */
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i
const CHUNKED = /\r\ntransfer-encoding:\s*chunked/i

function connect(port, onResponse) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true })
    let pending = null
    socket.on('data', (chunk) => {
      pending = pending === null ? chunk : Buffer.concat([pending, chunk])
      while (pending !== null) {
        const headerEnd = pending.indexOf('\r\n\r\n')
        if (headerEnd < 0) return
        const head = pending.toString('latin1', 0, headerEnd)
        const status = Number(head.slice(9, 12))
        const length = CONTENT_LENGTH.exec(head)
        let end
        if (length) end = headerEnd + 4 + Number(length[1])
        else if (CHUNKED.test(head)) {
          const last = pending.indexOf('\r\n0\r\n\r\n', headerEnd + 2)
          if (last < 0) return
          end = last + 7
        } else end = headerEnd + 4
        if (pending.length < end) return
        const body = status >= 300 ? pending.toString('latin1', headerEnd + 4, end) : undefined
        pending = end < pending.length ? pending.subarray(end) : null
        socket.onResponse(status, head, body)
      }
    })
    socket.onResponse = onResponse
    socket.once('connect', () => resolve(socket))
    socket.once('error', reject)
  })
}

async function openSockets(port, n) {
  const sockets = await Promise.all(Array.from({ length: n }, () => connect(port, () => {})))
  for (const s of sockets) s.on('error', () => {})
  return sockets
}

function round({ port, kind, need, warmupMs, durationMs, connections }) {
  return new Promise(async (resolve, reject) => {
    try {
      let items = null
      const t0 = performance.now()
      if (kind !== 'none') {
        await topUp(kind, need)
        items = pool[kind].items
      }
      const prepareMs = performance.now() - t0
      let cursor = 0
      const limit = items ? items.length : Infinity
      const sockets = await openSockets(port, connections)
      const hist = new Uint32Array(BUCKETS)
      const statuses = {}
      let phase = 'warmup'
      let count = 0
      let responses = 0
      let sumMs = 0
      let ok = 0
      let errors = 0
      let warmupErrors = 0
      let firstError
      let windowStart = 0
      let windowEnd = 0
      let exhausted = false
      let active = sockets.length
      let closed = false
      const finish = () => {
        if (closed) return
        closed = true
        clearTimeout(startTimer)
        clearTimeout(endTimer)
        for (const s of sockets) s.destroy()
        if (items) {
          pool[kind].items.splice(0, cursor)
          pool[kind].born.splice(0, cursor)
        }
        resolve({
          count, responses, sumMs, ok, errors, warmupErrors, statuses, firstError, exhausted, prepareMs, proofsUsed: cursor,
          seconds: (windowEnd - windowStart) / 1000, hist: windowStart ? hist : null,
        })
      }
      const endWindow = () => {
        if (phase === 'drain') return
        if (phase === 'window') {
          windowEnd = performance.now()
          process.send({ event: 'window-end' })
        }
        phase = 'drain'
      }
      const send = (socket) => {
        if (phase === 'drain') {
          if (--active === 0) finish()
          return
        }
        const request = items ? (cursor < limit ? items[cursor++] : null) : bareRequest
        if (request === null) {
          exhausted = true
          endWindow()
          if (--active === 0) finish()
          return
        }
        socket.sentAt = performance.now()
        socket.write(request)
      }
      for (const socket of sockets) {
        socket.onResponse = (status, head, body) => {
          responses++
          if (phase === 'window') {
            count++
            const ms = performance.now() - socket.sentAt
            sumMs += ms
            hist[bucketOf(ms)]++
            statuses[status] = (statuses[status] ?? 0) + 1
            if (status >= 200 && status < 300) ok++
            else errors++
          } else if (phase === 'warmup' && (status < 200 || status >= 300)) warmupErrors++
          if ((status < 200 || status >= 300) && !firstError) firstError = `${head}\r\n\r\n${body ?? ''}`.slice(0, 1500)
          send(socket)
        }
        socket.on('close', () => {
          if (!closed && phase !== 'drain') {
            firstError ??= 'connection closed by the server'
            errors++
            endWindow()
          }
        })
      }
      const startTimer = setTimeout(() => {
        if (phase !== 'warmup') return
        phase = 'window'
        windowStart = performance.now()
        process.send({ event: 'window-start' })
      }, warmupMs)
      const endTimer = setTimeout(endWindow, warmupMs + durationMs)
      for (const socket of sockets) send(socket)
    } catch (error) {
      reject(error)
    }
  })
}

/**
 * An open-loop round at a constant rate over `connections` keep-alive connections: request i is
 * due at start + i / rate; it is sent at its due time on a free connection or, when none is free,
 * as soon as one frees up; its latency counts FROM ITS DUE TIME (a slow answer delays the requests
 * queued behind it, and their wait is counted: no coordinated omission). `warmupMs` at the same
 * rate first (not counted), then the window of `durationMs`. Nothing is sent after the window's
 * last request; its answers are awaited at most `drainMs`: a request unanswered by then counts in
 * the histogram with its latency so far (a lower bound) and in `unanswered`.
 * Bounded: exactly n = rate * (warmupMs + durationMs) requests, and warmupMs + durationMs + drainMs.
 */
function fixed({ port, kind, rate, warmupMs, durationMs, connections, drainMs = 5000 }) {
  return new Promise(async (resolve, reject) => {
    try {
      const interval = 1000 / rate
      const nWarm = Math.ceil((warmupMs * rate) / 1000)
      const nWindow = Math.max(1, Math.round((durationMs * rate) / 1000))
      const n = nWarm + nWindow
      const t0 = performance.now()
      let items = null
      if (kind !== 'none') {
        await topUp(kind, n)
        items = pool[kind].items
      }
      const prepareMs = performance.now() - t0
      const sockets = await openSockets(port, connections)
      const flag = new Int32Array(new SharedArrayBuffer(4))
      const ticker = new Worker(new URL('../lib/ticker.mjs', import.meta.url), { workerData: { ticker: true, flag } })
      await new Promise((resolve, reject) => ticker.once('online', resolve).once('error', reject))
      const start = clock() + 5
      const windowStart = start + nWarm * interval // request nWarm's due time
      const dueAt = (i) => start + i * interval
      const hist = new Uint32Array(BUCKETS)
      const statuses = {}
      const free = [...sockets]
      let sent = 0 // requests written (in index order)
      let answered = 0
      let windowAnswered = 0
      let count = 0 // window requests in the histogram (answered, or unanswered at the deadline)
      let sumMs = 0
      let maxMs = 0
      let ok = 0
      let errors = 0
      let warmupErrors = 0
      let late = 0 // window requests written more than 1 ms after their due time
      let latestSendLagMs = 0
      let lastWindowSend = 0
      let lastWindowAnswer = 0
      let unanswered = 0
      let firstError
      let windowStarted = false
      let closed = false
      const record = (ms) => {
        count++
        sumMs += ms
        if (ms > maxMs) maxMs = ms
        hist[bucketOf(ms)]++
      }
      const done = () => {
        if (closed) return
        closed = true
        clearTimeout(deadline)
        clearTimeout(startTimer)
        Atomics.store(flag, 0, 1)
        Atomics.notify(flag, 0)
        ticker.terminate().catch(() => {})
        const now = clock()
        // Still owed at the deadline (in flight or never sent): counted, latency so far.
        for (const socket of sockets) {
          if (socket.req !== undefined && socket.req >= nWarm) {
            record(now - dueAt(socket.req))
            unanswered++
          }
          socket.destroy()
        }
        for (let i = Math.max(sent, nWarm); i < n; i++) {
          record(now - dueAt(i))
          unanswered++
        }
        if (!windowStarted) process.send({ event: 'window-start' })
        process.send({ event: 'window-end' })
        if (items) {
          pool[kind].items.splice(0, sent)
          pool[kind].born.splice(0, sent)
        }
        const windowSends = Math.max(0, sent - nWarm)
        resolve({
          count, responses: answered, sumMs, maxMs, ok, errors, warmupErrors, statuses, firstError, prepareMs, proofsUsed: sent,
          exhausted: false, hist, rate, n, nWindow, windowSends, late, unanswered, latestSendLagMs,
          // Sends per second over the window (its last send may spill past it when the server lags).
          achievedRate: windowSends / (Math.max(windowSends * interval, (lastWindowSend || windowStart) - windowStart + interval) / 1000),
          // Answers per second, from the window's first due time to its last answer.
          answeredRate: windowAnswered / (Math.max(nWindow * interval, lastWindowAnswer - windowStart) / 1000),
          seconds: (nWindow * interval) / 1000,
        })
      }
      const pump = () => {
        if (closed) return
        const now = clock()
        const due = Math.max(0, Math.min(n, Math.floor((now - start) / interval) + 1))
        if (!windowStarted && due > nWarm) {
          windowStarted = true
          process.send({ event: 'window-start' })
        }
        while (sent < due && free.length > 0) {
          const i = sent++
          const socket = free.shift() // the longest idle: the load goes round all the connections
          const lag = now - dueAt(i)
          if (i >= nWarm) {
            if (lag > 1) late++
            if (lag > latestSendLagMs) latestSendLagMs = lag
            lastWindowSend = now
          }
          socket.req = i
          socket.write(items ? items[i] : bareRequest)
        }
      }
      for (const socket of sockets) {
        socket.onResponse = (status, head, body) => {
          const now = clock()
          const i = socket.req
          socket.req = undefined
          answered++
          if (i >= nWarm) {
            windowAnswered++
            lastWindowAnswer = now
            record(now - dueAt(i))
            statuses[status] = (statuses[status] ?? 0) + 1
            if (status >= 200 && status < 300) ok++
            else errors++
          } else if (status < 200 || status >= 300) warmupErrors++
          if ((status < 200 || status >= 300) && !firstError) firstError = `${head}\r\n\r\n${body ?? ''}`.slice(0, 1500)
          free.push(socket)
          if (answered === n) done()
          else pump()
        }
        socket.on('close', () => {
          if (closed) return
          firstError ??= 'connection closed by the server'
          errors++
          const i = free.indexOf(socket)
          if (i >= 0) free.splice(i, 1)
          if (sockets.every((s) => s.destroyed)) done()
        })
      }
      ticker.on('message', pump)
      ticker.on('error', (error) => {
        firstError ??= `ticker: ${error?.stack ?? error}`
        done()
      })
      ticker.postMessage({ start, interval, n })
      // The CPU marks of the window start on time even if the ticker were slow to come up.
      const startTimer = setTimeout(pump, Math.max(0, windowStart - clock()))
      const deadline = setTimeout(done, start - clock() + warmupMs + durationMs + drainMs)
    } catch (error) {
      reject(error)
    }
  })
}

/** One request, for a smoke test of a variant. */
async function once(port, text) {
  return new Promise(async (resolve, reject) => {
    const socket = await connect(port, (status, head, body) => {
      socket.destroy()
      resolve({ status, head, body })
    }).catch(reject)
    socket.write(text)
  })
}

serve({
  async tokens({ emu, jwt }) {
    clients.forEach((c, i) => {
      c.tokens = { emu: emu[i], jwt: jwt[i] }
      c.ath = { emu: ath(emu[i]), jwt: ath(jwt[i]) }
    })
    await Promise.all(workers.map((w) => workerCall(w, { type: 'init', clients })))
    const proof = proofSigner(clients[0])
    bareRequest = Buffer.from(requestText({ htm, path, host, token: emu[0], proof: proof(htm, htu, ath(emu[0])) }))
    return true
  },
  round,
  fixed,
  /** One request; `wrongHtu`: its proof signs another URL, which every DPoP verifier must refuse. */
  async smoke({ port, kind, wrongHtu = false }) {
    const client = clients[0]
    const proof = proofSigner(client)(htm, wrongHtu ? `http://elsewhere.bench.test${path}` : htu, client.ath[kind])
    return once(port, requestText({ htm, path, host, token: client.tokens[kind], proof }))
  },
  /** n requests with one token, each with its own proof, written at once on n connections. */
  async burst({ port, token, n }) {
    const proof = proofSigner(burstClient)
    const tokenHash = ath(token)
    const texts = Array.from({ length: n }, () => requestText({ htm, path, host, token, proof: proof(htm, htu, tokenHash) }))
    const statuses = {}
    let done = 0
    let resolveAll
    const all = new Promise((resolve) => (resolveAll = resolve))
    const sockets = await openSockets(port, n)
    for (const socket of sockets) {
      socket.onResponse = (status) => {
        statuses[status] = (statuses[status] ?? 0) + 1
        if (++done === n) resolveAll()
      }
    }
    sockets.forEach((socket, i) => socket.write(texts[i]))
    await all
    for (const s of sockets) s.destroy()
    return { statuses }
  },
  stats: () => ({ signed, signMs }),
  async exit() {
    setImmediate(async () => {
      await Promise.all(workers.map((w) => w.terminate()))
      process.exit(0)
    })
  },
})

process.send({ event: 'ready', thumbprints: clients.map((c) => c.thumbprint), burstThumbprint: burstClient.thumbprint })
