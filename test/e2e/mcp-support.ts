// The pieces of test/e2e/mcp.test.ts: an authorization server (createAuthorizationServer on the
// emulator: token endpoint and RFC 8414 metadata), MCP servers on Express (mcpAuth + the SDK's
// Node transport) and Hono (protect + toMcpAuthInfo + the Web-standard transport), and fetch
// wrappers for the SDK client: one records every request and status, one makes it a DPoP client.
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import type { Guard } from '@authlete-guard/core'
import { createDpopProof, type DpopKeyPair } from '@authlete-guard/emulator'
import { authorizationServerMetadata, createAuthorizationServer, resourceMetadata, tokenEndpoint } from '@authlete-guard/express'
import { protect, resourceMetadata as honoResourceMetadata, type AuthEnv } from '@authlete-guard/hono'
import { mcpAuth, mcpRequest, requireScopes, toMcpAuthInfo, type McpRouteOptions } from '@authlete-guard/mcp'

export const servers: Server[] = []

/** Listen on 127.0.0.1 (port 0) with no handler yet: the URL is known before the app is made. */
export async function listen(): Promise<{ url: string; handle(listener: RequestListener): void }> {
  let current: RequestListener = (_req, res) => res.writeHead(503).end()
  const server = createServer((req, res) => current(req, res))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handle: (listener) => void (current = listener) }
}

/**
 * The SDK's McpServer with `whoami` (answers `extra.authInfo`), `delete-file` (scoped by the
 * Express endpoint's tools map) and `write-note` (demands `notes:write` with `requireScopes`).
 */
export function newMcpServer(): McpServer {
  const server = new McpServer({ name: 'e2e', version: '1.0.0' })
  server.registerTool('whoami', { description: 'what extra.authInfo holds' }, async ({ authInfo }) => ({
    content: [{ type: 'text', text: JSON.stringify({ ...authInfo, resource: authInfo?.resource?.href }) }],
  }))
  server.registerTool('delete-file', { description: 'needs files:write' }, async () => ({ content: [{ type: 'text', text: 'deleted' }] }))
  server.registerTool('write-note', { description: 'needs notes:write' }, async ({ authInfo }) => {
    requireScopes(authInfo, ['notes:write'])
    return { content: [{ type: 'text', text: 'written' }] }
  })
  return server
}

/** The authorization server app: `/.well-known/oauth-authorization-server` and `POST /token`. */
export function authorizationServerApp(authlete: { baseUrl: string; serviceId: string; accessToken: string }) {
  const as = createAuthorizationServer({ authlete })
  const app = express()
  app.use(authorizationServerMetadata(as))
  app.post('/token', tokenEndpoint(as))
  return { app, as }
}

/** An MCP endpoint on Express at `path`: metadata, mcpAuth, the SDK's stateless Node transport; GET 405. */
export function mountExpressMcp(app: express.Express, guard: Guard, path: string, route: McpRouteOptions): void {
  app.use(resourceMetadata(guard))
  app.post(path, mcpAuth(guard, route), async (req, res) => {
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
    res.on('close', () => void transport.close())
    await newMcpServer().connect(transport)
    await transport.handleRequest(mcpRequest(req), res, req.body)
  })
  app.get(path, (_req, res) => void res.status(405).set('allow', 'POST').end()) // stateless: no SSE stream
}

/** The same MCP endpoint on Hono with the SDK's Web-standard transport, one per guard and path. */
export function honoMcpListener(endpoints: Array<{ guard: Guard; path: string }>): RequestListener {
  const app = new Hono<AuthEnv>()
  for (const { guard, path } of endpoints) {
    app.use(honoResourceMetadata(guard))
    app.post(path, protect(guard, { scopes: ['mcp'] }), async (c) => {
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined })
      await newMcpServer().connect(transport)
      return transport.handleRequest(c.req.raw, { authInfo: toMcpAuthInfo(c.get('auth'), c.req.raw, guard) })
    })
    app.get(path, (c) => c.body(null, 405, { allow: 'POST' }))
  }
  return getRequestListener(app.fetch)
}

/** One HTTP exchange of the client: no token, proof or secret is kept. */
export interface Step {
  method: string
  /** Path of the URL (no query), e.g. `/.well-known/oauth-protected-resource/mcp`. */
  path: string
  status: number
  /** The Authorization scheme sent (`Bearer`, `DPoP`, `Basic`), if any. */
  scheme?: string | undefined
  /** The JSON-RPC method of a POST to the MCP endpoint. */
  rpc?: string | undefined
  /** `WWW-Authenticate` of the answer. */
  challenge?: string | undefined
  /** The form of a token request, `client_secret` and `assertion` left out. */
  form?: Record<string, string> | undefined
  /** `token_type` of a token response. */
  tokenType?: string | undefined
}

function bodyText(body: BodyInit | null | undefined): string | undefined {
  if (typeof body === 'string') return body
  if (body instanceof URLSearchParams) return body.toString()
  return undefined
}

/** A fetch for the SDK client that records each request and its status in `steps`. */
export function recordingFetch(steps: Step[], inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const headers = new Headers(init?.headers)
    const text = bodyText(init?.body)
    const res = await inner(input, init)
    const step: Step = { method: init?.method ?? 'GET', path: url.pathname, status: res.status, scheme: headers.get('authorization')?.split(' ')[0] }
    if (res.headers.get('www-authenticate')) step.challenge = res.headers.get('www-authenticate')!
    if (text !== undefined && headers.get('content-type')?.startsWith('application/x-www-form-urlencoded')) {
      step.form = Object.fromEntries([...new URLSearchParams(text)].filter(([name]) => name !== 'client_secret' && name !== 'assertion'))
      if (res.ok) step.tokenType = ((await res.clone().json()) as { token_type?: string }).token_type
    } else if (text !== undefined) {
      step.rpc = ([] as Array<{ method?: string }>).concat(JSON.parse(text)).map((m) => m.method).join(',')
    }
    steps.push(step)
    return res
  }
}

/**
 * A fetch that makes the SDK client a DPoP client (RFC 9449): a proof on each token request, and
 * on each request to the MCP endpoint `Authorization: DPoP <token>` (the SDK writes `Bearer`) with
 * a proof bound to the token (`ath`).
 */
export function dpopFetch(key: DpopKeyPair, tokenUrl: string, mcpUrl: string, inner: typeof fetch): typeof fetch {
  return async (input, init) => {
    const url = String(input instanceof Request ? input.url : input)
    const method = init?.method ?? 'GET'
    const headers = new Headers(init?.headers)
    if (url === tokenUrl) {
      headers.set('dpop', await createDpopProof(key, { htm: method, htu: tokenUrl }))
    } else if (url === mcpUrl && headers.get('authorization')?.startsWith('Bearer ')) {
      const accessToken = headers.get('authorization')!.slice('Bearer '.length)
      headers.set('authorization', `DPoP ${accessToken}`)
      headers.set('dpop', await createDpopProof(key, { htm: method, htu: mcpUrl, accessToken }))
    }
    return inner(input, { ...init, headers })
  }
}

/** The steps as lines: `POST /mcp (initialize) -> 401`. */
export function sequence(steps: Step[]): string[] {
  return steps.map((s) => `${s.method} ${s.path}${s.rpc ? ` (${s.rpc})` : ''}${s.scheme ? ` [${s.scheme}]` : ''} -> ${s.status}`)
}
