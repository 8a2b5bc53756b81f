// readBody (@authlete-guard/core/node): a request body read whole with a limit, over real HTTP on
// 127.0.0.1. The Express token and PAR endpoints and @authlete-guard/mcp's mcpAuth read with it.
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readBody } from '../src/node/index'
import { statusBeforeBodyEnds } from '../../../test/support/adapter-testbed'

const LIMIT = 64

describe('readBody(req, limit)', () => {
  let server: Server
  let url = ''
  /** What the last request's readBody did: resolved (with its result) or rejected. */
  let settled: Promise<string>
  let settle: (outcome: string) => void = () => {}

  beforeAll(async () => {
    server = createServer((req, res) => {
      readBody(req, LIMIT).then(
        (read) => {
          settle(read.ok ? 'ok' : read.reason)
          if (read.ok) res.writeHead(200, { 'content-type': 'text/plain' }).end(read.body)
          else res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify(read))
        },
        (error: NodeJS.ErrnoException) => settle(`rejected ${error.code}`),
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const expectOutcome = () => {
    settled = new Promise((resolve) => (settle = resolve))
  }

  /** POST `chunks` with chunked transfer encoding (no Content-Length): the limit can only be seen as they arrive. */
  function postChunked(chunks: string[]): Promise<{ status: number | undefined; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST' }, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode, text }))
      })
      req.on('error', reject)
      for (const chunk of chunks) req.write(chunk)
      req.end()
    })
  }

  it('reads a body sent in several chunks whole, up to exactly the limit', async () => {
    expectOutcome()
    const chunks = ['a'.repeat(20), 'b'.repeat(20), 'c'.repeat(LIMIT - 40)]
    expect(await postChunked(chunks)).toEqual({ status: 200, text: chunks.join('') })
    expect(await settled).toBe('ok')
  })

  it('a body that grows past the limit is too_large as it arrives; the connection still carries the 413', async () => {
    expectOutcome()
    const answer = await postChunked(['a'.repeat(LIMIT), 'b'])
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.text)).toEqual({ ok: false, reason: 'too_large' })
    expect(await settled).toBe('too_large')
  })

  it('a Content-Length over the limit is too_large at once, before the body arrives', async () => {
    expectOutcome()
    expect(await statusBeforeBodyEnds(url, { 'content-type': 'application/json' }, LIMIT + 1)).toBe(413)
    expect(await settled).toBe('too_large')
  })

  it('a client that goes away mid-body: the read rejects (never resolves with part of the body)', async () => {
    expectOutcome()
    const req = request(url, { method: 'POST', headers: { 'content-length': String(LIMIT) } })
    req.on('error', () => {})
    req.write('abc')
    setTimeout(() => req.destroy(), 50)
    expect(await settled).toBe('rejected ECONNRESET')
  })
})
