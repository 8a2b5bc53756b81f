import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Agent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_RESPONSE_BYTES, type AuthleteHttpRequest, type AuthleteTransport } from '../src/authlete/transport'
import { createUndiciTransport } from '../src/node/undici-transport'
import { unreachableUrl } from '../../../test/support/unreachable'

// The Node transport against real HTTP servers on 127.0.0.1: no mocks, so what undici really
// does with each reply (and each failure) is what is asserted.

const SERVICE_TOKEN = 'service-token-for-transport-tests'
const OK = { action: 'OK', resultCode: 'A056001', subject: 'alice' }

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
  /** Whether the client has let go of the connection this request came on (ended or closed it). */
  dropped(): boolean
}

interface TestServer {
  url: string
  /** Requests whose head (and body) reached the server. */
  seen: Seen[]
  /** Connections the server has accepted so far. */
  connections(): number
}

// Servers go first (dropping their connections ends whatever is still pending), then transports and agents.
const serverCleanups: Array<() => unknown> = []
const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of serverCleanups.splice(0)) await cleanup()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A node:http server on 127.0.0.1 answering each request with `handler` once its body has arrived. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void): Promise<TestServer> {
  const seen: Seen[] = []
  const gone = new WeakSet<Socket>()
  let connections = 0
  const server: Server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      const socket = req.socket
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, dropped: () => gone.has(socket) }
      seen.push(entry)
      handler(req, res, entry)
    })
  })
  server.on('connection', (socket) => {
    connections++
    socket.on('end', () => gone.add(socket))
    socket.on('close', () => gone.add(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  serverCleanups.push(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, seen, connections: () => connections }
}

function transport(origin: string, options: Partial<Parameters<typeof createUndiciTransport>[1]> = {}): AuthleteTransport {
  const t = createUndiciTransport(origin, { timeoutMs: 3000, connections: 4, maxQueued: 16, ...options })
  cleanups.push(() => t.close())
  return t
}

function call(origin: string, path = '/api/715948317/auth/introspection', extra: Partial<AuthleteHttpRequest> = {}): AuthleteHttpRequest {
  return {
    url: `${origin}${path}`,
    origin,
    where: `POST ${path}`,
    headers: { authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ token: 'access-token-1', scopes: ['read'] }),
    timeoutMs: 3000,
    ...extra,
  }
}

/** The error code a rejected promise carries (fails the test if it resolves). */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    const value = await promise
    throw new Error(`expected a rejection, got ${JSON.stringify(value).slice(0, 200)}`)
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (typeof code !== 'string' || !code.startsWith('ERR_AUTHLETE_')) throw error
    return code
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await sleep(10)
  }
}

