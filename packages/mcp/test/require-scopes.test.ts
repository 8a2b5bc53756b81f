// requireScopes inside a tool: the token's scopes checked against the tool's, and a refusal whose
// text is the insufficient_scope challenge, as the SDK returns it to the client (a tool error).
import express from 'express'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { InsufficientScopeError, mcpAuth, mcpRequest, requireScopes } from '../src/index'
import { newMcpServer, post, runs, toolCall, toolText, useMcpBed } from './support'

const bed = useMcpBed()
const info = (scopes: string[], resourceMetadataUrl?: string): AuthInfo => ({ token: 't', clientId: '1', scopes, extra: { resourceMetadataUrl } })

describe('requireScopes', () => {
  it('returns when the token has every scope', () => {
    expect(() => requireScopes(info(['a', 'b', 'c']), ['c', 'a'])).not.toThrow()
    expect(() => requireScopes(info([]), [])).not.toThrow()
  })

  it('throws InsufficientScopeError whose message is the challenge, with scope and resource_metadata', () => {
    const url = 'https://api.example.com/.well-known/oauth-protected-resource/mcp'
    let thrown: unknown
    try {
      requireScopes(info(['a'], url), ['a', 'files:write'])
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(InsufficientScopeError)
    expect((thrown as Error).message).toBe(`Bearer error="insufficient_scope", scope="a files:write", resource_metadata="${url}"`)
    expect([(thrown as InsufficientScopeError).scopes, (thrown as InsufficientScopeError).resourceMetadataUrl]).toEqual([['a', 'files:write'], url])
  })

  it('leaves resource_metadata out when the AuthInfo has no metadata URL, and quotes values (RFC 9110 quoted-string)', () => {
    expect(() => requireScopes(info([]), ['x'])).toThrow(/^Bearer error="insufficient_scope", scope="x"$/)
    expect(() => requireScopes(info([], 'https://a.example/"\\'), ['x'])).toThrow('resource_metadata="https://a.example/\\"\\\\"')
  })

  it('refuses when there is no AuthInfo at all (an endpoint without mcpAuth)', () => {
    expect(() => requireScopes(undefined, ['x'])).toThrow(/got no authInfo/)
  })
})

describe('requireScopes in a tool of a real MCP server behind mcpAuth', () => {
  let base = ''
  beforeAll(async () => {
    const server = await bed.listen()
    base = server.url
    const guard = bed.newGuard(`${base}/mcp`)
    const app = express()
    app.post('/mcp', mcpAuth(guard, { scopes: ['mcp'] }), async (req, res) => {
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
      await newMcpServer().connect(transport)
      await transport.handleRequest(mcpRequest(req), res)
    })
    server.handle(app)
  })

  it('a token without the scope: HTTP 200, a tool error carrying the challenge; the tool body does not run', async () => {
    const { accessToken } = await bed.emu().createToken({ subject: 'alice', scopes: ['mcp'], resources: [`${base}/mcp`] })
    const before = runs['write-note'] ?? 0
    const res = await post(`${base}/mcp`, toolCall('write-note'), { authorization: `Bearer ${accessToken}` })
    expect(res.status).toBe(200)
    expect(await toolText(res)).toEqual({ isError: true, text: `Bearer error="insufficient_scope", scope="notes:write", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"` })
    expect(runs['write-note'] ?? 0).toBe(before)
  })

  it('a token with the scope: the tool runs', async () => {
    const { accessToken } = await bed.emu().createToken({ subject: 'alice', scopes: ['mcp', 'notes:write'], resources: [`${base}/mcp`] })
    const res = await post(`${base}/mcp`, toolCall('write-note'), { authorization: `Bearer ${accessToken}` })
    expect(await toolText(res)).toEqual({ isError: undefined, text: 'written' })
  })
})
