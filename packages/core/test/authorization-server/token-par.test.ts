import { describe, expect, it, vi } from 'vitest'
import { type GuardErrorEvent } from '../../src'
import { createAuthorizationServer, readClientCredentials, SERVER_ERROR_BODY, TOKEN_APP_ACTIONS, type AuthorizationServerOptions } from '../../src/authorization-server'
import { useAuthleteStub } from '../support/authlete-stub'
import { unreachableUrl } from '../../../../test/support/unreachable'
import { basic, JWT, lower, post, SERVICE_ID, SERVICE_TOKEN } from './support'

const stub = useAuthleteStub()

const authlete = () => ({ baseUrl: stub.url, serviceId: SERVICE_ID, accessToken: SERVICE_TOKEN, timeoutMs: 1000 })
const FORM = 'grant_type=client_credentials&scope=read%20write'
const TOKEN_BODY = '{"access_token":"at-1","token_type":"DPoP","expires_in":3600}'
const BASE_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' }

function server(options: Partial<AuthorizationServerOptions> = {}) {
  const events: GuardErrorEvent[] = []
  const as = createAuthorizationServer({ authlete: authlete(), onError: (e) => events.push(e), ...options })
  return { as, events }
}

describe('token endpoint: /auth/token request body', () => {
  it('RFC 9449 §5 with a DPoP proof: parameters verbatim, dpop, htm, htu; nothing else', async () => {
    const { as } = server()
    stub.reply({ json: { action: 'OK', responseContent: TOKEN_BODY } })
    await as.token(post('/oauth/token?ignored=1', { dpop: JWT }), FORM)
    expect(stub.calls[0]!.path).toBe(`/api/${SERVICE_ID}/auth/token`)
    expect(stub.calls[0]!.body).toEqual({ parameters: FORM, dpop: JWT, htm: 'POST', htu: 'https://as.example.com/oauth/token' })
  })
  it('RFC 9449 §5 without a DPoP header: no dpop, htm or htu are sent', async () => {
    const { as } = server()
    await as.token(post('/token'), FORM)
    expect(stub.calls[0]!.body).toEqual({ parameters: FORM })
  })
  it('the form body is passed byte for byte (duplicates, odd encodings, no re-encoding)', async () => {
    const { as } = server()
    const raw = 'grant_type=authorization_code&code=a%2Bb+c&code=dup&redirect_uri=https%3a%2f%2fx&x=%E2%9C%93'
    await as.token(post('/token'), raw)
    expect(stub.calls[0]!.body.parameters).toBe(raw)
  })
  it('a Uint8Array/Buffer body is decoded as UTF-8', async () => {
    const { as } = server()
    await as.token(post('/token'), Buffer.from(FORM))
    expect(stub.calls[0]!.body.parameters).toBe(FORM)
  })
  it('a parsed object instead of the raw body is a programming error (ERR_INVALID_CONFIG), never sent', async () => {
    const { as } = server()
    await expect(as.token(post('/token'), { grant_type: 'x' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG' })
    expect(stub.calls).toHaveLength(0)
  })
  it('RFC 6749 §2.3.1 HTTP Basic: clientId and clientSecret', async () => {
    const { as } = server()
    await as.token(post('/token', { authorization: basic('s6BhdRkqt3', 'gX1fBat3bV') }), FORM)
    expect(stub.calls[0]!.body).toEqual({ parameters: FORM, clientId: 's6BhdRkqt3', clientSecret: 'gX1fBat3bV' })
  })
  it('RFC 6749 §2.3.1 id and secret are form-urlencoded before Basic: special characters decode exactly', async () => {
    const { as } = server()
    const id = 'client:one two+é/%'
    const secret = 'p@ss:w0rd&=?+ %41'
    await as.token(post('/token', { authorization: basic(id, secret) }), FORM)
    expect(stub.calls[0]!.body).toMatchObject({ clientId: id, clientSecret: secret })
  })
  it('RFC 6749 §2.3.1 "+" in the encoded id is a space; an empty secret is kept', async () => {
    expect(readClientCredentials(post('/t', { authorization: `Basic ${Buffer.from('a+b%2B:').toString('base64')}` }))).toEqual({ kind: 'basic', clientId: 'a b+', clientSecret: '' })
  })
  it('RFC 7235 the Basic scheme is case-insensitive; unpadded base64 is accepted', async () => {
    const b64 = Buffer.from('abc:de').toString('base64').replace(/=+$/, '')
    expect(readClientCredentials(post('/t', { authorization: `bAsIc ${b64}` }))).toEqual({ kind: 'basic', clientId: 'abc', clientSecret: 'de' })
  })
  it('another Authorization scheme is no client authentication', async () => {
    const { as } = server()
    await as.token(post('/token', { authorization: 'Bearer abc' }), FORM)
    expect(stub.calls[0]!.body).toEqual({ parameters: FORM })
  })
  // RFC 8705 clientCertificate and clientCertificatePath: client-certificate.test.ts (real certificates).
  it('dpopNonceRequired (Authlete 3.0) is passed when configured', async () => {
    const { as } = server({ dpopNonceRequired: true })
    await as.token(post('/token', { dpop: JWT }), FORM)
    expect(stub.calls[0]!.body).toMatchObject({ dpopNonceRequired: true, dpop: JWT })
  })
  it('a publicUrl with a path prefix is part of htu', async () => {
    const { as } = server({ publicUrl: 'https://idp.example.com/auth/' })
    await as.token(post('/token', { dpop: JWT, host: 'internal:8080' }, { encrypted: false }), FORM)
    expect(stub.calls[0]!.body.htu).toBe('https://idp.example.com/auth/token')
  })
})

describe('token endpoint: local refusals (no Authlete call)', () => {
  const cases: Array<[string, Record<string, string | string[]> | Headers, number, string, string | undefined]> = [
    ['RFC 9449 §4.3 / §5 two DPoP headers -> 400 invalid_dpop_proof', { dpop: [JWT, JWT] }, 400, 'invalid_dpop_proof', undefined],
    ['RFC 9449 §4.3 / §5 comma-joined DPoP values -> 400 invalid_dpop_proof', { dpop: `${JWT}, ${JWT}` }, 400, 'invalid_dpop_proof', undefined],
    ['RFC 9449 §4.3 a DPoP header that is not a JWT -> 400 invalid_dpop_proof', { dpop: 'nope' }, 400, 'invalid_dpop_proof', undefined],
    ['RFC 6749 §5.2 Basic that is not base64 -> 401 invalid_client with a Basic challenge', { authorization: 'Basic %%%' }, 401, 'invalid_client', 'Basic realm="token"'],
    ['RFC 6749 §5.2 Basic without a colon -> 401 invalid_client', { authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` }, 401, 'invalid_client', 'Basic realm="token"'],
    ['RFC 6749 §5.2 Basic with broken percent-encoding -> 401 invalid_client', { authorization: `Basic ${Buffer.from('a%zz:b').toString('base64')}` }, 401, 'invalid_client', 'Basic realm="token"'],
    ['RFC 6749 §5.2 Basic with an empty client id -> 401 invalid_client', { authorization: `Basic ${Buffer.from(':secret').toString('base64')}` }, 401, 'invalid_client', 'Basic realm="token"'],
    ['RFC 6749 §5.2 Basic without credentials -> 401 invalid_client', { authorization: 'Basic' }, 401, 'invalid_client', 'Basic realm="token"'],
    ['RFC 6749 §3.2 two Authorization headers -> 400 invalid_request', { authorization: [basic('a', 'b'), basic('a', 'b')] }, 400, 'invalid_request', undefined],
    ['RFC 6749 §3.2 a text/plain body -> 400 invalid_request', { 'content-type': 'text/plain' }, 400, 'invalid_request', undefined],
    ['RFC 6749 §3.2 a JSON body -> 400 invalid_request', { 'content-type': 'application/json' }, 400, 'invalid_request', undefined],
    ['RFC 6749 §3.2 a look-alike media type -> 400 invalid_request', { 'content-type': 'application/x-www-form-urlencodedx' }, 400, 'invalid_request', undefined],
  ]
  it.each(cases)('%s', async (_name, headers, status, error, challenge) => {
    const { as } = server()
    const result = await as.token(post('/token', headers as Record<string, string>), FORM)
    expect(stub.calls).toHaveLength(0)
    expect(result.done).toBe(true)
    if (!result.done) return
    expect(result.status).toBe(status)
    expect(JSON.parse(result.body).error).toBe(error)
    expect(result.headers['WWW-Authenticate']).toBe(challenge)
    expect(result.headers).toMatchObject({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Pragma: 'no-cache' })
    expect(result.action).toBeUndefined()
  })
  it('RFC 9449 §4.3 fetch Headers joining two DPoP headers -> 400 invalid_dpop_proof', async () => {
    const { as } = server()
    const headers = new Headers([['host', 'as.example.com'], ['dpop', JWT], ['dpop', JWT]])
    const result = await as.token({ method: 'POST', url: '/token', headers, encrypted: true }, FORM)
    expect(stub.calls).toHaveLength(0)
    expect(result).toMatchObject({ done: true, status: 400 })
  })
  it('RFC 6749 §3.2 fetch Headers joining two Authorization headers -> 400 invalid_request', async () => {
    const { as } = server()
    const headers = new Headers([['host', 'as.example.com'], ['authorization', basic('a', 'b')], ['authorization', basic('a', 'b')]])
    const result = await as.token({ method: 'POST', url: '/token', headers, encrypted: true }, FORM)
    expect(stub.calls).toHaveLength(0)
    expect(result).toMatchObject({ done: true, status: 400 })
    expect(result.done && JSON.parse(result.body).error).toBe('invalid_request')
  })
  it('a DPoP proof on a request whose public URL cannot be built (no Host) -> 400 invalid_request', async () => {
    const { as } = server()
    const result = await as.token({ method: 'POST', url: '/token', headers: { dpop: JWT } }, FORM)
    expect(stub.calls).toHaveLength(0)
    expect(result).toMatchObject({ done: true, status: 400 })
    expect(result.done && JSON.parse(result.body).error).toBe('invalid_request')
  })
  it('the realm option names the Basic challenge', async () => {
    const { as } = server({ realm: 'example' })
    const result = await as.token(post('/token', { authorization: 'Basic !!' }), FORM)
    expect(result.headers['WWW-Authenticate']).toBe('Basic realm="example"')
  })
})

describe('form endpoints take application/x-www-form-urlencoded bodies only', () => {
  it('token without a Content-Type -> 400 invalid_request, no Authlete call', async () => {
    const { as } = server()
    const result = await as.token({ method: 'POST', url: '/token', headers: { host: 'as.example.com' } }, FORM)
    expect(result).toMatchObject({ done: true, status: 400, body: expect.stringContaining('"error":"invalid_request"') })
    expect(stub.calls).toHaveLength(0)
  })
  it('PAR with text/plain -> 400 invalid_request, no Authlete call', async () => {
    const { as } = server()
    const result = await as.pushedAuthorizationRequest(post('/par', { 'content-type': 'text/plain;charset=utf-8' }), 'response_type=code&client_id=1')
    expect([result.status, JSON.parse(result.body).error_description]).toEqual([400, 'The request body must be application/x-www-form-urlencoded.'])
    expect(stub.calls).toHaveLength(0)
  })
  it('parameters and case are allowed: Application/X-WWW-Form-Urlencoded; charset=UTF-8 reaches Authlete', async () => {
    const { as } = server()
    stub.reply({ json: { action: 'OK', responseContent: TOKEN_BODY } })
    const result = await as.token(post('/token', { 'content-type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-8' }), FORM)
    expect(result).toMatchObject({ done: true, status: 200 })
    expect(stub.calls).toHaveLength(1)
  })
})

describe('token endpoint: action mapping (reference §4)', () => {
  const error = (e: string) => JSON.stringify({ error: e, error_description: `[A0] ${e}` })
  it('RFC 6749 §5.1 OK -> 200, body = responseContent verbatim, JSON, no-store, no-cache', async () => {
    const { as } = server()
    stub.reply({ json: { action: 'OK', resultCode: 'A050001', responseContent: TOKEN_BODY, accessToken: 'at-1' } })
    const result = await as.token(post('/token', { dpop: JWT }), FORM)
    expect(result).toMatchObject({ done: true, status: 200, action: 'OK', body: TOKEN_BODY })
    expect(lower(result.headers)).toEqual(BASE_HEADERS)
    expect(result.done && result.authlete?.accessToken).toBe('at-1')
  })
  it('RFC 6749 §5.2 BAD_REQUEST -> 400 with Authlete\'s JSON error body', async () => {
    const { as } = server()
    stub.reply({ json: { action: 'BAD_REQUEST', responseContent: error('invalid_grant') } })
    const result = await as.token(post('/token'), FORM)
    expect(result).toMatchObject({ done: true, status: 400, action: 'BAD_REQUEST', body: error('invalid_grant') })
    expect(lower(result.headers)).toEqual(BASE_HEADERS)
  })
  it('RFC 6749 §5.2 INVALID_CLIENT after HTTP Basic -> 401 with WWW-Authenticate: Basic', async () => {
    const { as } = server()
    stub.reply({ json: { action: 'INVALID_CLIENT', responseContent: error('invalid_client') } })
    const result = await as.token(post('/token', { authorization: basic('c', 'wrong') }), FORM)
    expect(result).toMatchObject({ done: true, status: 401, action: 'INVALID_CLIENT', body: error('invalid_client') })
    expect(lower(result.headers)).toEqual({ ...BASE_HEADERS, 'www-authenticate': 'Basic realm="token"' })
  })
  it('RFC 6749 §5.2 INVALID_CLIENT without an Authorization header (form credentials) -> 400, no challenge', async () => {
    const { as } = server()
    stub.reply({ json: { action: 'INVALID_CLIENT', responseContent: error('invalid_client') } })
    const result = await as.token(post('/token'), `${FORM}&client_id=c&client_secret=wrong`)
    expect(result).toMatchObject({ done: true, status: 400, action: 'INVALID_CLIENT', body: error('invalid_client') })
    expect(lower(result.headers)).toEqual(BASE_HEADERS)
  })
  it('INTERNAL_SERVER_ERROR -> 500 with responseContent, reported as ERR_AUTHLETE_REPORTED_ERROR', async () => {
    const { as, events } = server()
    stub.reply({ json: { action: 'INTERNAL_SERVER_ERROR', resultCode: 'A001101', responseContent: error('server_error') } })
    const result = await as.token(post('/token'), FORM)
    expect(result).toMatchObject({ done: true, status: 500, action: 'INTERNAL_SERVER_ERROR', body: error('server_error') })
    expect(result.done && result.cause?.code).toBe('ERR_AUTHLETE_REPORTED_ERROR')
    expect(events).toMatchObject([{ operation: 'token', method: 'POST', path: '/token', error: { code: 'ERR_AUTHLETE_REPORTED_ERROR', resultCode: 'A001101' } }])
  })
  it.each(TOKEN_APP_ACTIONS)('%s comes back to the application (done: false) with Authlete\'s reply attached', async (action) => {
    const { as } = server()
    const reply = { action, resultCode: 'A0', responseContent: null, ticket: 't-1', username: 'u', password: 'p', dpopNonce: 'n-1' }
    stub.reply({ json: reply })
    const result = await as.token(post('/token', { dpop: JWT }), FORM)
    expect(result.done).toBe(false)
    if (result.done) return
    expect(result.action).toBe(action)
    expect(result.authlete).toEqual(reply)
    expect(lower(result.headers)).toEqual({ ...BASE_HEADERS, 'dpop-nonce': 'n-1' })
    expect('status' in result).toBe(false)
  })
})

describe('RFC 9449 §8 DPoP-Nonce on every outcome', () => {
  const nonce = 'eyJ7S_zG.eyJH0-Z.HX4w-7v'
  it.each([
    ['token OK', 'OK', 200],
    ['token BAD_REQUEST use_dpop_nonce', 'BAD_REQUEST', 400],
    ['token INVALID_CLIENT', 'INVALID_CLIENT', 400],
    ['token INTERNAL_SERVER_ERROR', 'INTERNAL_SERVER_ERROR', 500],
  ])('%s carries DPoP-Nonce', async (_n, action, status) => {
    const { as } = server()
    stub.reply({ json: { action, responseContent: '{"error":"use_dpop_nonce"}', dpopNonce: nonce } })
    const result = await as.token(post('/token', { dpop: JWT }), FORM)
    expect(result).toMatchObject({ done: true, status })
    expect(result.headers['DPoP-Nonce']).toBe(nonce)
  })
  it('no dpopNonce from Authlete -> no DPoP-Nonce header', async () => {
    const { as } = server()
    stub.reply({ json: { action: 'OK', responseContent: TOKEN_BODY, dpopNonce: null } })
    const result = await as.token(post('/token', { dpop: JWT }), FORM)
    expect(result.headers['DPoP-Nonce']).toBeUndefined()
  })
  it.each([['CREATED', 201], ['BAD_REQUEST', 400]])('PAR %s carries DPoP-Nonce', async (action, status) => {
    const { as } = server()
    stub.reply({ json: { action, responseContent: '{}', dpopNonce: nonce } })
    const result = await as.pushedAuthorizationRequest(post('/par', { dpop: JWT }), 'response_type=code')
    expect(result).toMatchObject({ status })
    expect(result.headers['DPoP-Nonce']).toBe(nonce)
  })
})

describe('PAR endpoint (RFC 9126)', () => {
  const PAR_FORM = 'response_type=code&client_id=c1&redirect_uri=https%3A%2F%2Fclient.example.org%2Fcb&scope=openid'
  it('RFC 9126 §2.1 / RFC 9449 §10: /pushed_auth_req gets parameters, Basic credentials, dpop, htm, htu', async () => {
    const { as } = server()
    stub.reply({ json: { action: 'CREATED', responseContent: '{"request_uri":"urn:x","expires_in":60}' } })
    await as.pushedAuthorizationRequest(post('/as/par', { dpop: JWT, authorization: basic('c1', 's e') }), PAR_FORM)
    expect(stub.calls[0]!.path).toBe(`/api/${SERVICE_ID}/pushed_auth_req`)
    expect(stub.calls[0]!.body).toEqual({ parameters: PAR_FORM, clientId: 'c1', clientSecret: 's e', dpop: JWT, htm: 'POST', htu: 'https://as.example.com/as/par' })
  })
  const cases: Array<[string, string, boolean, number, string | undefined]> = [
    ['RFC 9126 §2.2 CREATED -> 201', 'CREATED', false, 201, undefined],
    ['RFC 9126 §2.3 BAD_REQUEST -> 400', 'BAD_REQUEST', false, 400, undefined],
    ['RFC 9126 §2.3 / RFC 6749 §5.2 UNAUTHORIZED after Basic -> 401 with a Basic challenge', 'UNAUTHORIZED', true, 401, 'Basic realm="par"'],
    ['RFC 9126 §2.3 / RFC 6749 §5.2 UNAUTHORIZED without an Authorization header -> 400', 'UNAUTHORIZED', false, 400, undefined],
    ['RFC 9126 §2.3 FORBIDDEN -> 403', 'FORBIDDEN', false, 403, undefined],
    ['RFC 9126 §2.3 PAYLOAD_TOO_LARGE -> 413', 'PAYLOAD_TOO_LARGE', false, 413, undefined],
    ['INTERNAL_SERVER_ERROR -> 500', 'INTERNAL_SERVER_ERROR', false, 500, undefined],
  ]
  it.each(cases)('%s', async (_name, action, useBasic, status, challenge) => {
    const { as, events } = server()
    const content = JSON.stringify({ action })
    stub.reply({ json: { action, responseContent: content } })
    const result = await as.pushedAuthorizationRequest(post('/par', useBasic ? { authorization: basic('c1', 's') } : {}), PAR_FORM)
    expect(result).toMatchObject({ done: true, status, action, body: content })
    expect(lower(result.headers)).toEqual(challenge ? { ...BASE_HEADERS, 'www-authenticate': challenge } : BASE_HEADERS)
    expect(events.length).toBe(status === 500 ? 1 : 0)
  })
  it('RFC 9449 §4.3 two DPoP headers at the PAR endpoint -> 400 invalid_dpop_proof, no call', async () => {
    const { as } = server()
    const result = await as.pushedAuthorizationRequest(post('/par', { dpop: [JWT, JWT] }), PAR_FORM)
    expect(stub.calls).toHaveLength(0)
    expect(result.status).toBe(400)
    expect(JSON.parse(result.body).error).toBe('invalid_dpop_proof')
  })
  it('token-only actions are unknown at the PAR endpoint -> 500', async () => {
    const { as, events } = server()
    stub.reply({ json: { action: 'PASSWORD', responseContent: '{}' } })
    const result = await as.pushedAuthorizationRequest(post('/par'), PAR_FORM)
    expect(result).toMatchObject({ status: 500, body: SERVER_ERROR_BODY })
    expect(events[0]!.error.code).toBe('ERR_AUTHLETE_UNKNOWN_ACTION')
  })
})

describe('fail closed: Authlete unreachable or malformed -> 500 server_error, nothing leaked', () => {
  const SECRET = 'resultMessage-with-internal-detail'
  const cases: Array<[string, () => Promise<Partial<AuthorizationServerOptions['authlete'] & object>>, string]> = [
    ['connection refused', async () => ({ baseUrl: await unreachableUrl() }), 'ERR_AUTHLETE_UNREACHABLE'],
    ['connection reset', async () => (stub.reply({ reset: true }), {}), 'ERR_AUTHLETE_UNREACHABLE'],
    ['hang past timeoutMs', async () => (stub.reply({ hang: true }), { timeoutMs: 150 }), 'ERR_AUTHLETE_TIMEOUT'],
    ['HTTP 500 from Authlete', async () => (stub.reply({ status: 500, json: { resultCode: 'A001101', resultMessage: SECRET } }), {}), 'ERR_AUTHLETE_HTTP_STATUS'],
    ['HTTP 401 (bad service credentials)', async () => (stub.reply({ status: 401, json: { resultCode: 'A001202', resultMessage: SECRET } }), {}), 'ERR_AUTHLETE_HTTP_STATUS'],
    ['200 with garbage', async () => (stub.reply({ text: `<html>${SECRET}` }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['200 with a JSON array', async () => (stub.reply({ text: '[1]' }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['200 without action', async () => (stub.reply({ json: { resultMessage: SECRET } }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['unknown action', async () => (stub.reply({ json: { action: 'SURPRISE', responseContent: SECRET } }), {}), 'ERR_AUTHLETE_UNKNOWN_ACTION'],
    ['OK without responseContent', async () => (stub.reply({ json: { action: 'OK', resultMessage: SECRET } }), {}), 'ERR_AUTHLETE_INVALID_RESPONSE'],
  ]
  for (const endpoint of ['token', 'pushedAuthorizationRequest'] as const) {
    it.each(cases)(`${endpoint}: %s`, async (_name, arrange, code) => {
      const override = await arrange()
      const events: GuardErrorEvent[] = []
      const as = createAuthorizationServer({ authlete: { ...authlete(), ...override }, onError: (e) => events.push(e) })
      // The PAR equivalent of "OK without responseContent" is CREATED without it.
      if (endpoint === 'pushedAuthorizationRequest' && _name === 'OK without responseContent') {
        stub.reset()
        stub.reply({ json: { action: 'CREATED', resultMessage: SECRET } })
      }
      const result = await as[endpoint](post('/ep', { dpop: JWT, authorization: basic('c', 'client-secret-value') }), FORM)
      expect(result.done).toBe(true)
      if (!result.done) return
      expect(result.status).toBe(500)
      expect(result.body).toBe(SERVER_ERROR_BODY)
      expect(lower(result.headers)).toEqual(BASE_HEADERS)
      expect(JSON.stringify(result.headers) + result.body).not.toContain(SECRET)
      expect(result.cause?.code).toBe(code)
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({ operation: endpoint === 'token' ? 'token' : 'par', method: 'POST', path: '/ep', error: { code } })
      expect(events[0]!.error.message).not.toContain('client-secret-value')
      await as.close()
    })
  }
  it('a throwing onError hook does not change the answer', async () => {
    const as = createAuthorizationServer({ authlete: { ...authlete(), baseUrl: await unreachableUrl() }, onError: () => { throw new Error('boom') } })
    const result = await as.token(post('/token'), FORM)
    expect(result).toMatchObject({ done: true, status: 500 })
  })
})

describe('createAuthorizationServer configuration', () => {
  it.each([
    ['no options', undefined],
    ['no authlete', {}],
    ['bad publicUrl', { authlete: { baseUrl: 'http://127.0.0.1:1', apiKey: 1, apiSecret: 's' }, publicUrl: 'ftp://x' }],
    ['bad getClaims', { authlete: { baseUrl: 'http://127.0.0.1:1', apiKey: 1, apiSecret: 's' }, getClaims: 'x' }],
    ['bad dpopNonceRequired', { authlete: { baseUrl: 'http://127.0.0.1:1', apiKey: 1, apiSecret: 's' }, dpopNonceRequired: 'yes' }],
    ['bad onError', { authlete: { baseUrl: 'http://127.0.0.1:1', apiKey: 1, apiSecret: 's' }, onError: 1 }],
  ])('%s -> ERR_INVALID_CONFIG', (_n, options) => {
    expect(() => createAuthorizationServer(options as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }))
  })
  it('accepts a shared Authlete client (the guard\'s) and exposes it', () => {
    const client = { baseUrl: 'x', apiVersion: 'V3' as const, call: vi.fn(), close: vi.fn(async () => {}) }
    expect(createAuthorizationServer({ authlete: client }).authlete).toBe(client)
  })
})