describe('the undici transport: answers', () => {
  it('sends the POST as given and resolves a JSON reply as { status, text }', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(OK))
    })
    const t = transport(server.url)
    const request = call(server.url)
    await expect(t.send(request)).resolves.toEqual({ status: 200, text: JSON.stringify(OK) })
    expect(server.seen).toHaveLength(1)
    expect(server.seen[0]).toMatchObject({ method: 'POST', url: '/api/715948317/auth/introspection', body: request.body })
    expect(server.seen[0]!.headers).toMatchObject({ authorization: `Bearer ${SERVICE_TOKEN}`, 'content-type': 'application/json' })
  })

  it('passes a non-2xx reply through with its body', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/401') {
        res.writeHead(401, { 'content-type': 'application/json' })
        res.end('{"resultCode":"A001202","resultMessage":"unauthorized"}')
      } else {
        // chunked, no content-length
        res.writeHead(503, { 'content-type': 'text/plain' })
        res.write('try ')
        res.end('later')
      }
    })
    const t = transport(server.url)
    await expect(t.send(call(server.url, '/401'))).resolves.toEqual({ status: 401, text: '{"resultCode":"A001202","resultMessage":"unauthorized"}' })
    await expect(t.send(call(server.url, '/503'))).resolves.toEqual({ status: 503, text: 'try later' })
  })

  it('resolves an empty body as an empty text', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(204)
      res.end()
    })
    await expect(transport(server.url).send(call(server.url))).resolves.toEqual({ status: 204, text: '' })
  })

  it('decodes UTF-8 once, over the whole body: a character split across chunks stays whole', async () => {
    const euro = Buffer.from('"€"') // 22 e2 82 ac 22
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write(euro.subarray(0, 2))
      setTimeout(() => res.end(euro.subarray(2)), 30)
    })
    await expect(transport(server.url).send(call(server.url))).resolves.toEqual({ status: 200, text: '"€"' })
  })

  it('a 1xx informational response before the final one still yields the final status and body', async () => {
    const server = await serve((_req, res) => {
      res.writeProcessing()
      // A 1xx head says nothing of the final body: its headers are not the reply's.
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style', 'content-length': String(MAX_RESPONSE_BYTES + 1) })
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify(OK))
      }, 20)
    })
    await expect(transport(server.url).send(call(server.url))).resolves.toEqual({ status: 200, text: JSON.stringify(OK) })
  })

  it('a reply of exactly MAX_RESPONSE_BYTES is accepted, with a content-length or chunked', async () => {
    const body = Buffer.alloc(MAX_RESPONSE_BYTES, 0x61)
    const server = await serve((req, res) => {
      if (req.url === '/declared') {
        res.writeHead(200, { 'content-length': String(body.length) })
        res.end(body)
      } else {
        res.writeHead(200)
        for (let at = 0; at < body.length; at += 100_000) res.write(body.subarray(at, at + 100_000))
        res.end()
      }
    })
    const t = transport(server.url)
    for (const path of ['/declared', '/chunked']) {
      const reply = await t.send(call(server.url, path))
      expect(reply.status).toBe(200)
      expect(reply.text.length).toBe(MAX_RESPONSE_BYTES)
    }
  })
})

describe('the undici transport: oversized replies', () => {
  it('refuses a declared content-length over MAX_RESPONSE_BYTES at the headers, and aborts the request', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(MAX_RESPONSE_BYTES + 1) })
      // A few bytes, then nothing: a transport that waited for the body would time out instead.
      res.write('{"action":')
    })
    const t = transport(server.url)
    const started = Date.now()
    expect(await codeOf(t.send(call(server.url)))).toBe('ERR_AUTHLETE_INVALID_RESPONSE')
    expect(Date.now() - started).toBeLessThan(1500)
    await eventually(() => server.seen[0]!.dropped())
  })

  it('refuses a chunked reply (no content-length) once it passes MAX_RESPONSE_BYTES, without reading it all', async () => {
    let written = 0
    let finished = false
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      // An endless body, written as fast as the client takes it.
      const pump = () => {
        while (!res.destroyed && !finished) {
          written += chunk.length
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
      }
      res.on('close', () => (finished = true))
      pump()
    })
    const t = transport(server.url, { timeoutMs: 10_000 })
    expect(await codeOf(t.send(call(server.url, '/', { timeoutMs: 10_000 })))).toBe('ERR_AUTHLETE_INVALID_RESPONSE')
    await eventually(() => finished)
    // Refused past 1 MiB: what the server got out is that plus what the sockets' buffers held.
    expect(written).toBeGreaterThan(MAX_RESPONSE_BYTES)
    expect(written).toBeLessThan(32 * MAX_RESPONSE_BYTES)
  })
})

/** The call fails with ERR_AUTHLETE_TIMEOUT, between `min` and `max` ms from now. */
async function timesOut(sent: Promise<unknown>, min: number, max: number): Promise<void> {
  const started = Date.now()
  expect(await codeOf(sent)).toBe('ERR_AUTHLETE_TIMEOUT')
  const elapsed = Date.now() - started
  expect(elapsed).toBeGreaterThanOrEqual(min)
  expect(elapsed).toBeLessThan(max)
}

