import { afterAll, describe, expect, it } from 'vitest'
import { createGuard, type GuardErrorEvent } from '../src'
import { createGuard as createNodeGuard } from '../src/node'
import { useAuthleteStub } from './support/authlete-stub'
import { signedProof } from './support/proofs'
import { unreachableUrl } from '../../../test/support/unreachable'
import { removeTestCertificates, testCertificates } from '../../../test/support/certs'

const JWT = 'eyJ0eXAiOiJkcG9wK2p3dCJ9.eyJodG0iOiJHRVQifQ.c2ln'
const SECRET_TOKEN = 'sEcReT-access-token'
const SERVICE_TOKEN = 'service-access-token-xyz'

const stub = useAuthleteStub()
afterAll(() => removeTestCertificates())

const v3 = () => ({ baseUrl: stub.url, serviceId: '715948317', accessToken: SERVICE_TOKEN, timeoutMs: 1000 })
/** A DPoP request for https://api.example.com/api/me with a real proof (the guard verifies it first). */
const dpopRequest = async (extra: Record<string, string> = {}, htu = 'https://api.example.com/api/me') => ({
  method: 'get',
  url: '/api/me?x=1',
  headers: { host: 'api.example.com', authorization: `DPoP ${SECRET_TOKEN}`, dpop: await signedProof('GET', htu, SECRET_TOKEN), ...extra },
  encrypted: true,
})
const bearerRequest = () => ({ method: 'POST', url: '/api/items', headers: { host: 'api.example.com', authorization: `Bearer ${SECRET_TOKEN}` } })

const OK = {
  action: 'OK', resultCode: 'A056001', resultMessage: '[A056001] The access token is valid.',
  clientId: 3300001, clientIdAlias: 'my-client', clientIdAliasUsed: false, subject: 'alice', scopes: ['profile', 'read'],
  expiresAt: 1900000000000, resources: ['https://api.example.com'], properties: [{ key: 'tenant', value: 'acme', hidden: false }],
  authorizationDetails: { elements: [] }, certificateThumbprint: null, existent: true, usable: true, sufficient: true, refreshable: true,
  grantType: 'AUTHORIZATION_CODE', acr: 'urn:acr:1', authTime: 1700000000,
}

describe('Authlete API paths and credentials', () => {
  it('API v3: POST /api/{serviceId}/auth/introspection with the service access token as Bearer', async () => {
    const guard = createGuard({ authlete: v3() })
    await guard.check(bearerRequest())
    expect(stub.calls[0]).toMatchObject({ method: 'POST', path: '/api/715948317/auth/introspection' })
    expect(stub.calls[0]!.headers.authorization).toBe(`Bearer ${SERVICE_TOKEN}`)
    expect(stub.calls[0]!.headers['content-type']).toBe('application/json')
    expect(stub.calls[0]!.headers.accept).toBe('application/json')
    await guard.close()
  })
  it('API v2: POST /api/auth/introspection with HTTP Basic apiKey:apiSecret', async () => {
    const guard = createGuard({ authlete: { baseUrl: stub.url, apiKey: '12345', apiSecret: 'shh' } })
    await guard.check(bearerRequest())
    expect(stub.calls[0]!.path).toBe('/api/auth/introspection')
    expect(stub.calls[0]!.headers.authorization).toBe(`Basic ${Buffer.from('12345:shh').toString('base64')}`)
    await guard.close()
  })
  it('a base URL with a path prefix keeps it', async () => {
    const guard = createGuard({ authlete: { ...v3(), baseUrl: `${stub.url}/prefix/` } })
    await guard.check(bearerRequest())
    expect(stub.calls[0]!.path).toBe('/prefix/api/715948317/auth/introspection')
    await guard.close()
  })
})

