// Issue 21, point 4: with `resource` (and `audience: 'strict'`, the default) a token is accepted
// only when its audience (accessTokenResources, else resources) holds the resource, compared as
// RFC 8707 / MCP canonical URIs; else 401 invalid_token with the reason `audience`. Judged the
// same on Authlete's answer and on a cache hit. Real guards, the emulator, real proofs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { createGuard, type CheckEvent, type Decision, type DenyDecision, type GuardOptions, type RequestLike } from '../src'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
const ORIGIN = 'https://api.example.com'
const RESOURCE = `${ORIGIN}/mcp`
const RM = `resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/mcp"`
const REFUSAL = 'The access token was not issued for this resource.'
let emu: Emulator
let key: DpopKeyPair

beforeAll(async () => {
  emu = await startEmulator()
  key = await createDpopKeyPair('ES256')
})
afterAll(() => emu?.close())
beforeEach(() => emu.faults.clear())

function guardWith(options: Partial<GuardOptions> = {}) {
  const events: CheckEvent[] = []
  const guard = createGuard({
    authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: ORIGIN,
    resource: RESOURCE, resourceMetadata: { authorization_servers: ['https://as.example.com'] }, onDecision: (e) => events.push(e), ...options,
  })
  return { guard, events }
}
const bearer = (token: string, headers: Record<string, string> = {}): RequestLike => ({ method: 'GET', url: '/mcp', headers: { host: 'internal', authorization: `Bearer ${token}`, ...headers } })
const dpop = async (token: string): Promise<RequestLike> => ({
  method: 'GET', url: '/mcp', headers: { host: 'internal', authorization: `DPoP ${token}`, dpop: await createDpopProof(key, { htm: 'GET', htu: RESOURCE, accessToken: token }) },
})
const mint = async (resources: string[] | undefined, dpopBound = false) =>
  (await emu.createToken({ subject: 'alice', scopes: ['read'], ...(resources ? { resources } : {}), ...(dpopBound ? { dpopKeyThumbprint: key.thumbprint } : {}) })).accessToken
const denied = (decision: Decision): DenyDecision => {
  if (decision.allowed) throw new Error('expected a denial')
  return decision
}
const introspections = () => emu.requests.filter((r) => r.path.endsWith('/auth/introspection')).length

