// Issue 21, point 3: with `resource`, every 401 and every 403 insufficient_scope points to the
// resource's metadata (`resource_metadata`, RFC 9728 §5.1) in each challenge, Bearer first, and a
// 403 names the route's scopes once; Authlete's responseContent is parsed and re-rendered, never
// concatenated. Real guards against the emulator, real DPoP proofs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { createGuard, type CheckEvent, type Decision, type DenyDecision, type GuardOptions, type RequestLike } from '../src'
import { parseChallenges, setChallengeParams } from '../src/decision/challenge'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
const ORIGIN = 'https://api.example.com'
const RESOURCE = `${ORIGIN}/mcp`
const METADATA = `${ORIGIN}/.well-known/oauth-protected-resource/mcp`
const RM = `resource_metadata="${METADATA}"`
const ALGS = 'algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 ES256K EdDSA"'
let emu: Emulator
let key: DpopKeyPair
let otherKey: DpopKeyPair

beforeAll(async () => {
  emu = await startEmulator()
  ;[key, otherKey] = await Promise.all([createDpopKeyPair('ES256'), createDpopKeyPair('ES256')])
})
afterAll(() => emu?.close())
beforeEach(() => emu.faults.clear())

const guardWith = (options: Partial<GuardOptions> = {}) =>
  createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: ORIGIN, resource: RESOURCE, resourceMetadata: { authorization_servers: [emu.url] }, ...options })
const bearer = (token?: string): RequestLike => ({ method: 'POST', url: '/mcp', headers: { host: 'internal', ...(token ? { authorization: `Bearer ${token}` } : {}) } })
const dpop = async (token: string, signer = key, htm = 'POST'): Promise<RequestLike> => ({
  method: 'POST', url: '/mcp', headers: { host: 'internal', authorization: `DPoP ${token}`, dpop: await createDpopProof(signer, { htm, htu: RESOURCE, accessToken: token }) },
})
const mint = async (extra: { scopes?: string[]; dpopKeyThumbprint?: string } = {}) =>
  (await emu.createToken({ subject: 'alice', scopes: ['read'], resources: [RESOURCE], ...extra })).accessToken
const denied = (decision: Decision): DenyDecision => {
  if (decision.allowed) throw new Error('expected a denial')
  return decision
}
const challengeOf = (decision: Decision) => denied(decision).headers['WWW-Authenticate']!
const count = (text: string, needle: string) => text.split(needle).length - 1
/** Script Authlete's next introspection reply (a denial) through the emulator. */
const scripted = (action: string, responseContent: string) =>
  emu.faults.inject({ type: 'reply', body: { resultCode: 'A057302', resultMessage: 'scripted', action, responseContent } }, { path: '/auth/introspection', times: 1 })

describe('no credentials: both schemes, Bearer first, each with resource_metadata', () => {
  it('with route scopes', async () => {
    const decision = denied(await guardWith().check(bearer(), { scopes: ['read', 'write'] }))
    expect(decision.status).toBe(401)
    expect(decision.headers['WWW-Authenticate']).toBe(`Bearer scope="read write", ${RM}, DPoP scope="read write", ${ALGS}, ${RM}`)
  })
  it('without route scopes the Bearer challenge still leads with a parameter (what the MCP SDK reads)', async () => {
    expect(challengeOf(await guardWith({ realm: 'api', dpopAlgs: ['ES256'] }).check(bearer()))).toBe(`Bearer realm="api", ${RM}, DPoP realm="api", algs="ES256", ${RM}`)
  })
  it('a guard without resource answers as before', async () => {
    expect(challengeOf(await guardWith({ resource: undefined, resourceMetadata: undefined }).check(bearer(), { scopes: ['read'] }))).toBe(`Bearer scope="read", DPoP scope="read", ${ALGS}`)
  })
})

