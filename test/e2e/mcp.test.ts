// The MCP SDK's own client (Client + StreamableHTTPClientTransport + ClientCredentialsProvider, no
// hand-made token) against MCP servers protected by @authlete-guard/mcp, with the authorization
// server (token endpoint + RFC 8414 metadata) served by createAuthorizationServer on the emulator:
// the 401 -> RFC 9728 metadata -> authorization-server metadata -> token (with `resource`) -> retry
// discovery, step-up on 403 (the Express tools map), and on Express and on Hono with the
// Web-standard transport alike: a token for another resource (401, rediscovery), a DPoP client, and
// requireScopes inside a tool (a tool error carrying the challenge).
// Every request the client makes is recorded (method, path, status) and printed.
import express from 'express'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js'
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGuard, type Guard } from '@authlete-guard/express'
import { createDpopKeyPair, DEFAULT_CLIENT, startEmulator } from '@authlete-guard/emulator'
import { authorizationServerApp, dpopFetch, honoMcpListener, listen, mountExpressMcp, recordingFetch, sequence, servers, type Step } from './mcp-support'

let emu: Awaited<ReturnType<typeof startEmulator>>
let asUrl = ''
let base = '' // the Express MCP server
let honoBase = ''
const closers: Array<() => Promise<unknown>> = []
const CLIENT_ID = String(DEFAULT_CLIENT.clientId)

beforeAll(async () => {
  emu = await startEmulator({ port: 0 })
  const authlete = { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }
  const asServer = await listen()
  asUrl = asServer.url
  emu.configure({ issuer: asUrl, tokenEndpoint: `${asUrl}/token` }) // what /service/configuration reports
  const { app: asApp, as } = authorizationServerApp(authlete)
  asServer.handle(asApp)
  closers.push(() => as.close())

  const newGuard = (resource: string): Guard => {
    const guard = createGuard({ authlete, resource, resourceMetadata: { authorization_servers: [asUrl], scopes_supported: ['mcp', 'files:write', 'notes:write'], resource_name: 'e2e MCP server' } })
    closers.push(() => guard.close())
    return guard
  }
  const mcpServer = await listen()
  base = mcpServer.url
  const app = express()
  mountExpressMcp(app, newGuard(`${base}/mcp`), '/mcp', { scopes: ['mcp'], tools: { 'delete-file': ['files:write'] } })
  mountExpressMcp(app, newGuard(`${base}/other/mcp`), '/other/mcp', { scopes: ['mcp'] })
  mcpServer.handle(app)

  const hono = await listen()
  honoBase = hono.url
  hono.handle(honoMcpListener([{ guard: newGuard(`${honoBase}/mcp`), path: '/mcp' }, { guard: newGuard(`${honoBase}/other/mcp`), path: '/other/mcp' }]))
})

afterAll(async () => {
  for (const server of servers) server.closeAllConnections()
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  for (const close of closers) await close()
  await emu?.close()
})

/** A connected SDK client whose every request is recorded in `steps`. */
async function connect(mcpUrl: string, steps: Step[], options: { scope?: string; provider?: ClientCredentialsProvider; fetch?: (inner: typeof fetch) => typeof fetch } = {}) {
  const provider = options.provider ?? new ClientCredentialsProvider({ clientId: CLIENT_ID, clientSecret: DEFAULT_CLIENT.clientSecret, scope: options.scope ?? 'mcp', expectedIssuer: asUrl })
  const recorded = recordingFetch(steps)
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: options.fetch ? options.fetch(recorded) : recorded })
  const client = new Client({ name: 'e2e-client', version: '1.0.0' })
  await client.connect(transport)
  closers.push(() => client.close())
  // The SDK opens its optional SSE stream (GET, 405 here) without waiting for it: wait for that
  // answer (bounded), so that every sequence below has one order.
  const path = new URL(mcpUrl).pathname
  for (let i = 0; i < 100 && !steps.some((step) => step.method === 'GET' && step.path === path); i++) await new Promise((resolve) => setTimeout(resolve, 20))
  return { client, provider }
}

async function whoami(client: Client): Promise<Record<string, any>> {
  const result = await client.callTool({ name: 'whoami', arguments: {} })
  return JSON.parse((result.content as Array<{ text: string }>)[0]!.text)
}

/** Print the sequence, with the challenge of each 401 and 403 (no token is recorded). */
function print(title: string, steps: Step[]): void {
  const lines = sequence(steps).map((line, i) => `  ${line}${steps[i]!.challenge ? `\n      WWW-Authenticate: ${steps[i]!.challenge}` : ''}`)
  console.log(`${title}\n${lines.join('\n')}`)
}