describe("audience 'strict' (the default with resource)", () => {
  it('a token issued for the resource: 200, Bearer and DPoP', async () => {
    const { guard } = guardWith()
    expect((await guard.check(bearer(await mint([RESOURCE])), { scopes: ['read'] })).allowed).toBe(true)
    expect((await guard.check(await dpop(await mint([RESOURCE], true)))).allowed).toBe(true)
  })

  it('a token for another resource: 401 invalid_token with resource_metadata, and the reason audience', async () => {
    const { guard, events } = guardWith()
    const decision = denied(await guard.check(bearer(await mint(['https://other.example.com/mcp']))))
    expect([decision.status, decision.error, decision.errorDescription]).toEqual([401, 'invalid_token', REFUSAL])
    expect(decision.headers['WWW-Authenticate']).toBe(`Bearer error="invalid_token", error_description="${REFUSAL}", ${RM}`)
    expect(JSON.parse(decision.body)).toEqual({ error: 'invalid_token', error_description: REFUSAL })
    const reason = { check: 'audience', expected: RESOURCE, actual: 'https://other.example.com/mcp' }
    expect(decision.reason).toEqual(reason)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ allowed: false, status: 401, error: 'invalid_token', source: 'authlete', reason })
  })

  it('a DPoP token for another resource: the refusal in the DPoP scheme', async () => {
    const { guard } = guardWith({ dpopAlgs: ['ES256'] })
    const decision = denied(await guard.check(await dpop(await mint(['https://other.example.com'], true))))
    expect(decision.headers['WWW-Authenticate']).toBe(`DPoP error="invalid_token", error_description="${REFUSAL}", algs="ES256", ${RM}`)
  })

  it('a token with no audience: 401, the reason without actual', async () => {
    const { guard, events } = guardWith()
    const decision = denied(await guard.check(bearer(await mint(undefined))))
    expect([decision.status, decision.error]).toEqual([401, 'invalid_token'])
    expect(events[0]!.reason).toEqual({ check: 'audience', expected: RESOURCE, actual: undefined })
  })

  it('one of several resources is enough', async () => {
    const { guard } = guardWith()
    expect((await guard.check(bearer(await mint(['https://other.example.com', RESOURCE])))).allowed).toBe(true)
  })

  it.each([
    ['a trailing slash on the token', RESOURCE, `${RESOURCE}/`],
    ['upper-case scheme and host on the token', RESOURCE, 'HTTPS://API.Example.COM/mcp'],
    ['the default port on the token', RESOURCE, 'https://api.example.com:443/mcp'],
    ['a trailing slash on the guard', `${RESOURCE}/`, RESOURCE],
    ['upper-case host on the guard', 'https://API.EXAMPLE.com/mcp', RESOURCE],
    ['the root, with and without its slash', ORIGIN, `${ORIGIN}/`],
  ])('accepts the same resource written differently: %s', async (_name, resource, audience) => {
    const { guard } = guardWith({ resource })
    expect((await guard.check(bearer(await mint([audience])))).allowed).toBe(true)
  })

  it.each([
    ['another path', `${ORIGIN}/mcp2`],
    ['a path prefix', `${ORIGIN}/mcp/tools`],
    ['another path case', `${ORIGIN}/MCP`],
    ['another port', 'https://api.example.com:8443/mcp'],
    ['http for https', 'http://api.example.com/mcp'],
    ['a query', `${RESOURCE}?tenant=a`],
    ['not a URL', 'urn:example:mcp'],
  ])('refuses a different resource: %s', async (_name, audience) => {
    const { guard } = guardWith()
    expect(denied(await guard.check(bearer(await mint([audience])))).status).toBe(401)
  })

  it("reads accessTokenResources, the token's own audience, before resources", async () => {
    const { guard } = guardWith()
    const ok = { resultCode: 'A056001', action: 'OK', clientId: 1, subject: 'alice', scopes: ['read'], expiresAt: Date.now() + 60_000, existent: true, usable: true, sufficient: true }
    emu.faults.inject({ type: 'reply', body: { ...ok, resources: [RESOURCE], accessTokenResources: ['https://other.example.com'] } }, { path: '/auth/introspection', times: 1 })
    expect(denied(await guard.check(bearer('t'))).reason).toEqual({ check: 'audience', expected: RESOURCE, actual: 'https://other.example.com' })
    emu.faults.inject({ type: 'reply', body: { ...ok, resources: [RESOURCE], accessTokenResources: null } }, { path: '/auth/introspection', times: 1 })
    expect((await guard.check(bearer('t'))).allowed).toBe(true)
  })

  it("keeps the route's resources check (403 insufficient_scope) beside it", async () => {
    const { guard } = guardWith()
    const decision = denied(await guard.check(bearer(await mint([RESOURCE])), { resources: ['https://other.example.com'] }))
    expect([decision.status, decision.error]).toEqual([403, 'insufficient_scope'])
  })
})

describe('cache hits are judged the same way', () => {
  it('a token for another resource: 401 from Authlete\'s answer, then 401 from the cache, one introspection', async () => {
    const { guard, events } = guardWith({ cache: true })
    const token = await mint(['https://other.example.com'])
    const before = introspections()
    for (let i = 0; i < 2; i++) expect(denied(await guard.check(bearer(token))).status).toBe(401)
    expect(introspections() - before).toBe(1)
    expect(events.map((e) => [e.source, e.status, e.reason?.check])).toEqual([['authlete', 401, 'audience'], ['cache', 401, 'audience']])
  })

  it('a token for the resource: 200 from Authlete, then 200 from the cache', async () => {
    const { guard, events } = guardWith({ cache: true })
    const token = await mint([RESOURCE])
    for (let i = 0; i < 2; i++) expect((await guard.check(bearer(token))).allowed).toBe(true)
    expect(events.map((e) => e.source)).toEqual(['authlete', 'cache'])
  })
})

