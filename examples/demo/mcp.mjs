// `pnpm demo --framework mcp`: an MCP server (the official SDK) protected by @authlete-guard/mcp,
// the authorization server (token endpoint + RFC 8414 metadata from Authlete's
// /service/configuration) on the emulator, and the SDK's own client discovering everything from
// the first 401. Every request the client makes is printed with its status.
import express from 'express'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js'
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { authorizationServerMetadata, createAuthorizationServer, createGuard, resourceMetadata, tokenEndpoint } from '@authlete-guard/express'
import { mcpAuth, mcpRequest } from '@authlete-guard/mcp'
import { DEFAULT_CLIENT } from '@authlete-guard/emulator'
import { listen } from './apps/listen.mjs'
import * as t from './transcript.mjs'

/** The MCP server: `whoami` answers what `extra.authInfo` holds; `delete-file` needs files:write. */
function newServer() {
  const server = new McpServer({ name: 'demo-files', version: '1.0.0' })
  server.registerTool('whoami', { description: 'Who is calling' }, async ({ authInfo }) => ({
    content: [{ type: 'text', text: JSON.stringify({ clientId: authInfo.clientId, scopes: authInfo.scopes, resource: authInfo.resource?.href, tokenType: authInfo.extra.accessTokenInfo.tokenType }) }],
  }))
  server.registerTool('delete-file', { description: 'Needs files:write' }, async () => ({ content: [{ type: 'text', text: 'deleted' }] }))
  return server
}

/** The MCP endpoint on `app`: the metadata, mcpAuth with a per-tool scope, the SDK's stateless transport. */
function mountMcp(app, guard) {
  app.use(resourceMetadata(guard))
  app.post('/mcp', mcpAuth(guard, { scopes: ['mcp'], tools: { 'delete-file': ['files:write'] } }), async (req, res) => {
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
    res.on('close', () => void transport.close())
    await newServer().connect(transport)
    await transport.handleRequest(mcpRequest(req), res, req.body)
  })
  app.get('/mcp', (_req, res) => void res.status(405).set('allow', 'POST').end()) // stateless: no SSE stream
}

/** A fetch for the SDK client that prints each request with its status (never a token). */
function printingFetch(count) {
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const method = init.method ?? 'GET'
    let what = ''
    if (typeof init.body === 'string') what = ` (${[].concat(JSON.parse(init.body)).map((m) => m.method).join(', ')})`
    else if (init.body instanceof URLSearchParams) what = ` (${[...init.body].filter(([k]) => k !== 'client_secret').map(([k, v]) => `${k}=${v}`).join(' ')})`
    const res = await fetch(input, init)
    count.push(`${method} ${url.pathname} ${res.status}`)
    console.log(`  ${t.yellow('→')} ${t.bold(method)} ${url.pathname}${t.dim(what)} ${t.yellow('←')} ${t.bold(String(res.status))}`)
    const challenge = res.headers.get('www-authenticate')
    if (challenge) console.log(`      ${t.dim(`WWW-Authenticate: ${challenge}`)}`)
    return res
  }
}

/** Start everything, run the SDK client once; returns the number of steps not as expected, and the closers. */
export async function runMcpDemo({ authlete, emulator, closers, serve }) {
  const as = createAuthorizationServer({ authlete })
  closers.push(() => as.close())
  const asApp = express()
  asApp.use(authorizationServerMetadata(as))
  asApp.post('/token', tokenEndpoint(as))
  const asServer = await listen(asApp.listen(0, '127.0.0.1'))
  closers.push(() => asServer.close())
  // What Authlete's /service/configuration reports: this app's URLs.
  emulator.configure({ issuer: asServer.url, tokenEndpoint: `${asServer.url}/token` })

  const mcpApp = express()
  const mcpServer = await listen(mcpApp.listen(0, '127.0.0.1'))
  closers.push(() => mcpServer.close())
  const mcpUrl = `${mcpServer.url}/mcp` // the resource: known once the server listens
  const guard = createGuard({ authlete, resource: mcpUrl, resourceMetadata: { authorization_servers: [asServer.url], scopes_supported: ['mcp', 'files:write'], resource_name: 'demo MCP server' } })
  closers.push(() => guard.close())
  await guard.ready()
  mountMcp(mcpApp, guard)

  console.log(t.bold('authlete-guard demo: an MCP server on Authlete'))
  console.log(`  Authlete:              ${emulator.url} (local emulator; no account, no network)`)
  console.log(`  Authorization server:  ${asServer.url}  (createAuthorizationServer: /.well-known/oauth-authorization-server, /token)`)
  console.log(`  MCP server:            ${mcpUrl}  (Express + mcpAuth; metadata at ${guard.resourceMetadataUrl})`)
  console.log(`  MCP client:            the SDK's Client + StreamableHTTPClientTransport + ClientCredentialsProvider, given only the MCP URL`)
  const clientId = String(DEFAULT_CLIENT.clientId)
  if (serve) {
    console.log(`\nRunning. Point an MCP client at ${mcpUrl} (client_credentials: client_id ${clientId}, client_secret ${DEFAULT_CLIENT.clientSecret}, scope "mcp").`)
    return { failures: 0, keepRunning: true }
  }
  return { failures: await runSdkClient({ mcpUrl, asUrl: asServer.url, clientId, closers }), keepRunning: false }
}

async function runSdkClient({ mcpUrl, asUrl, clientId, closers }) {
  let failures = 0
  const check = (ok, text) => {
    if (!t.verdict(ok, text)) failures++
  }
  const seen = []
  const provider = new ClientCredentialsProvider({ clientId, clientSecret: DEFAULT_CLIENT.clientSecret, scope: 'mcp', expectedIssuer: asUrl })
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: printingFetch(seen) })
  const client = new Client({ name: 'demo-client', version: '1.0.0' })
  closers.push(() => client.close())

  t.step(1, 'Connect, knowing nothing but the MCP URL: 401, discovery, a token for the resource, retry')
  await client.connect(transport)
  const discovery = seen.slice(0, 5)
  const path = new URL(mcpUrl).pathname
  const expected = [`POST ${path} 401`, `GET /.well-known/oauth-protected-resource${path} 200`, 'GET /.well-known/oauth-authorization-server 200', 'POST /token 200', `POST ${path} 200`]
  check(JSON.stringify(discovery) === JSON.stringify(expected), '401 with resource_metadata → protected resource metadata → authorization-server metadata → token (resource=the MCP URL) → 200')

  t.step(2, 'Call the tool "whoami": it answers what extra.authInfo holds')
  const who = await client.callTool({ name: 'whoami', arguments: {} })
  const info = JSON.parse(who.content[0].text)
  console.log(`    ${t.dim(JSON.stringify(info))}`)
  check(info.clientId === clientId && info.resource === mcpUrl && info.scopes.includes('mcp'), `the tool saw client ${info.clientId}, scopes ${JSON.stringify(info.scopes)}, resource ${info.resource}`)

  t.step(3, 'Call "delete-file", which needs files:write (the client may only ask for "mcp")')
  const refused = await client.callTool({ name: 'delete-file', arguments: {} }).then(() => undefined, (error) => error)
  check(refused instanceof StreamableHTTPError && refused.code === 403, `403 insufficient_scope naming the scope; the client stepped up once and stopped: ${refused?.message ?? 'no error'}`)
  return failures
}