const DISCOVERY = (mcpPath: string) => [
  `POST ${mcpPath} (initialize) -> 401`,
  `GET /.well-known/oauth-protected-resource${mcpPath} -> 200`,
  'GET /.well-known/oauth-authorization-server -> 200',
  'POST /token [Basic] -> 200',
  `POST ${mcpPath} (initialize) [Bearer] -> 200`,
]

describe('the SDK client discovers everything from a 401 and gets a token for the resource (Express, mcpAuth)', () => {
  const steps: Step[] = []
  let info: Record<string, any>
  let accessToken: string | undefined

  beforeAll(async () => {
    const { client, provider } = await connect(`${base}/mcp`, steps)
    info = await whoami(client)
    accessToken = provider.tokens()?.access_token
    print('Discovery sequence (Express, mcpAuth):', steps)
  })

  it('401 with resource_metadata -> RFC 9728 metadata 200 -> RFC 8414 metadata 200 -> token 200 -> retry 200 -> the tool', () => {
    expect(sequence(steps)).toEqual([
      ...DISCOVERY('/mcp'),
      'POST /mcp (notifications/initialized) [Bearer] -> 202',
      'GET /mcp [Bearer] -> 405',
      'POST /mcp (tools/call) [Bearer] -> 200',
    ])
    expect(steps[0]!.challenge).toMatch(new RegExp(`^Bearer .*resource_metadata="${base}/\\.well-known/oauth-protected-resource/mcp"`))
  })

  it('the token request names the resource (RFC 8707) and the client credentials grant', () => {
    expect(steps[3]!.form).toEqual({ grant_type: 'client_credentials', scope: 'mcp', resource: `${base}/mcp` })
  })

  it('the tool gets extra.authInfo: the token, client id, scopes, expiry, resource and the introspected token', () => {
    expect(accessToken).toEqual(expect.any(String))
    expect(info).toMatchObject({
      token: accessToken,
      clientId: CLIENT_ID,
      scopes: ['mcp'],
      resource: `${base}/mcp`,
      extra: { resourceMetadataUrl: `${base}/.well-known/oauth-protected-resource/mcp`, accessTokenInfo: { tokenType: 'Bearer', resources: [`${base}/mcp`], grantType: 'CLIENT_CREDENTIALS' } },
    })
    expect(info.expiresAt).toBe(Math.floor(info.extra.accessTokenInfo.expiresAt / 1000))
  })
})

// Express (mcpAuth + the Node transport) and Hono (protect + toMcpAuthInfo + the Web-standard transport).
const SERVERS = [
  ['Express, mcpAuth', () => base],
  ['Hono, Web-standard transport', () => honoBase],
] as const

describe.each(SERVERS)('audience: a token issued for another resource (%s)', (name, server) => {
  it('gets 401 invalid_token at this endpoint; the client rediscovers and gets one for this resource', async () => {
    const first: Step[] = []
    const { provider } = await connect(`${server()}/other/mcp`, first) // the provider now holds a token for /other/mcp
    expect(first[3]!.form?.resource).toBe(`${server()}/other/mcp`)
    const steps: Step[] = []
    const { client } = await connect(`${server()}/mcp`, steps, { provider })
    print(`A token for /other/mcp presented at /mcp (${name}):`, steps)
    expect(sequence(steps).slice(0, 5)).toEqual([
      'POST /mcp (initialize) [Bearer] -> 401',
      'GET /.well-known/oauth-protected-resource/mcp -> 200',
      'GET /.well-known/oauth-authorization-server -> 200',
      'POST /token [Basic] -> 200',
      'POST /mcp (initialize) [Bearer] -> 200',
    ])
    expect(steps[0]!.challenge).toMatch(/^Bearer error="invalid_token"/)
    expect(steps[0]!.challenge).toContain(`resource_metadata="${server()}/.well-known/oauth-protected-resource/mcp"`)
    expect(steps[3]!.form?.resource).toBe(`${server()}/mcp`)
    expect((await whoami(client)).resource).toBe(`${server()}/mcp`)
  })
})

