// toMcpAuthInfo on Hono (@hono/node-server) with the SDK's Web-standard transport: the guard's
// decision and the request's token as AuthInfo, passed as handleRequest(request, { authInfo }).
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { beforeAll, describe, expect, it } from 'vitest'
import type { AccessTokenInfo, Guard, GuardFactory } from '@authlete-guard/core'
import { protect, type AuthEnv } from '@authlete-guard/hono'
import { createDpopProof } from '@authlete-guard/emulator'
import { toMcpAuthInfo } from '../src/index'
import { thrownCode } from '../../../test/support/adapter-testbed'
import { newMcpServer, post, runs, toolCall, toolText, useMcpBed } from './support'

const bed = useMcpBed()

function mcpApp(guard: Guard | GuardFactory, path: string): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.all(path, protect(guard, { scopes: ['mcp'] }), async (c) => {
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
    await newMcpServer().connect(transport)
    return transport.handleRequest(c.req.raw, { authInfo: toMcpAuthInfo(c.get('auth'), c.req.raw, guard) })
  })
  return app
}

describe('toMcpAuthInfo with the Web-standard transport on Hono', () => {
  let base = ''
  let plainBase = ''
  let anyBase = ''
  const guards: Record<string, Guard> = {}

  beforeAll(async () => {
    const server = await bed.listen()
    base = server.url
    guards.resource = bed.newGuard(`${base}/mcp`)
    const factory: GuardFactory = () => bed.newGuard(`${base}/lazy/mcp`)
    const app = new Hono()
    app.route('/', mcpApp(guards.resource, '/mcp'))
    app.route('/', mcpApp(factory, '/lazy/mcp'))
    server.handle(getRequestListener(app.fetch))
    const plain = await bed.listen()
    plainBase = plain.url
    guards.plain = bed.newGuard(undefined)
    plain.handle(getRequestListener(mcpApp(guards.plain, '/mcp').fetch))
    const any = await bed.listen()
    anyBase = any.url
    guards.any = bed.newGuard(`${anyBase}/mcp`, { audience: 'any' })
    any.handle(getRequestListener(mcpApp(guards.any, '/mcp').fetch))
  })

  it('hands the tool the AuthInfo of a Bearer token, resource and metadata URL from the guard', async () => {
    const { accessToken } = await bed.emu().createToken({ subject: 'alice', scopes: ['mcp'], resources: [`${base}/mcp`] })
    const res = await post(`${base}/mcp`, toolCall('whoami'), { authorization: `Bearer ${accessToken}` })
    expect(res.status).toBe(200)
    const info = JSON.parse((await toolText(res)).text)
    expect(info).toMatchObject({
      token: accessToken,
      scopes: ['mcp'],
      resource: `${base}/mcp`,
      extra: { subject: 'alice', resourceMetadataUrl: `${base}/.well-known/oauth-protected-resource/mcp`, accessTokenInfo: { tokenType: 'Bearer' } },
    })
    expect(info.clientId).toBe(String(info.extra.accessTokenInfo.clientId))
  })

  it('a DPoP-bound token with its proof: the token read from the DPoP scheme', async () => {
    const key = bed.key()
    const { accessToken } = await bed.emu().createToken({ subject: 'bob', scopes: ['mcp'], resources: [`${base}/mcp`], dpopKeyThumbprint: key.thumbprint })
    const dpop = await createDpopProof(key, { htm: 'POST', htu: `${base}/mcp`, accessToken })
    const res = await post(`${base}/mcp`, toolCall('whoami'), { authorization: `DPoP ${accessToken}`, dpop })
    expect(res.status).toBe(200)
    const info = JSON.parse((await toolText(res)).text)
    expect([info.token, info.extra.accessTokenInfo.tokenType]).toEqual([accessToken, 'DPoP'])
  })

  it('given the factory protect() got, uses the guard that factory made once', async () => {
    const { accessToken } = await bed.emu().createToken({ subject: 'carol', scopes: ['mcp'], resources: [`${base}/lazy/mcp`] })
    const res = await post(`${base}/lazy/mcp`, toolCall('whoami'), { authorization: `Bearer ${accessToken}` })
    expect(res.status).toBe(200)
    expect(JSON.parse((await toolText(res)).text).extra.resourceMetadataUrl).toBe(`${base}/.well-known/oauth-protected-resource/lazy/mcp`)
  })

  it('a guard without resource: resource is the token\'s first audience that is a URL, no metadata URL', async () => {
    const { accessToken } = await bed.emu().createToken({ subject: 'dave', scopes: ['mcp'], resources: ['urn:example:api', 'https://api.example.com/mcp'] })
    const res = await post(`${plainBase}/mcp`, toolCall('whoami'), { authorization: `Bearer ${accessToken}` })
    expect(res.status).toBe(200)
    const info = JSON.parse((await toolText(res)).text)
    expect([info.resource, info.extra.resourceMetadataUrl]).toEqual(['urn:example:api', undefined])
  })

  it("audience 'any': resource is the token's own audience (first URL), never the guard's resource it was not checked against", async () => {
    const call = async (resources: string[]) => {
      const { accessToken } = await bed.emu().createToken({ subject: 'erin', scopes: ['mcp'], resources })
      const res = await post(`${anyBase}/mcp`, toolCall('whoami'), { authorization: `Bearer ${accessToken}` })
      expect(res.status).toBe(200)
      return JSON.parse((await toolText(res)).text)
    }
    const other = await call(['https://other.example.com/mcp'])
    expect([other.resource, other.extra.resourceMetadataUrl]).toEqual(['https://other.example.com/mcp', `${anyBase}/.well-known/oauth-protected-resource/mcp`])
    expect((await call([])).resource).toBeUndefined()
    expect((await call([`${anyBase}/mcp`])).resource).toBe(`${anyBase}/mcp`)
  })

  it('a denial comes from protect(): the transport never runs', async () => {
    const before = runs.whoami ?? 0
    const res = await post(`${base}/mcp`, toolCall('whoami'))
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain(`resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`)
    expect(runs.whoami ?? 0).toBe(before)
  })

  it('throws ERR_INVALID_CONFIG for a request without a usable token or without the auth', () => {
    const auth = { scopes: [], resources: [], expiresAt: 0, clientId: 1 } as unknown as AccessTokenInfo
    expect(thrownCode(() => toMcpAuthInfo(auth, new Request('http://127.0.0.1/mcp'), guards.resource!))).toBe('ERR_INVALID_CONFIG')
    expect(thrownCode(() => toMcpAuthInfo(undefined as unknown as AccessTokenInfo, new Request('http://127.0.0.1/mcp', { headers: { authorization: 'Bearer abc' } }), guards.resource!))).toBe('ERR_INVALID_CONFIG')
    expect(thrownCode(() => toMcpAuthInfo(auth, new Request('http://127.0.0.1/mcp', { headers: { authorization: 'Bearer abc' } }), undefined as unknown as Guard))).toBe('ERR_INVALID_CONFIG')
    expect(toMcpAuthInfo(auth, new Request('http://127.0.0.1/mcp', { headers: { authorization: 'DPoP abc', dpop: 'a.b.c' } }), guards.resource!).token).toBe('abc')
  })
})