describe("Authlete's 401s gain resource_metadata as a parameter of their own", () => {
  it('an unknown token (Bearer)', async () => {
    expect(challengeOf(await guardWith().check(bearer('no-such-token')))).toBe(
      `Bearer error="invalid_token", error_description="[A057302] The access token does not exist.", error_uri="https://docs.authlete.com/#A057302", ${RM}`,
    )
  })
  it('a DPoP-scheme 401: a proof of another key than the token is bound to', async () => {
    const token = await mint({ dpopKeyThumbprint: key.thumbprint })
    const decision = denied(await guardWith().check(await dpop(token, otherKey)))
    expect(decision.status).toBe(401)
    expect(decision.headers['WWW-Authenticate']).toBe(
      `DPoP error="invalid_token", error_description="[A065309] Thumbprint of the provided DPoP key does not match the expected DPoP thumbprint.", error_uri="https://docs.authlete.com/#A065309", ${ALGS}, ${RM}`,
    )
  })
  it("a DPoP proof the guard refuses itself (the guard's own DPoP challenge)", async () => {
    const token = await mint({ dpopKeyThumbprint: key.thumbprint })
    expect(challengeOf(await guardWith().check(await dpop(token, key, 'GET')))).toBe(
      `DPoP error="invalid_dpop_proof", error_description="The DPoP proof's htm does not match the request method.", ${ALGS}, ${RM}`,
    )
  })
  it('a step-up refusal (Authlete FORBIDDEN answered 401, RFC 9470)', async () => {
    const decision = denied(await guardWith().check(bearer(await mint()), { acrValues: ['urn:acr:gold'] }))
    expect([decision.status, decision.error]).toEqual([401, 'insufficient_user_authentication'])
    expect(count(decision.headers['WWW-Authenticate']!, 'resource_metadata=')).toBe(1)
    expect(decision.headers['WWW-Authenticate']).toMatch(new RegExp(`acr_values="urn:acr:gold", ${RM.replace(/[.?/]/g, '\\$&')}$`))
  })
  it('quoted values holding commas, equals signs and escaped quotes come through exactly', async () => {
    scripted('UNAUTHORIZED', 'Bearer error="invalid_token",error_description="[A1] bad, very \\"bad\\", x=y",error_uri="https://e.example/a,b"')
    const decision = denied(await guardWith().check(bearer('t')))
    expect(decision.headers['WWW-Authenticate']).toBe(`Bearer error="invalid_token", error_description="[A1] bad, very \\"bad\\", x=y", error_uri="https://e.example/a,b", ${RM}`)
    expect(decision.errorDescription).toBe('[A1] bad, very "bad", x=y')
    expect(JSON.parse(decision.body)).toEqual({ error: 'invalid_token', error_description: '[A1] bad, very "bad", x=y' })
  })
  it("an old resource_metadata is replaced (one only), and of two challenges Bearer goes first, each pointed", async () => {
    scripted('UNAUTHORIZED', 'DPoP error="invalid_token", algs="ES256", Bearer resource_metadata="https://old.example", error="invalid_token", RESOURCE_METADATA="https://older.example"')
    expect(challengeOf(await guardWith().check(bearer('t')))).toBe(`Bearer ${RM}, error="invalid_token", DPoP error="invalid_token", algs="ES256", ${RM}`)
  })
  it('a bare scheme gets the parameter', async () => {
    scripted('UNAUTHORIZED', 'Bearer')
    expect(challengeOf(await guardWith().check(bearer('t')))).toBe(`Bearer ${RM}`)
  })
  it("a responseContent that is not a challenge list: the guard's own challenge for the scheme, with the action's error, Authlete's description and resource_metadata", async () => {
    const unparsable = 'Bearer error="invalid_token" error_description="no comma"'
    scripted('UNAUTHORIZED', unparsable)
    const bearerDenial = denied(await guardWith().check(bearer('t')))
    expect([bearerDenial.status, bearerDenial.error, bearerDenial.headers['WWW-Authenticate']]).toEqual([401, 'invalid_token', `Bearer error="invalid_token", error_description="no comma", ${RM}`])
    scripted('UNAUTHORIZED', 'DPoP error="use_dpop_nonce" error_description="x"')
    const token = await mint({ dpopKeyThumbprint: key.thumbprint })
    // Authlete's own error is kept (RFC 9449 §8: the client retries with the nonce).
    expect(challengeOf(await guardWith().check(await dpop(token)))).toBe(`DPoP error="use_dpop_nonce", error_description="x", ${ALGS}, ${RM}`)
    scripted('FORBIDDEN', 'Bearer error="insufficient_scope" scope="x"')
    expect(challengeOf(await guardWith().check(bearer('t'), { scopes: ['read'] }))).toBe(`Bearer error="insufficient_scope", scope="read", ${RM}`)
    scripted('UNAUTHORIZED', unparsable)
    expect(challengeOf(await guardWith({ resource: undefined, resourceMetadata: undefined }).check(bearer('t')))).toBe(unparsable) // without resource: as it is
  })
  it('an unparseable FORBIDDEN invalid_request (a subject mismatch) keeps its error: no scope hint, no step-up invitation', async () => {
    const forbidden = 'Bearer error="invalid_request" error_description="subject"'
    scripted('FORBIDDEN', forbidden)
    const decision = denied(await guardWith().check(bearer('t'), { scopes: ['read'] }))
    expect([decision.status, decision.error, decision.headers['WWW-Authenticate']]).toEqual([403, 'invalid_request', forbidden])
  })
  it('an empty responseContent gives the default challenge, pointed', async () => {
    scripted('UNAUTHORIZED', '')
    expect(challengeOf(await guardWith().check(bearer('t')))).toBe(`Bearer error="invalid_token", ${RM}`)
  })
})