describe('introspection request body', () => {
  const guard = () => createGuard({ authlete: v3() })
  it('RFC 9449 §7.1 DPoP: token without scheme, dpop, htm upper-case, htu without query, targetUri with it', async () => {
    const g = guard()
    const request = await dpopRequest()
    await g.check(request, { scopes: ['profile'] })
    expect(stub.calls[0]!.body).toEqual({
      token: SECRET_TOKEN, scopes: ['profile'], dpop: request.headers.dpop, htm: 'GET',
      htu: 'https://api.example.com/api/me', targetUri: 'https://api.example.com/api/me?x=1',
    })
    await g.close()
  })
  it('RFC 9449 §7.2 Bearer: never sends a proof, htm or htu', async () => {
    const g = guard()
    await g.check(bearerRequest(), { scopes: ['write'] })
    expect(stub.calls[0]!.body).toEqual({ token: SECRET_TOKEN, scopes: ['write'] })
    await g.close()
  })
  it('route options and the client certificate are passed through', async () => {
    const g = guard()
    const { clients } = await testCertificates()
    await g.check({ ...(await dpopRequest()), clientCertificate: clients[0]!.certPem }, {
      scopes: ['a', 'b'], subject: 'alice', resources: ['https://r.example'], acrValues: ['urn:acr:1'], maxAge: 300, dpopNonceRequired: true,
    })
    expect(stub.calls[0]!.body).toMatchObject({
      scopes: ['a', 'b'], subject: 'alice', resources: ['https://r.example'], acrValues: ['urn:acr:1'], maxAge: 300,
      dpopNonceRequired: true, clientCertificate: clients[0]!.certPem.trim(),
    })
    await g.close()
  })
  it('publicUrl shapes htu', async () => {
    const g = createGuard({ authlete: v3(), publicUrl: 'https://gw.example.com/v1' })
    await g.check(await dpopRequest({}, 'https://gw.example.com/v1/api/me'))
    expect(stub.calls[0]!.body.htu).toBe('https://gw.example.com/v1/api/me')
    await g.close()
  })
})

describe('local refusals make no Authlete call', () => {
  const cases: Array<[string, Record<string, string | string[]>, number, RegExp, string | undefined]> = [
    ['RFC 6750 §3.1 no credentials -> 401, both schemes offered, no error', { host: 'a' }, 401, /^Bearer scope="profile", DPoP scope="profile", algs="RS256 .*EdDSA"$/, undefined],
    ['RFC 6750 §3.1 malformed token -> 400 invalid_request', { host: 'a', authorization: 'Bearer a b' }, 400, /^Bearer error="invalid_request"/, 'invalid_request'],
    ['RFC 6750 §3.1 two Authorization headers -> 400', { host: 'a', authorization: ['Bearer a', 'Bearer b'] }, 400, /error="invalid_request"/, 'invalid_request'],
    ['RFC 9449 §7.2 Bearer plus DPoP header -> 400 invalid_request', { host: 'a', authorization: 'Bearer a', dpop: JWT }, 400, /^Bearer error="invalid_request"/, 'invalid_request'],
    ['RFC 9449 §7.1 DPoP scheme without proof -> 401 invalid_dpop_proof', { host: 'a', authorization: 'DPoP a' }, 401, /^DPoP error="invalid_dpop_proof".*algs=/, 'invalid_dpop_proof'],
    ['RFC 9449 §4.3 two DPoP headers -> 401 invalid_dpop_proof', { host: 'a', authorization: 'DPoP a', dpop: [JWT, JWT] }, 401, /^DPoP error="invalid_dpop_proof"/, 'invalid_dpop_proof'],
    ['RFC 9449 §4.3 comma-joined DPoP -> 401 invalid_dpop_proof', { host: 'a', authorization: 'DPoP a', dpop: `${JWT},${JWT}` }, 401, /^DPoP error="invalid_dpop_proof"/, 'invalid_dpop_proof'],
    ['RFC 3986 §3.2 invalid Host -> 400', { host: 'a/b', authorization: 'DPoP a', dpop: JWT }, 400, /^DPoP error="invalid_request"/, 'invalid_request'],
  ]
  it.each(cases)('%s', async (_name, headers, status, challenge, error) => {
    const g = createGuard({ authlete: v3() })
    const decision = await g.check({ method: 'GET', url: '/api', headers }, { scopes: ['profile'] })
    expect(decision.allowed).toBe(false)
    if (decision.allowed) return
    expect(decision.status).toBe(status)
    expect(decision.headers['WWW-Authenticate']).toMatch(challenge)
    expect(decision.headers['Cache-Control']).toBe('no-store')
    expect(decision.headers.Pragma).toBe('no-cache')
    expect(decision.headers['Content-Type']).toBe('application/json')
    expect(decision.error).toBe(error)
    expect(JSON.parse(decision.body).error).toBe(error)
    expect(typeof JSON.parse(decision.body).error_description).toBe('string')
    expect(stub.calls).toHaveLength(0)
    await g.close()
  })
  it('realm appears in the guard\'s own challenges', async () => {
    const g = createGuard({ authlete: v3(), realm: 'api', dpopAlgs: ['ES256', 'PS256'] })
    const d = await g.check({ method: 'GET', url: '/', headers: { host: 'a' } })
    expect(!d.allowed && d.headers['WWW-Authenticate']).toBe('Bearer realm="api", DPoP realm="api", algs="ES256 PS256"')
    await g.close()
  })
})

