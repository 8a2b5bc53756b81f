import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll } from 'vitest'

/** One API call the stub received. */
export interface StubCall {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
  body: any
}

/** How the stub answers one call. */
export type StubReply =
  | { status?: number; json: unknown; delayMs?: number }
  | { status?: number; text: string }
  | { hang: true }
  | { reset: true }

/**
 * A scripted HTTP server on 127.0.0.1 that speaks Authlete's wire format: it records every call
 * and answers with whatever the test queued, so the core's outgoing requests and its handling of
 * every reply (and every failure) can be asserted over real HTTP.
 */
export async function startAuthleteStub() {
  const calls: StubCall[] = []
  let replies: Array<StubReply | ((call: StubCall) => StubReply)> = []
  let fallback: StubReply | ((call: StubCall) => StubReply) = { json: { action: 'OK', resultCode: 'A056001', clientId: 1, subject: 'alice', scopes: [] } }
  const sockets = new Set<import('node:net').Socket>()
  let connections = 0

  const server = http.createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (c) => (raw += c))
    req.on('end', () => {
      let body: unknown = raw
      try {
        body = JSON.parse(raw)
      } catch {
        // keep the raw text
      }
      const call: StubCall = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body }
      calls.push(call)
      const next = replies.shift() ?? fallback
      const reply = typeof next === 'function' ? next(call) : next
      if ('hang' in reply) return
      if ('reset' in reply) {
        req.socket.destroy()
        return
      }
      const send = () => {
        if ('json' in reply) {
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' })
          res.end(JSON.stringify(reply.json))
        } else {
          res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' })
          res.end(reply.text)
        }
      }
      if ('delayMs' in reply && reply.delayMs) setTimeout(send, reply.delayMs)
      else send()
    })
  })
  server.on('connection', (socket) => {
    connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    /** Queue replies for the next calls, in order. */
    reply(...next: Array<StubReply | ((call: StubCall) => StubReply)>) {
      replies.push(...next)
    },
    /** The reply used when the queue is empty. */
    setDefault(reply: StubReply | ((call: StubCall) => StubReply)) {
      fallback = reply
    },
    reset() {
      calls.length = 0
      replies = []
    },
    connections: () => connections,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export type AuthleteStub = Awaited<ReturnType<typeof startAuthleteStub>>

/**
 * One stub for a test file: started before the file's tests, its queue and log reset after each
 * test, closed at the end. The returned object forwards to the running stub.
 */
export function useAuthleteStub(): AuthleteStub {
  let stub: AuthleteStub | undefined
  beforeAll(async () => {
    stub = await startAuthleteStub()
  })
  afterEach(() => stub?.reset())
  afterAll(() => stub?.close())
  return new Proxy({} as AuthleteStub, {
    get: (_target, key) => {
      if (!stub) throw new Error('the Authlete stub is used before beforeAll ran')
      return stub[key as keyof AuthleteStub]
    },
  })
}
