// mcpAuth on a real Express app in front of the SDK's Node transport (StreamableHTTPServerTransport),
// with a real guard on the emulator: req.auth as the SDK's AuthInfo, denials before the transport,
// and the per-tool scope map read from the JSON-RPC body (parsed by express.json() or read here).
import express from 'express'
import type { ErrorRequestHandler, Request, Response } from 'express'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Guard } from '@authlete-guard/core'
import { createDpopProof, DEFAULT_ACCESS_TOKEN_DURATION } from '@authlete-guard/emulator'
import { DEFAULT_MCP_BODY_LIMIT, mcpAuth, mcpRequest, type McpRouteOptions } from '../src/index'
import { statusBeforeBodyEnds, thrownCode } from '../../../test/support/adapter-testbed'
import { newMcpServer, post, runs, toolCall, toolText, useMcpBed } from './support'

const bed = useMcpBed()

/** How many requests reached the transport's handler: a request answered by mcpAuth adds none. */
let handled = 0

/** The SDK's stateless Node transport, one per request, as its own examples do. */
function transportHandler(passBody: boolean) {
  return async (req: Request, res: Response) => {
    handled++
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
    res.on('close', () => void transport.close())
    await newMcpServer().connect(transport)
    await transport.handleRequest(mcpRequest(req), res, passBody ? req.body : undefined)
  }
}

const reportError: ErrorRequestHandler = (err, _req, res, _next) => {
  res.status(599).json({ caught: (err as Error).message })
}

const introspections = () => bed.emu().requests.filter((r) => r.path.endsWith('/auth/introspection')).length

const TOOLS: McpRouteOptions = { scopes: ['mcp'], tools: { 'delete-file': ['files:write'] } }

