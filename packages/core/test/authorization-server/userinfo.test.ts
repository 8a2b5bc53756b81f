import { describe, expect, it, vi } from 'vitest'
import { type GuardErrorEvent, type RequestLike } from '../../src'
import { createAuthorizationServer, type AuthorizationServerOptions } from '../../src/authorization-server'
import { useAuthleteStub } from '../support/authlete-stub'
import { unreachableUrl } from '../../../../test/support/unreachable'
import { JWT, lower, SERVICE_ID, SERVICE_TOKEN } from './support'

const stub = useAuthleteStub()

const authlete = () => ({ baseUrl: stub.url, serviceId: SERVICE_ID, accessToken: SERVICE_TOKEN, timeoutMs: 1000 })
const TOKEN = 'at-Zx9.~_-'
const NO_CACHE = { 'cache-control': 'no-store', pragma: 'no-cache' }

function server(options: Partial<AuthorizationServerOptions> = {}) {
  const events: GuardErrorEvent[] = []
  const as = createAuthorizationServer({ authlete: authlete(), onError: (e) => events.push(e), ...options })
  return { as, events }
}
const dpopGet = (extra: Record<string, string | string[]> = {}): RequestLike => ({
  method: 'GET',
  url: '/userinfo?x=1',
  headers: { host: 'as.example.com', authorization: `DPoP ${TOKEN}`, dpop: JWT, ...extra },
  encrypted: true,
})
const bearerGet = (): RequestLike => ({ method: 'GET', url: '/userinfo', headers: { host: 'as.example.com', authorization: `Bearer ${TOKEN}` }, encrypted: true })

const USERINFO_OK = { action: 'OK', resultCode: 'A091001', subject: 'alice', clientId: 3300001, scopes: ['openid', 'profile'], claims: ['name', 'name#ja', 'email'], dpopNonce: 'nonce-1' }
const ISSUE_JSON = { action: 'JSON', resultCode: 'A096001', responseContent: '{"sub":"alice","name":"Alice"}' }

describe('UserInfo: /auth/userinfo request', () => {
  it('RFC 9449 §7.1 DPoP: token, dpop, htm, htu (no query), nothing else', async () => {
    const { as } = server()
    stub.reply({ json: { action: 'UNAUTHORIZED', responseContent: 'DPoP error="invalid_token"' } })
    await as.userinfo(dpopGet())
    expect(stub.calls[0]!.path).toBe(`/api/${SERVICE_ID}/auth/userinfo`)
    expect(stub.calls[0]!.body).toEqual({ token: TOKEN, dpop: JWT, htm: 'GET', htu: 'https://as.example.com/userinfo' })
  })
  it('RFC 9449 §7.2 Bearer: only the token', async () => {
    const { as } = server()
    stub.reply({ json: { action: 'UNAUTHORIZED', responseContent: 'Bearer error="invalid_token"' } })
    await as.userinfo(bearerGet())
    expect(stub.calls[0]!.body).toEqual({ token: TOKEN })
  })
  it('dpopNonceRequired is passed (the client certificate: client-certificate.test.ts)', async () => {
    const { as } = server({ dpopNonceRequired: true })
    stub.reply({ json: { action: 'UNAUTHORIZED', responseContent: 'DPoP error="invalid_token"' } })
    await as.userinfo(dpopGet())
    expect(stub.calls[0]!.body).toEqual({ token: TOKEN, dpop: JWT, htm: 'GET', htu: 'https://as.example.com/userinfo', dpopNonceRequired: true })
  })
})