describe('reference §3: every Authlete action', () => {
  const bound = 'DPoP error="invalid_token",error_description="[A065308] Expected a DPoP header but none was provided.",error_uri="https://docs.authlete.com/#A065308",algs="RS256 ES256"'
  const scope = 'Bearer error="insufficient_scope",error_description="[A064302] The access token does not cover the required scopes.",error_uri="https://docs.authlete.com/#A064302",scope="admin"'
  const cases: Array<[string, number, string, string]> = [
    ['BAD_REQUEST', 400, 'Bearer error="invalid_request",error_description="[A064201] The token is missing."', 'invalid_request'],
    ['UNAUTHORIZED', 401, bound, 'invalid_token'],
    ['FORBIDDEN', 403, scope, 'insufficient_scope'],
    ['INTERNAL_SERVER_ERROR', 500, 'Bearer error="server_error",error_description="[A064101] Authlete failed."', 'server_error'],
  ]
  it.each(cases)('%s -> %i with responseContent verbatim as WWW-Authenticate', async (action, status, content, error) => {
    stub.reply({ json: { action, resultCode: 'A000000', responseContent: content, dpopNonce: 'nonce-1' } })
    const g = createGuard({ authlete: v3() })
    const d = await g.check(await dpopRequest())
    expect(d.allowed).toBe(false)
    if (d.allowed) return
    expect(d.status).toBe(status)
    expect(d.headers['WWW-Authenticate']).toBe(content)
    expect(d.headers['DPoP-Nonce']).toBe('nonce-1')
    expect(d.headers['Cache-Control']).toBe('no-store')
    expect(d.headers.Pragma).toBe('no-cache')
    const body = JSON.parse(d.body)
    expect(body.error).toBe(error)
    expect(body.error_description).toMatch(/^\[A\d{6}\]/)
    await g.close()
  })
  it('a denial without responseContent still gets a challenge of the request\'s scheme', async () => {
    stub.reply({ json: { action: 'UNAUTHORIZED' } })
    const g = createGuard({ authlete: v3() })
    const d = await g.check(await dpopRequest())
    expect(!d.allowed && d.headers['WWW-Authenticate']).toBe('DPoP error="invalid_token"')
    await g.close()
  })
  it('OK -> allowed with the introspected principal', async () => {
    stub.reply({ json: OK })
    const g = createGuard({ authlete: v3() })
    const d = await g.check(await dpopRequest(), { scopes: ['profile'] })
    expect(d.allowed).toBe(true)
    if (!d.allowed) return
    expect(d.headers).toEqual({})
    expect(d.auth).toMatchObject({
      subject: 'alice', clientId: 3300001, clientIdAlias: 'my-client', scopes: ['profile', 'read'], expiresAt: 1900000000000,
      tokenType: 'DPoP', resources: ['https://api.example.com'], authorizationDetails: { elements: [] }, properties: { tenant: 'acme' },
      certificateThumbprint: undefined, acr: 'urn:acr:1', authTime: 1700000000, grantType: 'AUTHORIZATION_CODE',
    })
    expect(d.auth.raw).toEqual(OK)
    await g.close()
  })
  it('OK for a Bearer request -> tokenType Bearer; client-credentials token has no subject', async () => {
    stub.reply({ json: { ...OK, subject: null } })
    const g = createGuard({ authlete: v3() })
    const d = await g.check(bearerRequest())
    expect(d.allowed && d.auth.tokenType).toBe('Bearer')
    expect(d.allowed && d.auth.subject).toBeUndefined()
    await g.close()
  })
  it('RFC 9449 §8 OK with dpopNonce -> DPoP-Nonce header for the route\'s response', async () => {
    stub.reply({ json: { ...OK, dpopNonce: 'next-nonce' } })
    const g = createGuard({ authlete: v3() })
    const d = await g.check(await dpopRequest())
    expect(d.allowed && d.headers).toEqual({ 'DPoP-Nonce': 'next-nonce' })
    await g.close()
  })
})