describe('the undici transport: deadlines', () => {
  it('a server that never answers: ERR_AUTHLETE_TIMEOUT within about timeoutMs, and the connection is dropped', async () => {
    const server = await serve(() => {})
    const t = transport(server.url, { timeoutMs: 200 })
    await timesOut(t.send(call(server.url, '/', { timeoutMs: 200 })), 180, 1500)
    await eventually(() => server.seen[0]!.dropped())
  })

  it('one deadline from dispatch to last byte: a body that keeps trickling in still times out', async () => {
    const timers: NodeJS.Timeout[] = []
    serverCleanups.push(() => timers.forEach(clearInterval))
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('[')
      timers.push(setInterval(() => res.write(' '), 40))
    })
    // undici's own headers/body timeouts (5 s, refreshed by each chunk) never fire here: only the call's deadline can.
    const t = transport(server.url, { timeoutMs: 5000 })
    await timesOut(t.send(call(server.url, '/', { timeoutMs: 300 })), 280, 2000)
    // and the request is aborted, not left to run on
    await eventually(() => server.seen[0]!.dropped())
  })

  it('a call queued behind a busy connection (connections: 1) times out on its own deadline, and is never sent', async () => {
    let release = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    const server = await serve((req, res) => {
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ path: req.url }))
      }
      if (req.url === '/busy') void released.then(answer)
      else answer()
    })
    const t = transport(server.url, { connections: 1, maxQueued: 4, timeoutMs: 5000 })
    const busy = t.send(call(server.url, '/busy', { timeoutMs: 5000 }))
    await eventually(() => server.seen.length === 1)
    const started = Date.now()
    expect(await codeOf(t.send(call(server.url, '/queued', { timeoutMs: 200 })))).toBe('ERR_AUTHLETE_TIMEOUT')
    // Rejected on its own deadline while the connection is still busy, not when the connection frees up.
    expect(Date.now() - started).toBeLessThan(1500)
    release()
    await expect(busy).resolves.toEqual({ status: 200, text: '{"path":"/busy"}' })
    // The abandoned call reached the head of the queue after /busy: it was aborted there, never written.
    // /after queues behind it on the one connection (first in, first out), so once /after is
    // answered, an abandoned call that had been written would have reached the server before it.
    await expect(t.send(call(server.url, '/after'))).resolves.toEqual({ status: 200, text: '{"path":"/after"}' })
    expect(server.seen.map((s) => s.url)).toEqual(['/busy', '/after'])
  })
})

describe('the undici transport: network failures', () => {
  it('a refused connection: ERR_AUTHLETE_UNREACHABLE', async () => {
    const url = await unreachableUrl()
    const error = await transport(url).send(call(url)).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_AUTHLETE_UNREACHABLE' })
    expect(String((error as Error).message)).toContain('ECONNREFUSED')
    expect(String((error as Error).message)).not.toContain(SERVICE_TOKEN)
  })

  it('a connection dropped mid-body: ERR_AUTHLETE_UNREACHABLE', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      res.write('{"action":')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    expect(await codeOf(transport(server.url).send(call(server.url)))).toBe('ERR_AUTHLETE_UNREACHABLE')
  })

  it('after close(), its own pool is closed: the server sees the connection go, and a call fails with ERR_AUTHLETE_UNREACHABLE', async () => {
    const server = await serve((_req, res) => res.end('{}'))
    const t = createUndiciTransport(server.url, { timeoutMs: 3000, connections: 2, maxQueued: 2 })
    await expect(t.send(call(server.url))).resolves.toEqual({ status: 200, text: '{}' })
    expect(server.seen[0]!.dropped()).toBe(false)
    await t.close()
    await eventually(() => server.seen[0]!.dropped())
    expect(await codeOf(t.send(call(server.url)))).toBe('ERR_AUTHLETE_UNREACHABLE')
  })
})