describe('UserInfo: local refusals as on a protected resource', () => {
  it('RFC 6750 §3.1 no access token -> 401, challenges without error, no call', async () => {
    const { as } = server()
    const result = await as.userinfo({ method: 'GET', url: '/userinfo', headers: { host: 'as.example.com' } })
    expect(stub.calls).toHaveLength(0)
    expect(result.status).toBe(401)
    expect(result.headers['WWW-Authenticate']).toMatch(/^Bearer, DPoP algs="/)
  })
  it('RFC 9449 §7.1 two DPoP headers -> 401 DPoP invalid_dpop_proof, no call', async () => {
    const { as } = server()
    const result = await as.userinfo(dpopGet({ dpop: [JWT, JWT] }))
    expect(stub.calls).toHaveLength(0)
    expect(result.status).toBe(401)
    expect(result.headers['WWW-Authenticate']).toMatch(/^DPoP error="invalid_dpop_proof"/)
    expect(JSON.parse(result.body).error).toBe('invalid_dpop_proof')
  })
  it('RFC 9449 §7.2 Bearer token with a DPoP header -> 400 invalid_request, no call', async () => {
    const { as } = server()
    const result = await as.userinfo({ ...bearerGet(), headers: { host: 'as.example.com', authorization: `Bearer ${TOKEN}`, dpop: JWT } })
    expect(stub.calls).toHaveLength(0)
    expect(result.status).toBe(400)
  })
})

describe('UserInfo: /auth/userinfo error actions map as introspection\'s (reference §3)', () => {
  const challenge = 'DPoP error="invalid_token",error_description="[A065309] Thumbprint mismatch.",algs="ES256"'
  it.each([
    ['BAD_REQUEST', 400],
    ['UNAUTHORIZED', 401],
    ['FORBIDDEN', 403],
    ['INTERNAL_SERVER_ERROR', 500],
  ])('RFC 6750 §3.1 %s -> %i, WWW-Authenticate = responseContent verbatim, DPoP-Nonce', async (action, status) => {
    const { as, events } = server()
    const getClaims = vi.fn()
    stub.reply({ json: { action, responseContent: challenge, dpopNonce: 'nonce-err' } })
    const result = await as.userinfo(dpopGet(), { getClaims })
    expect(result).toMatchObject({ done: true, status, action })
    expect(lower(result.headers)).toEqual({ 'www-authenticate': challenge, 'content-type': 'application/json', ...NO_CACHE, 'dpop-nonce': 'nonce-err' })
    expect(getClaims).not.toHaveBeenCalled()
    expect(stub.calls).toHaveLength(1)
    expect(events.length).toBe(status === 500 ? 1 : 0)
  })
})

describe('UserInfo: OK -> getClaims -> /auth/userinfo/issue (OIDC Core §5.3)', () => {
  it('OIDC Core §5.3.2 JSON -> 200 application/json, body = responseContent; getClaims(subject, claimNames, locales)', async () => {
    const getClaims = vi.fn(async () => ({ name: 'Alice', 'name#ja': 'アリス', email: 'a@example.com' }))
    const { as } = server({ getClaims })
    stub.reply({ json: USERINFO_OK }, { json: ISSUE_JSON })
    const result = await as.userinfo(dpopGet())
    expect(getClaims).toHaveBeenCalledWith('alice', ['name', 'name#ja', 'email'], ['ja'], expect.objectContaining({ clientId: 3300001, scopes: ['openid', 'profile'] }))
    expect(stub.calls[1]!.path).toBe(`/api/${SERVICE_ID}/auth/userinfo/issue`)
    // No `sub`: a non-empty one would replace Authlete's own (pairwise subjects would leak the internal id).
    expect(stub.calls[1]!.body).toEqual({ token: TOKEN, claims: JSON.stringify({ name: 'Alice', 'name#ja': 'アリス', email: 'a@example.com' }) })
    expect(typeof stub.calls[1]!.body.claims).toBe('string')
    expect(result).toMatchObject({ done: true, status: 200, action: 'JSON', body: ISSUE_JSON.responseContent })
    // RFC 9449 §8: the nonce of /auth/userinfo reaches the successful answer.
    expect(lower(result.headers)).toEqual({ 'content-type': 'application/json', ...NO_CACHE, 'dpop-nonce': 'nonce-1' })
  })
  it('OIDC Core §5.3.2 JWT -> 200 application/jwt', async () => {
    const { as } = server({ getClaims: () => ({ name: 'Alice' }) })
    stub.reply({ json: { ...USERINFO_OK, dpopNonce: undefined } }, { json: { action: 'JWT', responseContent: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln' } })
    const result = await as.userinfo(bearerGet())
    expect(result).toMatchObject({ status: 200, action: 'JWT', body: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln' })
    expect(lower(result.headers)).toEqual({ 'content-type': 'application/jwt', ...NO_CACHE })
  })
  it('a per-call getClaims takes precedence over the server\'s', async () => {
    const serverClaims = vi.fn(() => ({ name: 'server' }))
    const callClaims = vi.fn(() => ({ name: 'call' }))
    const { as } = server({ getClaims: serverClaims })
    stub.reply({ json: USERINFO_OK }, { json: ISSUE_JSON })
    await as.userinfo(dpopGet(), { getClaims: callClaims })
    expect(serverClaims).not.toHaveBeenCalled()
    expect(JSON.parse(stub.calls[1]!.body.claims)).toEqual({ name: 'call' })
  })
  it('without any getClaims only Authlete\'s own sub is issued (claims "{}", no sub sent)', async () => {
    const { as } = server()
    stub.reply({ json: USERINFO_OK }, { json: ISSUE_JSON })
    await as.userinfo(dpopGet())
    expect(stub.calls[1]!.body).toEqual({ token: TOKEN, claims: '{}' })
  })
  it('getSub: the application\'s own sub (e.g. pairwise) is sent, computed from the subject', async () => {
    const { as } = server()
    stub.reply({ json: USERINFO_OK }, { json: ISSUE_JSON })
    const getSub = vi.fn(async (subject: string) => `pairwise-${subject}`)
    await as.userinfo(dpopGet(), { getSub })
    expect(getSub).toHaveBeenCalledWith('alice', expect.objectContaining({ clientId: 3300001 }))
    expect(stub.calls[1]!.body).toEqual({ token: TOKEN, claims: '{}', sub: 'pairwise-alice' })
  })
  it('getSub that throws -> 500, ERR_CALLBACK_FAILED, /auth/userinfo/issue not called', async () => {
    const { as, events } = server()
    stub.reply({ json: USERINFO_OK })
    const result = await as.userinfo(dpopGet(), { getSub: () => { throw new Error('boom') } })
    expect(result.status).toBe(500)
    expect(events.map((e) => [e.error.code, e.error.message])).toEqual([['ERR_CALLBACK_FAILED', 'The getSub callback failed.']])
    expect(stub.calls).toHaveLength(1)
  })
  it('a POST with a body that is not a form -> 400 invalid_request, no Authlete call', async () => {
    const { as } = server()
    const result = await as.userinfo({ ...dpopGet({ 'content-type': 'text/plain', 'content-length': '11' }), method: 'POST' })
    expect(result.status).toBe(400)
    expect(JSON.parse(result.body)).toMatchObject({ error: 'invalid_request', error_description: 'The request body must be application/x-www-form-urlencoded.' })
    expect(stub.calls).toHaveLength(0)
  })
  it('a POST with a form body or with no body is read as usual', async () => {
    const { as } = server()
    stub.reply({ json: USERINFO_OK }, { json: ISSUE_JSON }, { json: USERINFO_OK }, { json: ISSUE_JSON })
    const form = await as.userinfo({ ...dpopGet({ 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', 'content-length': '3' }), method: 'POST' })
    const empty = await as.userinfo({ ...dpopGet({ 'content-length': '0' }), method: 'POST' })
    expect([form.status, empty.status]).toEqual([200, 200])
  })
  it.each([
    ['BAD_REQUEST', 400],
    ['UNAUTHORIZED', 401],
    ['FORBIDDEN', 403],
    ['INTERNAL_SERVER_ERROR', 500],
  ])('issue %s -> %i with WWW-Authenticate = responseContent and DPoP-Nonce', async (action, status) => {
    const { as } = server({ getClaims: () => ({}) })
    const challenge = 'Bearer error="invalid_token",error_description="[A0] x"'
    stub.reply({ json: USERINFO_OK }, { json: { action, responseContent: challenge } })
    const result = await as.userinfo(dpopGet())
    expect(result).toMatchObject({ done: true, status, action })
    expect(result.headers['WWW-Authenticate']).toBe(challenge)
    expect(result.headers['DPoP-Nonce']).toBe('nonce-1')
  })
})

describe('UserInfo: fail closed', () => {
  it.each([
    ['throws', () => { throw new Error('db down: secret-connection-string') }],
    ['rejects', async () => { throw new Error('db down: secret-connection-string') }],
    ['returns an array', () => ['name'] as never],
    ['returns a string', () => 'name' as never],
  ])('getClaims %s -> 500 server_error, ERR_CALLBACK_FAILED reported, /auth/userinfo/issue not called', async (_n, getClaims) => {
    const { as, events } = server({ getClaims })
    stub.reply({ json: USERINFO_OK })
    const result = await as.userinfo(dpopGet())
    expect(result.status).toBe(500)
    expect(JSON.parse(result.body).error).toBe('server_error')
    expect(result.body + JSON.stringify(result.headers)).not.toContain('secret-connection-string')
    expect(result.cause?.code).toBe('ERR_CALLBACK_FAILED')
    expect(events).toMatchObject([{ operation: 'userinfo', method: 'GET', path: '/userinfo', error: { code: 'ERR_CALLBACK_FAILED' } }])
    expect(stub.calls).toHaveLength(1)
  })
  it.each([
    ['unreachable', async () => ({ baseUrl: await unreachableUrl() }), 'ERR_AUTHLETE_UNREACHABLE'],
    ['HTTP 503', async () => (stub.reply({ status: 503, text: 'down' }), {}), 'ERR_AUTHLETE_HTTP_STATUS'],
    ['garbage', async () => (stub.reply({ text: 'not json' }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['no action', async () => (stub.reply({ json: { subject: 'alice' } }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['unknown action', async () => (stub.reply({ json: { action: 'MAYBE' } }), {}), 'ERR_AUTHLETE_UNKNOWN_ACTION'],
    ['OK without subject', async () => (stub.reply({ json: { action: 'OK' } }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['issue: HTTP 500', async () => (stub.reply({ json: USERINFO_OK }, { status: 500, json: {} }), {}), 'ERR_AUTHLETE_HTTP_STATUS'],
    ['issue: garbage', async () => (stub.reply({ json: USERINFO_OK }, { text: '<html>' }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['issue: OK is not an issue action', async () => (stub.reply({ json: USERINFO_OK }, { json: { action: 'OK', responseContent: '{}' } }), {}), 'ERR_AUTHLETE_UNKNOWN_ACTION'],
    ['issue: an action named like a prototype member', async () => (stub.reply({ json: USERINFO_OK }, { json: { action: 'toString', responseContent: '{}' } }), {}), 'ERR_AUTHLETE_UNKNOWN_ACTION'],
    ['an action named like a prototype member', async () => (stub.reply({ json: { action: 'constructor' } }), {}), 'ERR_AUTHLETE_UNKNOWN_ACTION'],
    ['issue: JSON without responseContent', async () => (stub.reply({ json: USERINFO_OK }, { json: { action: 'JSON' } }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
  ])('%s -> 500 with a DPoP server_error challenge, reported', async (_n, arrange, code) => {
    const override = await arrange()
    const events: GuardErrorEvent[] = []
    const as = createAuthorizationServer({ authlete: { ...authlete(), ...override }, onError: (e) => events.push(e), getClaims: () => ({}) })
    const result = await as.userinfo(dpopGet())
    expect(result.status).toBe(500)
    expect(result.headers['WWW-Authenticate']).toMatch(/^DPoP error="server_error"/)
    expect(result.cause?.code).toBe(code)
    expect(events).toHaveLength(1)
    expect(events[0]!.error.code).toBe(code)
    await as.close()
  })
})