describe('mcpAuth on Express with the SDK transport', () => {
  let base = ''
  let guard: Guard
  let metadataUrl = ''
  const url = (path: string) => `${base}${path}`

  beforeAll(async () => {
    const server = await bed.listen()
    base = server.url
    guard = bed.newGuard(`${base}/mcp`)
    metadataUrl = `${base}/.well-known/oauth-protected-resource/mcp`
    const app = express()
    app.post('/mcp', mcpAuth(guard, TOOLS), transportHandler(true)) // the body read by mcpAuth
    app.post('/parsed/mcp', express.json(), mcpAuth(guard, TOOLS), transportHandler(true))
    app.post('/raw-body/mcp', mcpAuth(guard, TOOLS), transportHandler(false)) // req.body not passed on
    app.post('/plain/mcp', mcpAuth(guard, { scopes: ['mcp'] }), transportHandler(false)) // no map: no body read
    app.post('/small/mcp', mcpAuth(guard, { ...TOOLS, bodyLimit: 256 }), transportHandler(true))
    app.post('/consumed/mcp', express.text({ type: 'x/none' }), (req, _res, next) => void req.resume().once('end', () => next()), mcpAuth(guard, TOOLS), transportHandler(true))
    app.post('/unguarded/mcp', transportHandler(true))
    // A middleware that sets req.body without reading the stream (as body-parser 1.x does for a type it skips).
    app.post('/preset/mcp', (req, _res, next) => void ((req.body = {}), next()), mcpAuth(guard, TOOLS), transportHandler(false))
    app.use(reportError)
    server.handle(app)
  })

  const bearer = async (scopes: string[], more: { resources?: string[] } = {}) => {
    const { accessToken } = await bed.emu().createToken({ subject: 'alice', scopes, resources: [`${base}/mcp`], ...more })
    return { accessToken, headers: { authorization: `Bearer ${accessToken}` } }
  }

  it('sets req.auth to the SDK AuthInfo, which reaches the tool as extra.authInfo', async () => {
    const { accessToken, headers } = await bearer(['mcp', 'profile'])
    const res = await post(url('/mcp'), toolCall('whoami'), headers)
    expect(res.status).toBe(200)
    const info = JSON.parse((await toolText(res)).text)
    expect(info).toMatchObject({
      token: accessToken,
      clientId: expect.any(String),
      scopes: ['mcp', 'profile'],
      resource: `${base}/mcp`,
      extra: { subject: 'alice', resourceMetadataUrl: metadataUrl, accessTokenInfo: { subject: 'alice', tokenType: 'Bearer', scopes: ['mcp', 'profile'], resources: [`${base}/mcp`] } },
    })
    expect(Number(info.clientId)).toBe(info.extra.accessTokenInfo.clientId)
    expect(info.expiresAt).toBe(Math.floor(info.extra.accessTokenInfo.expiresAt / 1000))
    expect(Math.abs(info.expiresAt - Date.now() / 1000 - DEFAULT_ACCESS_TOKEN_DURATION)).toBeLessThan(60)
  })

  it('accepts a DPoP-bound token with its proof on the same endpoint: token from the DPoP scheme', async () => {
    const key = bed.key()
    const { accessToken } = await bed.emu().createToken({ subject: 'bob', scopes: ['mcp'], resources: [`${base}/mcp`], dpopKeyThumbprint: key.thumbprint })
    const dpop = await createDpopProof(key, { htm: 'POST', htu: url('/mcp'), accessToken })
    const res = await post(url('/mcp'), toolCall('whoami'), { authorization: `DPoP ${accessToken}`, dpop })
    expect(res.status).toBe(200)
    const info = JSON.parse((await toolText(res)).text)
    expect([info.token, info.extra.subject, info.extra.accessTokenInfo.tokenType]).toEqual([accessToken, 'bob', 'DPoP'])
  })

  it('answers 401 with resource_metadata before the transport when there is no token', async () => {
    const before = runs.whoami ?? 0
    const res = await post(url('/mcp'), toolCall('whoami'))
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer .*resource_metadata="${metadataUrl.replace(/[./]/g, '\\$&')}"`))
    expect(runs.whoami ?? 0).toBe(before)
  })

  it('answers 401 to a token for another resource (audience)', async () => {
    const { headers } = await bearer(['mcp'], { resources: ['https://other.example.com/mcp'] })
    const res = await post(url('/mcp'), toolCall('whoami'), headers)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
  })

  describe.each([
    ['read here', '/mcp'],
    ['parsed by express.json()', '/parsed/mcp'],
    ['read here, the transport given no parsed body', '/raw-body/mcp'],
  ])('tools map, body %s', (_name, path) => {
    it('a tools/call of a mapped tool without its scope: 403 insufficient_scope with scope and resource_metadata, tool not run', async () => {
      const { headers } = await bearer(['mcp'])
      const before = runs['delete-file'] ?? 0
      const res = await post(url(path), toolCall('delete-file'), headers)
      expect(res.status).toBe(403)
      const challenge = res.headers.get('www-authenticate')!
      expect(challenge).toMatch(/^Bearer error="insufficient_scope"/)
      expect(challenge).toContain('scope="mcp files:write"')
      expect(challenge).toContain(`resource_metadata="${metadataUrl}"`)
      expect(runs['delete-file'] ?? 0).toBe(before)
    })

    it('the same call with the scope, and an unmapped tool without it, reach the tool', async () => {
      const withScope = await post(url(path), toolCall('delete-file'), (await bearer(['mcp', 'files:write'])).headers)
      expect([withScope.status, (await toolText(withScope)).text]).toEqual([200, 'done'])
      const unmapped = await post(url(path), toolCall('read-file'), (await bearer(['mcp'])).headers)
      expect([unmapped.status, (await toolText(unmapped)).text]).toEqual([200, 'done'])
    })

    it('a UTF-8 BOM before the JSON (which the SDK transport strips) does not skip the map: 403, tool not run', async () => {
      const { headers } = await bearer(['mcp'])
      const before = runs['delete-file'] ?? 0
      const res = await post(url(path), `\uFEFF${JSON.stringify(toolCall('delete-file'))}`, headers)
      expect(res.status).toBe(403)
      expect(res.headers.get('www-authenticate')).toContain('scope="mcp files:write"')
      expect(runs['delete-file'] ?? 0).toBe(before)
    })

    it('a batch is checked with the union of every tools/call in it', async () => {
      const { headers } = await bearer(['mcp'])
      const res = await post(url(path), [toolCall('read-file'), toolCall('delete-file')], headers)
      expect(res.status).toBe(403)
      expect(res.headers.get('www-authenticate')).toContain('scope="mcp files:write"')
    })
  })

  it('without a tools map the body is not read, and the transport reads it itself', async () => {
    const res = await post(url('/plain/mcp'), toolCall('delete-file'), (await bearer(['mcp'])).headers)
    expect([res.status, (await toolText(res)).text]).toEqual([200, 'done'])
  })

  it('with a tools map, a body that is not JSON is 400 JSON-RPC parse error (id null): neither the guard nor the transport runs', async () => {
    const { headers } = await bearer(['mcp'])
    const before = { introspections: introspections(), handled }
    for (const body of ['{"jsonrpc": "2.0", "method": "tools/call", ', '', '\uFEFF\uFEFF{}', '{"a": 1} {"b": 2}']) {
      const res = await post(url('/mcp'), body, headers)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: Invalid JSON' }, id: null })
    }
    expect([introspections() - before.introspections, handled - before.handled]).toEqual([0, 0])
  })

  it('with a tools map, JSON nested deeper than the stack can re-serialise is 400 -32700, not a 500 before the guard', async () => {
    const { headers } = await bearer(['mcp'])
    const before = { introspections: introspections(), handled }
    const res = await post(url('/mcp'), `${'['.repeat(200_000)}${']'.repeat(200_000)}`, headers)
    expect([res.status, (await res.json()).error?.code]).toEqual([400, -32700])
    expect([introspections() - before.introspections, handled - before.handled]).toEqual([0, 0])
  })

  it('a body in another charset (utf-16le) is decoded as UTF-8, as the SDK transport does: 400 before the transport', async () => {
    const { headers } = await bearer(['mcp'])
    const before = handled
    const body = Buffer.from(JSON.stringify(toolCall('delete-file')), 'utf16le')
    const res = await fetch(url('/mcp'), { method: 'POST', headers: { ...headers, 'content-type': 'application/json; charset=utf-16le', accept: 'application/json, text/event-stream' }, body })
    expect([res.status, (await res.json()).error.code, handled - before]).toEqual([400, -32700, 0])
  })

  it('a req.body set without reading the stream is what the transport gets: the unread bytes never reach a tool', async () => {
    const before = runs['delete-file'] ?? 0
    const res = await post(url('/preset/mcp'), toolCall('delete-file'), (await bearer(['mcp'])).headers)
    expect(res.status).toBe(400) // the judged body, {}, is not a JSON-RPC message
    expect(runs['delete-file'] ?? 0).toBe(before)
  })

  it('a body over bodyLimit is 413 before the guard and the transport', async () => {
    const before = { introspections: introspections(), runs: runs['read-file'] ?? 0 }
    const big = { ...toolCall('read-file'), padding: 'x'.repeat(512) }
    const res = await post(url('/small/mcp'), big, (await bearer(['mcp'])).headers)
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32000 } })
    expect([introspections() - before.introspections, runs['read-file'] ?? 0]).toEqual([0, before.runs])
    expect(DEFAULT_MCP_BODY_LIMIT).toBe(4 * 1024 * 1024)
  })

  it('a Content-Length over bodyLimit is 413 at once, before the body arrives', async () => {
    const { headers } = await bearer(['mcp'])
    expect(await statusBeforeBodyEnds(url('/small/mcp'), { ...headers, 'content-type': 'application/json' }, 100_000)).toBe(413)
  })

  it('a chunked body (no Content-Length) is cut at bodyLimit as it arrives: 413', async () => {
    const { headers } = await bearer(['mcp'])
    const chunks = [JSON.stringify(toolCall('read-file')).slice(0, -1), `, "padding": "${'x'.repeat(300)}"}`]
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
        controller.close()
      },
    })
    const res = await fetch(url('/small/mcp'), { method: 'POST', headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(413)
    const small = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify(toolCall('read-file'))))
        controller.close()
      },
    })
    const ok = await fetch(url('/small/mcp'), { method: 'POST', headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: small, duplex: 'half' } as RequestInit)
    expect([ok.status, (await toolText(ok)).text]).toEqual([200, 'done'])
  })

  it('a body read by an earlier middleware that set no req.body goes to next(err): never unchecked', async () => {
    const res = await post(url('/consumed/mcp'), toolCall('delete-file'), (await bearer(['mcp'])).headers)
    expect(res.status).toBe(599)
    expect((await res.json()).caught).toMatch(/request body was read/)
  })

  it('mcpRequest(req) on a route without mcpAuth goes to the error handler, never to the transport', async () => {
    const res = await post(url('/unguarded/mcp'), toolCall('whoami'))
    expect(res.status).toBe(599)
    expect((await res.json()).caught).toMatch(/put mcpAuth\(guard\) before the transport/)
  })

  it('refuses bad options and a missing guard at start-up', () => {
    expect(thrownCode(() => mcpAuth(undefined as unknown as Guard))).toBe('ERR_INVALID_CONFIG')
    expect(thrownCode(() => mcpAuth(guard, { scope: ['mcp'] } as McpRouteOptions))).toBe('ERR_INVALID_CONFIG')
    expect(thrownCode(() => mcpAuth(guard, { tools: { x: 'files:write' as unknown as string[] } }))).toBe('ERR_INVALID_CONFIG')
    expect(thrownCode(() => mcpAuth(guard, { tools: { x: [] } }))).toBe('ERR_INVALID_CONFIG')
    expect(thrownCode(() => mcpAuth(guard, { tools: { x: [''] } }))).toBe('ERR_INVALID_CONFIG')
    expect(thrownCode(() => mcpAuth(guard, { bodyLimit: 0 }))).toBe('ERR_INVALID_CONFIG')
    expect(thrownCode(() => mcpAuth(guard, TOOLS))).toBe('none')
  })
})