describe('a tool that needs more scopes (mcpAuth tools map)', () => {
  it('gets HTTP 403 insufficient_scope with scope and resource_metadata; the client steps up once, then gives up', async () => {
    const steps: Step[] = []
    const { client } = await connect(`${base}/mcp`, steps)
    steps.length = 0
    const error = await client.callTool({ name: 'delete-file', arguments: {} }).then(() => undefined, (e: unknown) => e)
    print('A tool needing files:write, client configured for "mcp":', steps)
    expect(error).toBeInstanceOf(StreamableHTTPError)
    expect((error as StreamableHTTPError).code).toBe(403)
    expect(sequence(steps)).toEqual([
      'POST /mcp (tools/call) [Bearer] -> 403',
      'GET /.well-known/oauth-protected-resource/mcp -> 200',
      'GET /.well-known/oauth-authorization-server -> 200',
      'POST /token [Basic] -> 200',
      'POST /mcp (tools/call) [Bearer] -> 403',
    ])
    const challenge = steps.find((step) => step.status === 403)!.challenge!
    expect(challenge).toMatch(/^Bearer error="insufficient_scope"/)
    expect(challenge).toContain('scope="mcp files:write"')
    expect(challenge).toContain(`resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`)
  })

  it('a client configured for both scopes calls it', async () => {
    const { client } = await connect(`${base}/mcp`, [], { scope: 'mcp files:write' })
    const result = await client.callTool({ name: 'delete-file', arguments: {} })
    expect(result.content).toEqual([{ type: 'text', text: 'deleted' }])
  })
})

describe.each(SERVERS)('a DPoP client on the same endpoint (%s)', (name, server) => {
  it('gets a DPoP-bound token from the token endpoint and calls the tool with DPoP proofs', async () => {
    const key = await createDpopKeyPair('ES256')
    const steps: Step[] = []
    const { client, provider } = await connect(`${server()}/mcp`, steps, { fetch: (inner) => dpopFetch(key, `${asUrl}/token`, `${server()}/mcp`, inner) })
    const info = await whoami(client)
    print(`DPoP client (${name}):`, steps)
    expect(sequence(steps)).toEqual([
      'POST /mcp (initialize) -> 401',
      'GET /.well-known/oauth-protected-resource/mcp -> 200',
      'GET /.well-known/oauth-authorization-server -> 200',
      'POST /token [Basic] -> 200',
      'POST /mcp (initialize) [DPoP] -> 200',
      'POST /mcp (notifications/initialized) [DPoP] -> 202',
      'GET /mcp [DPoP] -> 405',
      'POST /mcp (tools/call) [DPoP] -> 200',
    ])
    expect(steps[3]!.tokenType).toBe('DPoP')
    expect([info.token, info.extra.accessTokenInfo.tokenType]).toEqual([provider.tokens()?.access_token, 'DPoP'])
  })
})

describe.each(SERVERS)('requireScopes inside a tool (%s)', (name, server) => {
  it('HTTP 200 with a tool error whose text is the insufficient_scope challenge, scope and resource_metadata; no step-up', async () => {
    const steps: Step[] = []
    const { client } = await connect(`${server()}/mcp`, steps)
    steps.length = 0
    const result = await client.callTool({ name: 'write-note', arguments: {} })
    print(`A tool calling requireScopes(authInfo, ['notes:write']), client configured for "mcp" (${name}):`, steps)
    console.log(`  tool error: ${JSON.stringify(result)}`)
    expect(sequence(steps)).toEqual(['POST /mcp (tools/call) [Bearer] -> 200'])
    expect(result).toEqual({
      isError: true,
      content: [{ type: 'text', text: `Bearer error="insufficient_scope", scope="notes:write", resource_metadata="${server()}/.well-known/oauth-protected-resource/mcp"` }],
    })
  })

  it('a client configured for notes:write gets the tool run', async () => {
    const { client } = await connect(`${server()}/mcp`, [], { scope: 'mcp notes:write' })
    expect((await client.callTool({ name: 'write-note', arguments: {} })).content).toEqual([{ type: 'text', text: 'written' }])
  })
})

describe('the same on Hono with the Web-standard transport (protect + toMcpAuthInfo)', () => {
  it('discovers, gets a token for the resource and calls the tool', async () => {
    const steps: Step[] = []
    const { client, provider } = await connect(`${honoBase}/mcp`, steps)
    const info = await whoami(client)
    print('Discovery sequence (Hono, Web-standard transport):', steps)
    expect(sequence(steps).slice(0, 5)).toEqual(DISCOVERY('/mcp'))
    expect(steps.at(-1)).toMatchObject({ method: 'POST', rpc: 'tools/call', status: 200 })
    expect(steps[3]!.form?.resource).toBe(`${honoBase}/mcp`)
    expect(info).toMatchObject({ token: provider.tokens()?.access_token, clientId: CLIENT_ID, resource: `${honoBase}/mcp`, extra: { resourceMetadataUrl: `${honoBase}/.well-known/oauth-protected-resource/mcp` } })
  })
})