describe('the audience is judged before the route\'s requirements: a token for another resource is never a 403', () => {
  const OTHER = 'https://other.example.com/mcp'
  const AUDIENCE_401 = `Bearer error="invalid_token", error_description="${REFUSAL}", ${RM}`

  it('on a cache hit: a token for another resource lacking the route\'s scope -> 401 invalid_token (audience), not 403 insufficient_scope', async () => {
    const { guard, events } = guardWith({ cache: true })
    const token = await mint([OTHER])
    // Authlete allows it for scope read (the audience refuses it): its facts are cached.
    expect(denied(await guard.check(bearer(token), { scopes: ['read'] })).status).toBe(401)
    const hit = denied(await guard.check(bearer(token), { scopes: ['admin'] }))
    expect([hit.status, hit.error, hit.headers['WWW-Authenticate']]).toEqual([401, 'invalid_token', AUDIENCE_401])
    expect(events.map((e) => [e.source, e.status, e.reason?.check])).toEqual([['authlete', 401, 'audience'], ['cache', 401, 'audience']])
  })

  it("on Authlete's answer: its 403 insufficient_scope for a token for another resource becomes the audience 401", async () => {
    const { guard, events } = guardWith()
    const decision = denied(await guard.check(bearer(await mint([OTHER])), { scopes: ['admin'] }))
    expect([decision.status, decision.error, decision.headers['WWW-Authenticate']]).toEqual([401, 'invalid_token', AUDIENCE_401])
    expect(events[0]).toMatchObject({ source: 'authlete', status: 401, reason: { check: 'audience', expected: RESOURCE, actual: OTHER } })
  })

  const forbidden = (extra: Record<string, unknown>) =>
    emu.faults.inject({ type: 'reply', body: { resultCode: 'A064302', resultMessage: 'scripted', action: 'FORBIDDEN', existent: true, responseContent: 'Bearer error="insufficient_scope"', ...extra } }, { path: '/auth/introspection', times: 1 })

  it("Authlete's 403 that does not state the token's audience stays its 403 (the step-up hint survives)", async () => {
    const { guard } = guardWith()
    forbidden({})
    const decision = denied(await guard.check(bearer('t'), { scopes: ['admin'] }))
    expect([decision.status, decision.error]).toEqual([403, 'insufficient_scope'])
    expect(decision.headers['WWW-Authenticate']).toBe(`Bearer error="insufficient_scope", scope="admin", ${RM}`)
  })

  it("a FORBIDDEN for another resource whose reply is unusable (a dpopNonce that is no nonce) stays a 500, reported; the raw nonce is never sent", async () => {
    const errors: string[] = []
    const { guard } = guardWith({ onError: (e) => errors.push(e.error.code) })
    forbidden({ accessTokenResources: [OTHER], dpopNonce: 'a"b' })
    const decision = denied(await guard.check(bearer('t'), { scopes: ['admin'] }))
    expect([decision.status, decision.headers['DPoP-Nonce']]).toEqual([500, undefined])
    expect(errors).toEqual(['ERR_AUTHLETE_INVALID_RESPONSE'])
  })

  it('a token for the resource lacking the scope is still 403 insufficient_scope with scope and resource_metadata', async () => {
    const { guard } = guardWith({ cache: true })
    const token = await mint([RESOURCE])
    expect((await guard.check(bearer(token), { scopes: ['read'] })).allowed).toBe(true)
    for (let i = 0; i < 2; i++) {
      const decision = denied(await guard.check(bearer(token), { scopes: ['admin'] }))
      expect([decision.status, decision.error]).toEqual([403, 'insufficient_scope'])
      expect(decision.headers['WWW-Authenticate']).toContain(`scope="admin", ${RM}`)
    }
  })
})

describe('onDecision gets the audience reason on every path', () => {
  it('a stacked check (the same guard twice on one request)', async () => {
    const { guard, events } = guardWith()
    const request = bearer(await mint(['https://other.example.com/mcp']))
    for (const route of [{}, { scopes: ['read'] }]) expect(denied(await guard.check(request, route)).reason).toMatchObject({ check: 'audience' })
    expect(events.map((e) => [e.status, e.reason?.check])).toEqual([[401, 'audience'], [401, 'audience']])
  })

  it('a coalesced follower (concurrent misses, one Authlete call)', async () => {
    const { guard, events } = guardWith({ cache: true })
    const token = await mint(['https://other.example.com/mcp'])
    emu.faults.inject({ type: 'latency', ms: 100 }, { path: '/auth/introspection', times: 1 })
    const before = introspections()
    const decisions = await Promise.all([guard.check(bearer(token)), guard.check(bearer(token))])
    expect(introspections() - before).toBe(1)
    expect(decisions.map((d) => denied(d).reason?.check)).toEqual(['audience', 'audience'])
    expect(events.map((e) => [e.source, e.status, e.reason])).toEqual([0, 1].map(() => ['authlete', 401, { check: 'audience', expected: RESOURCE, actual: 'https://other.example.com/mcp' }]))
  })
})

describe("audience 'any', and no resource", () => {
  it("'any' admits tokens for another resource and tokens with none", async () => {
    const { guard } = guardWith({ audience: 'any' })
    expect((await guard.check(bearer(await mint(['https://other.example.com']))))).toMatchObject({ allowed: true })
    expect((await guard.check(bearer(await mint(undefined))))).toMatchObject({ allowed: true })
    const missing = denied(await guard.check({ method: 'GET', url: '/mcp', headers: { host: 'internal' } }))
    expect(missing.headers['WWW-Authenticate']).toContain(RM)
  })

  it('without resource no audience is required', async () => {
    const { guard } = guardWith({ resource: undefined, resourceMetadata: undefined })
    expect((await guard.check(bearer(await mint(['https://other.example.com']))))).toMatchObject({ allowed: true })
  })
})