describe('403 insufficient_scope: scope (the route\'s) and resource_metadata, exactly once each', () => {
  it("from Authlete's reply (the emulator writes scope already)", async () => {
    const decision = denied(await guardWith().check(bearer(await mint()), { scopes: ['read', 'write'] }))
    expect(decision.status).toBe(403)
    const header = decision.headers['WWW-Authenticate']!
    expect(header).toBe(
      `Bearer error="insufficient_scope", error_description="[A064302] The access token does not cover the required scope 'write'.", error_uri="https://docs.authlete.com/#A064302", scope="read write", ${RM}`,
    )
    expect(count(header, 'scope="')).toBe(1)
  })
  it("from Authlete's reply with a DPoP token", async () => {
    const token = await mint({ dpopKeyThumbprint: key.thumbprint })
    const header = challengeOf(await guardWith().check(await dpop(token), { scopes: ['admin'] }))
    expect(header).toMatch(/^DPoP error="insufficient_scope", .*, scope="admin", algs="[^"]+", resource_metadata="[^"]+"$/)
    expect(count(header, 'scope="')).toBe(1)
  })
  it("Authlete's scope is replaced by the route's, or added when it wrote none", async () => {
    scripted('FORBIDDEN', 'Bearer error="insufficient_scope",scope="other",error_description="d"')
    expect(challengeOf(await guardWith().check(bearer('t'), { scopes: ['read', 'write'] }))).toBe(`Bearer error="insufficient_scope", scope="read write", error_description="d", ${RM}`)
    scripted('FORBIDDEN', 'Bearer error="insufficient_scope"')
    expect(challengeOf(await guardWith().check(bearer('t'), { scopes: ['read'] }))).toBe(`Bearer error="insufficient_scope", scope="read", ${RM}`)
  })
  it("from the guard's judge on a cache hit", async () => {
    const events: CheckEvent[] = []
    const guard = guardWith({ cache: true, onDecision: (event) => events.push(event) })
    const token = await mint()
    expect((await guard.check(bearer(token), { scopes: ['read'] })).allowed).toBe(true)
    const calls = emu.requests.length
    const decision = denied(await guard.check(bearer(token), { scopes: ['read', 'admin'] }))
    expect(emu.requests.length).toBe(calls) // judged from the cached facts
    expect(events.at(-1)).toMatchObject({ source: 'cache', status: 403, error: 'insufficient_scope' })
    expect(decision.headers['WWW-Authenticate']).toBe(`Bearer error="insufficient_scope", error_description="The access token does not cover the required scope 'admin'.", scope="read admin", ${RM}`)
  })
})

describe('answers that are not 401 or 403 insufficient_scope carry no resource_metadata', () => {
  it('400 invalid_request, 403 invalid_request (subject), 500', async () => {
    const guard = guardWith()
    const withProof = { ...bearer('t'), headers: { host: 'internal', authorization: 'Bearer t', dpop: 'a.b.c' } }
    expect(challengeOf(await guard.check(withProof))).toBe('Bearer error="invalid_request", error_description="A DPoP proof was sent with a Bearer token; use the DPoP scheme."')
    const subject = denied(await guard.check(bearer(await mint()), { subject: 'bob' }))
    expect([subject.status, subject.headers['WWW-Authenticate']!.includes('resource_metadata')]).toEqual([403, false])
    emu.faults.inject({ type: 'status', status: 503 }, { path: '/auth/introspection', times: 1 })
    const failed = denied(await guard.check(bearer('t')))
    expect([failed.status, failed.headers['WWW-Authenticate']]).toEqual([500, 'Bearer error="server_error", error_description="The access token could not be verified. Try again later."'])
  })
})

describe('parseChallenges and setChallengeParams (RFC 9110 §11.6.1)', () => {
  it('reads token68, bare schemes, empty list elements and quoted strings', () => {
    expect(parseChallenges('Negotiate YII=, , Bearer, DPoP a=b ,c="d, e"')).toEqual([
      { scheme: 'Negotiate', params: [], token68: 'YII=' },
      { scheme: 'Bearer', params: [] },
      { scheme: 'DPoP', params: [['a', 'b'], ['c', 'd, e']] },
    ])
  })
  it.each(['', ',', 'Bearer a="unterminated', 'Bearer a=b c=d', 'Bearer x="y", a=', 'Bearer "x"', 'Bearer foo bar', '=x'])('refuses %j', (value) => {
    expect(parseChallenges(value)).toBeUndefined()
  })
  it('leaves a token68 challenge as it is', () => {
    expect(setChallengeParams('Negotiate YII=, Bearer', [['x', 'y']])).toBe('Bearer x="y", Negotiate YII=')
  })
  it('is linear on hostile input', () => {
    expect(setChallengeParams(`Bearer ${'a=b,'.repeat(50_000)}c="${'\\"'.repeat(50_000)}"`, [['x', 'y']])).toMatch(/x="y"$/)
  }, 2000)
})