// Both transports: the root entry's fetch and the undici pool of `@authlete-guard/core/node`.
describe.each([
  ['fetch transport (root entry)', createGuard],
  ['undici pool (/node)', createNodeGuard as typeof createGuard],
])('%s', (_transport, createGuard) => {
describe('fail closed: every infrastructure fault is a 500 and never allows', () => {
  const faults: Array<[string, () => Promise<{ baseUrl?: string; timeoutMs?: number }>, string]> = [
    ['connection refused', async () => ({ baseUrl: await unreachableUrl() }), 'ERR_AUTHLETE_UNREACHABLE'],
    ['connection reset', async () => (stub.reply({ reset: true }), {}), 'ERR_AUTHLETE_UNREACHABLE'],
    ['hang past timeoutMs', async () => (stub.reply({ hang: true }), { timeoutMs: 150 }), 'ERR_AUTHLETE_TIMEOUT'],
    ['slow reply past timeoutMs', async () => (stub.reply({ json: OK, delayMs: 400 }), { timeoutMs: 150 }), 'ERR_AUTHLETE_TIMEOUT'],
    ['HTTP 401 A001202 (bad service credentials)', async () => (stub.reply({ status: 401, json: { resultCode: 'A001202', resultMessage: '[A001202] Authorization header is invalid.' } }), {}), 'ERR_AUTHLETE_HTTP_STATUS'],
    ['HTTP 503 with HTML', async () => (stub.reply({ status: 503, text: '<html>down</html>' }), {}), 'ERR_AUTHLETE_HTTP_STATUS'],
    ['200 with non-JSON', async () => (stub.reply({ text: 'not json{' }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['200 with a JSON array', async () => (stub.reply({ json: [OK] }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['200 without action', async () => (stub.reply({ json: { resultCode: 'A056001', subject: 'alice' } }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['unknown action', async () => (stub.reply({ json: { ...OK, action: 'ALLOW_EVERYTHING' } }), {}), 'ERR_AUTHLETE_UNKNOWN_ACTION'],
    ['an action named like a prototype member', async () => (stub.reply({ json: { ...OK, action: 'toString' } }), {}), 'ERR_AUTHLETE_UNKNOWN_ACTION'],
    ['OK contradicted by usable: false', async () => (stub.reply({ json: { ...OK, usable: false } }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['INTERNAL_SERVER_ERROR action', async () => (stub.reply({ json: { action: 'INTERNAL_SERVER_ERROR', responseContent: 'Bearer error="server_error"' } }), {}), 'ERR_AUTHLETE_REPORTED_ERROR'],
    ['a reply over 1 MiB', async () => (stub.reply({ text: `{"action":"OK","pad":"${'x'.repeat(1024 * 1024)}"}` }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['a 3xx redirect is not followed', async () => (stub.reply({ status: 307, text: '' }), {}), 'ERR_AUTHLETE_HTTP_STATUS'],
  ]
  it.each(faults)('%s', async (_name, arrange, code) => {
    const events: GuardErrorEvent[] = []
    const g = createGuard({ authlete: { ...v3(), ...(await arrange()) }, onError: (e) => events.push(e) })
    const d = await g.check(await dpopRequest(), { scopes: ['profile'] })
    expect(d.allowed).toBe(false)
    if (d.allowed) return
    expect(d.status).toBe(500)
    expect(d.headers['WWW-Authenticate']).toMatch(/^DPoP error="server_error"|^Bearer error="server_error"/)
    expect(d.headers['Cache-Control']).toBe('no-store')
    expect(d.cause?.code).toBe(code)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ operation: 'introspection', method: 'GET', path: '/api/me' })
    expect(events[0]!.error.code).toBe(code)
    for (const text of [events[0]!.error.message, d.body, JSON.stringify(d.headers)]) {
      expect(text).not.toContain(SECRET_TOKEN)
      expect(text).not.toContain(SERVICE_TOKEN)
    }
    await g.close()
  })
  it('a throwing onError hook does not change the denial', async () => {
    const g = createGuard({ authlete: { ...v3(), baseUrl: await unreachableUrl() }, onError: () => { throw new Error('boom') } })
    const d = await g.check(bearerRequest())
    expect(d.allowed === false && d.status).toBe(500)
    await g.close()
  })
})

describe('HTTP client', () => {
  it('reuses keep-alive connections instead of opening one per call', async () => {
    const before = stub.connections()
    const g = createGuard({ authlete: v3() })
    for (let i = 0; i < 20; i++) await g.check(bearerRequest())
    expect(stub.calls).toHaveLength(20)
    // undici may open a second socket while the first is being released; never one per call.
    expect(stub.connections() - before).toBeLessThanOrEqual(2)
    await g.close()
  })
  it('close() ends the pool; later checks fail closed', async () => {
    const g = createGuard({ authlete: v3() })
    await g.close()
    const d = await g.check(bearerRequest())
    expect(d.allowed === false && d.status).toBe(500)
  })
})
})

describe('configuration errors throw at createGuard with a code', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['no options', undefined, /options object/],
    ['no authlete', {}, /authlete option is required/],
    ['bad baseUrl', { authlete: { baseUrl: 'nope', serviceId: '1', accessToken: 't' } }, /absolute URL/],
    ['ftp baseUrl', { authlete: { baseUrl: 'ftp://x', serviceId: '1', accessToken: 't' } }, /https/],
    ['v3 without serviceId', { authlete: { baseUrl: 'https://us.authlete.com', accessToken: 't' } }, /serviceId/],
    ['v2 without secret', { authlete: { baseUrl: 'https://api.authlete.com', apiKey: '1' } }, /apiSecret/],
    ['non-numeric serviceId', { authlete: { baseUrl: 'https://us.authlete.com', serviceId: 'abc', accessToken: 't' } }, /numeric/],
    ['bad timeout', { authlete: { baseUrl: 'https://us.authlete.com', serviceId: '1', accessToken: 't', timeoutMs: -1 } }, /timeoutMs/],
    ['bad publicUrl', { authlete: { baseUrl: 'https://us.authlete.com', serviceId: '1', accessToken: 't' }, publicUrl: '/relative' }, /publicUrl/],
    ['publicUrl with query', { authlete: { baseUrl: 'https://us.authlete.com', serviceId: '1', accessToken: 't' }, publicUrl: 'https://a.example/?x' }, /query/],
    ['bad trustProxy', { authlete: { baseUrl: 'https://us.authlete.com', serviceId: '1', accessToken: 't' }, trustProxy: 'yes' }, /trustProxy/],
  ]
  it.each(cases)('%s', (_name, options, message) => {
    let error: any
    try {
      createGuard(options as never)
    } catch (e) {
      error = e
    }
    expect(error?.code).toBe('ERR_INVALID_CONFIG')
    expect(error?.name).toBe('AuthleteGuardError')
    expect(error?.message).toMatch(message)
    expect(error?.message).not.toContain('"t"')
  })
})

describe('authlete.fetch: the transport a user injects', () => {
  it.each([
    ['root entry', createGuard],
    ['/node (fetch given: used instead of the pool)', createNodeGuard as typeof createGuard],
  ])('%s: every call goes through it, with the deadline signal and no redirect following', async (_name, create) => {
    const seen: Array<{ url: string; init: RequestInit | undefined }> = []
    const fetchSpy: typeof fetch = (input, init) => {
      seen.push({ url: String(input), init })
      return fetch(input, init)
    }
    const g = create({ authlete: { ...v3(), fetch: fetchSpy } })
    await g.check(bearerRequest())
    expect(seen.map((s) => s.url)).toEqual([`${stub.url}/api/715948317/auth/introspection`])
    expect(seen[0]!.init).toMatchObject({ method: 'POST', redirect: 'manual' })
    expect(seen[0]!.init!.signal).toBeInstanceOf(AbortSignal)
    expect(stub.calls).toHaveLength(1)
    await g.close()
  })
  it('a fetch that throws fails closed (500, ERR_AUTHLETE_UNREACHABLE)', async () => {
    const codes: string[] = []
    const g = createGuard({ authlete: { ...v3(), fetch: async () => { throw new TypeError('fetch failed') } }, onError: (e) => codes.push(e.error.code) })
    const d = await g.check(bearerRequest())
    expect(d.allowed === false && d.status).toBe(500)
    expect(codes).toEqual(['ERR_AUTHLETE_UNREACHABLE'])
  })
})

describe('the Node pool bounds its queue (connections + maxQueued)', () => {
  it('past connections + maxQueued a call fails at once with ERR_AUTHLETE_OVERLOADED (500), never queues without bound', async () => {
    stub.setDefault({ hang: true })
    const codes: string[] = []
    const g = createNodeGuard({ authlete: { ...v3(), timeoutMs: 300, connections: 1, maxQueued: 1 }, onError: (e) => codes.push(e.error.code) })
    const started = Date.now()
    const third = g.check(bearerRequest())
    const decisions = await Promise.all([g.check(bearerRequest()), g.check(bearerRequest()), third])
    expect(decisions.every((d) => !d.allowed && d.status === 500)).toBe(true)
    expect(codes.sort()).toEqual(['ERR_AUTHLETE_OVERLOADED', 'ERR_AUTHLETE_TIMEOUT', 'ERR_AUTHLETE_TIMEOUT'])
    expect(Date.now() - started).toBeLessThan(5000)
    await g.close()
  })
})