describe('the undici transport: the overload bound (connections + maxQueued)', () => {
  it('does not leak after errors: after timeouts, refusals, resets and a queued timeout, exactly connections + maxQueued calls are admitted', async () => {
    let hold = () => {}
    const held = new Promise<void>((resolve) => (hold = resolve))
    const server = await serve((req, res) => {
      switch (req.url) {
        case '/hang':
          return
        case '/declared-big':
          res.writeHead(200, { 'content-length': String(MAX_RESPONSE_BYTES + 1) })
          return void res.write('x')
        case '/chunked-big':
          res.writeHead(200)
          return void res.end(Buffer.alloc(MAX_RESPONSE_BYTES + 1, 0x20))
        case '/reset':
          return void res.socket?.destroy()
        case '/401':
          res.writeHead(401)
          return void res.end('no')
        case '/hold':
          return void held.then(() => res.end('held'))
        default:
          res.end('ok')
      }
    })
    const t = transport(server.url, { connections: 1, maxQueued: 1, timeoutMs: 3000 })
    const u = server.url
    expect(await codeOf(t.send(call(u, '/hang', { timeoutMs: 100 })))).toBe('ERR_AUTHLETE_TIMEOUT')
    expect(await codeOf(t.send(call(u, '/declared-big')))).toBe('ERR_AUTHLETE_INVALID_RESPONSE')
    expect(await codeOf(t.send(call(u, '/chunked-big')))).toBe('ERR_AUTHLETE_INVALID_RESPONSE')
    expect(await codeOf(t.send(call(u, '/reset')))).toBe('ERR_AUTHLETE_UNREACHABLE')
    await expect(t.send(call(u, '/401'))).resolves.toEqual({ status: 401, text: 'no' })
    // Two at once: one on the connection, one queued; both time out.
    const codes = await Promise.all([codeOf(t.send(call(u, '/hang', { timeoutMs: 300 }))), codeOf(t.send(call(u, '/ok', { timeoutMs: 100 })))])
    expect(codes).toEqual(['ERR_AUTHLETE_TIMEOUT', 'ERR_AUTHLETE_TIMEOUT'])

    // Now the bound is whole again, and no larger: two calls admitted, the third refused at once.
    const first = t.send(call(u, '/hold'))
    const second = t.send(call(u, '/hold'))
    expect(await codeOf(t.send(call(u, '/ok')))).toBe('ERR_AUTHLETE_OVERLOADED')
    hold()
    await expect(Promise.all([first, second])).resolves.toEqual([
      { status: 200, text: 'held' },
      { status: 200, text: 'held' },
    ])
    await expect(t.send(call(u, '/ok'))).resolves.toEqual({ status: 200, text: 'ok' })
  })

  it('does not leak after refused connections', async () => {
    const url = await unreachableUrl()
    const t = transport(url, { connections: 1, maxQueued: 0 })
    for (let i = 0; i < 3; i++) expect(await codeOf(t.send(call(url)))).toBe('ERR_AUTHLETE_UNREACHABLE')
    const codes = await Promise.all([codeOf(t.send(call(url))), codeOf(t.send(call(url)))])
    expect(codes).toEqual(['ERR_AUTHLETE_UNREACHABLE', 'ERR_AUTHLETE_OVERLOADED'])
  })
})

describe('the undici transport: a caller-given dispatcher', () => {
  it('sends through the given undici Agent, and close() leaves it open', async () => {
    const server = await serve((_req, res) => res.end('{"via":"agent"}'))
    const agent = new Agent({ connections: 1 })
    cleanups.push(() => agent.close())
    const connected: string[] = []
    agent.on('connect', (origin) => connected.push(String(origin)))
    const t = createUndiciTransport(server.url, { timeoutMs: 3000, connections: 2, maxQueued: 2, dispatcher: agent })
    await expect(t.send(call(server.url))).resolves.toEqual({ status: 200, text: '{"via":"agent"}' })
    expect(connected).toEqual([`${server.url}/`])
    await t.close()
    expect(agent.closed).toBe(false)
    expect(agent.destroyed).toBe(false)
    // The agent still works, for the transport and for its owner, on the same connection.
    await expect(t.send(call(server.url))).resolves.toEqual({ status: 200, text: '{"via":"agent"}' })
    const direct = await agent.request({ origin: server.url, path: '/', method: 'GET' })
    expect(await direct.body.text()).toBe('{"via":"agent"}')
    expect(server.connections()).toBe(1)
  })
})
