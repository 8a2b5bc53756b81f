import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type RequestListener, type Server } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express5 from 'express'
import express4 from 'express4'
import type { ErrorRequestHandler } from 'express'
import { Agent, request } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createAuthorizationServer, type AuthorizationServer, type TokenActionRequired } from '@authlete-guard/core/authorization-server'
import { startAuthleteStub, type AuthleteStub } from '../../core/test/support/authlete-stub'
import { seedTokenRequest as seed } from '../../core/test/vectors'
import { statusBeforeBodyEnds } from '../../../test/support/adapter-testbed'
import { parEndpoint, tokenEndpoint, userinfoEndpoint } from '../src/authorization-server'

let stub: AuthleteStub
let as: AuthorizationServer
const servers: Server[] = []
const FORM_TYPE = 'application/x-www-form-urlencoded'

beforeAll(async () => {
  stub = await startAuthleteStub()
  as = createAuthorizationServer({ authlete: { baseUrl: stub.url, serviceId: '715948317', accessToken: 'svc', timeoutMs: 2000 } })
})
afterAll(async () => {
  for (const server of servers) server.closeAllConnections()
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  await as.close()
  await stub.close()
})
afterEach(() => stub.reset())

async function serve(listener: RequestListener, tls?: { key: string; cert: string }): Promise<number> {
  const server = tls ? createTlsServer(tls, listener) : createServer(listener)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

const reportError: ErrorRequestHandler = (err, _req, res, _next) => {
  res.status(599).json({ caught: (err as { code?: string }).code ?? (err as Error).message })
}

function seedHeaders(extra: Record<string, string> = {}) {
  return { ...seed.request.headers, ...extra }
}

function expectSeedAnswer(reply: { statusCode: number; headers: Record<string, unknown> }, text: string) {
  expect(stub.calls).toHaveLength(1)
  expect(stub.calls[0]!.body).toEqual(seed.expected_authlete_token_request)
  const expected = seed.expected_client_response
  expect(reply.statusCode).toBe(expected.status)
  for (const [name, value] of Object.entries(expected.headers)) expect(reply.headers[name], name).toBe(value)
  // Express must add nothing of its own that changes the answer (no charset, no ETag).
  expect(reply.headers.etag).toBeUndefined()
  expect(text).toBe(expected.body)
}

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
] as const)('%s', (_name, express) => {
  let port: number
  const onAction = vi.fn(async (action: TokenActionRequired, _req: unknown, res: express5.Response) => {
    res.status(200).set(action.headers).send(JSON.stringify({ finished: action.action }))
  })

  beforeAll(async () => {
    const app = express()
    app.set('trust proxy', 'loopback')
    app.post('/token', tokenEndpoint(as))
    app.post('/token', (_req, res) => res.status(299).json({ nextGot: (res.locals.tokenAction as TokenActionRequired).action }))
    app.post('/token-on-action', tokenEndpoint(as, { onAction }))
    app.post('/token-text', express.text({ type: FORM_TYPE }), tokenEndpoint(as))
    app.post('/token-raw', express.raw({ type: FORM_TYPE }), tokenEndpoint(as))
    app.post('/token-parsed', express.urlencoded({ extended: false }), tokenEndpoint(as))
    app.post('/token-small', tokenEndpoint(as, { limit: 16 }))
    app.post('/par', parEndpoint(as))
    const userinfo = userinfoEndpoint(as, { getClaims: (_sub, names) => Object.fromEntries(names.map((n) => [n, `value of ${n}`])) })
    app.get('/userinfo', userinfo)
    app.post('/userinfo', userinfo)
    app.get('/userinfo-pairwise', userinfoEndpoint(as, { getSub: (subject) => `pairwise-${subject}` }))
    app.use(reportError)
    port = await serve(app)
  })

  const send = async (path: string, headers: Record<string, string>, body?: string, method: 'POST' | 'GET' = 'POST') => {
    const reply = await request(`http://127.0.0.1:${port}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
    return { reply, text: await reply.body.text() }
  }

  it('seed example over real HTTP behind a trusted TLS-terminating proxy (X-Forwarded-Proto https, Host as.example.com)', async () => {
    stub.reply({ json: seed.example_authlete_token_response })
    const { reply, text } = await send('/token', seedHeaders({ 'x-forwarded-proto': 'https' }), seed.request.body)
    expectSeedAnswer(reply, text)
  })

  it('seed example with X-Forwarded-Host as.example.com from the proxy', async () => {
    stub.reply({ json: seed.example_authlete_token_response })
    const { reply, text } = await send('/token', seedHeaders({ host: `127.0.0.1:${port}`, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'as.example.com' }), seed.request.body)
    expectSeedAnswer(reply, text)
  })

  it('a body already read by express.text() or express.raw() is used as is', async () => {
    for (const path of ['/token-text', '/token-raw']) {
      stub.reset()
      stub.reply({ json: seed.example_authlete_token_response })
      const { reply, text } = await send(path, seedHeaders({ 'x-forwarded-proto': 'https' }), seed.request.body)
      expect(stub.calls[0]!.body.parameters, path).toBe(seed.request.body)
      expect(stub.calls[0]!.body.htu, path).toBe(`https://as.example.com${path}`)
      expect(reply.statusCode).toBe(200)
      expect(text).toBe(seed.expected_client_response.body)
    }
  })

  it('a body parsed by express.urlencoded() cannot be restored: next(err) with ERR_INVALID_CONFIG, Authlete not called', async () => {
    const { reply, text } = await send('/token-parsed', { 'content-type': FORM_TYPE }, 'grant_type=client_credentials')
    expect(reply.statusCode).toBe(599)
    expect(JSON.parse(text)).toEqual({ caught: 'ERR_INVALID_CONFIG' })
    expect(stub.calls).toHaveLength(0)
  })

  it('a body over the limit -> 413, Authlete not called', async () => {
    const { reply, text } = await send('/token-small', { 'content-type': FORM_TYPE }, 'grant_type=client_credentials&scope=a')
    expect(reply.statusCode).toBe(413)
    expect(JSON.parse(text).error).toBe('invalid_request')
    expect(stub.calls).toHaveLength(0)
  })

  it('a Content-Length over the limit -> 413 at once, before the body arrives; Authlete not called', async () => {
    expect(await statusBeforeBodyEnds(`http://127.0.0.1:${port}/token-small`, { 'content-type': FORM_TYPE }, 100_000)).toBe(413)
    expect(stub.calls).toHaveLength(0)
  })

  it('RFC 9449 §4.3 two DPoP header lines -> 400 invalid_dpop_proof', async () => {
    const reply = await request(`http://127.0.0.1:${port}/token`, {
      method: 'POST',
      headers: { 'content-type': FORM_TYPE, dpop: [seed.request.headers.dpop, seed.request.headers.dpop] },
      body: seed.request.body,
    })
    expect(reply.statusCode).toBe(400)
    expect(JSON.parse(await reply.body.text()).error).toBe('invalid_dpop_proof')
    expect(stub.calls).toHaveLength(0)
  })

  it('INVALID_CLIENT after HTTP Basic -> 401 with WWW-Authenticate: Basic and DPoP-Nonce', async () => {
    stub.reply({ json: { action: 'INVALID_CLIENT', responseContent: '{"error":"invalid_client"}', dpopNonce: 'n-9' } })
    const { reply, text } = await send('/token', { 'content-type': FORM_TYPE, authorization: `Basic ${Buffer.from('c:s').toString('base64')}` }, 'grant_type=client_credentials')
    expect(reply.statusCode).toBe(401)
    expect(reply.headers['www-authenticate']).toBe('Basic realm="token"')
    expect(reply.headers['dpop-nonce']).toBe('n-9')
    expect(text).toBe('{"error":"invalid_client"}')
  })

  it('an action for the application goes to the next handler (res.locals.tokenAction) or to onAction', async () => {
    stub.reply({ json: { action: 'PASSWORD', ticket: 't' } }, { json: { action: 'JWT_BEARER' } })
    const viaNext = await send('/token', { 'content-type': FORM_TYPE }, 'grant_type=password&username=u&password=p')
    expect(viaNext.reply.statusCode).toBe(299)
    expect(JSON.parse(viaNext.text)).toEqual({ nextGot: 'PASSWORD' })
    const viaCallback = await send('/token-on-action', { 'content-type': FORM_TYPE }, 'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer')
    expect(JSON.parse(viaCallback.text)).toEqual({ finished: 'JWT_BEARER' })
    expect(onAction).toHaveBeenLastCalledWith(expect.objectContaining({ done: false, action: 'JWT_BEARER' }), expect.anything(), expect.anything())
  })

  it('RFC 9126 §2.2 PAR: CREATED -> 201 with the JSON body', async () => {
    stub.reply({ json: { action: 'CREATED', responseContent: '{"request_uri":"urn:ietf:params:oauth:request_uri:x","expires_in":60}' } })
    const { reply, text } = await send('/par', { 'content-type': FORM_TYPE }, 'response_type=code&client_id=c')
    expect(stub.calls[0]!.path).toBe('/api/715948317/pushed_auth_req')
    expect(stub.calls[0]!.body).toEqual({ parameters: 'response_type=code&client_id=c' })
    expect(reply.statusCode).toBe(201)
    expect(JSON.parse(text).request_uri).toMatch(/^urn:/)
  })

  it('OIDC Core §5.3 UserInfo GET and POST with DPoP: getClaims, then the issued JSON', async () => {
    for (const method of ['GET', 'POST'] as const) {
      stub.reset()
      stub.reply({ json: { action: 'OK', subject: 'alice', claims: ['name'], dpopNonce: 'n-u' } }, { json: { action: 'JSON', responseContent: '{"sub":"alice","name":"value of name"}' } })
      const { reply, text } = await send('/userinfo', { authorization: 'DPoP tok', dpop: seed.request.headers.dpop, 'x-forwarded-proto': 'https', host: 'as.example.com' }, undefined, method)
      expect(stub.calls[0]!.body).toEqual({ token: 'tok', dpop: seed.request.headers.dpop, htm: method, htu: 'https://as.example.com/userinfo' })
      expect(JSON.parse(stub.calls[1]!.body.claims)).toEqual({ name: 'value of name' })
      expect(reply.statusCode).toBe(200)
      expect(reply.headers['content-type']).toBe('application/json')
      expect(reply.headers['dpop-nonce']).toBe('n-u')
      expect(text).toBe('{"sub":"alice","name":"value of name"}')
    }
  })

  it('UserInfo sends no sub by default (Authlete\'s own stands), and getSub\'s when given', async () => {
    const headers = { authorization: 'DPoP tok', dpop: seed.request.headers.dpop, 'x-forwarded-proto': 'https', host: 'as.example.com' }
    stub.reply({ json: { action: 'OK', subject: 'alice', claims: [] } }, { json: { action: 'JSON', responseContent: '{"sub":"alice"}' } })
    await send('/userinfo', headers, undefined, 'GET')
    expect(stub.calls[1]!.body).toEqual({ token: 'tok', claims: '{}' })
    stub.reset()
    stub.reply({ json: { action: 'OK', subject: 'alice', claims: [] } }, { json: { action: 'JSON', responseContent: '{"sub":"pairwise-alice"}' } })
    await send('/userinfo-pairwise', headers, undefined, 'GET')
    expect(stub.calls[1]!.body).toEqual({ token: 'tok', claims: '{}', sub: 'pairwise-alice' })
  })

  it('UserInfo POST with a text/plain body -> 400 invalid_request, Authlete not called', async () => {
    const { reply, text } = await send('/userinfo', { authorization: 'Bearer tok', 'content-type': 'text/plain', host: 'as.example.com' }, 'access_token=x')
    expect(reply.statusCode).toBe(400)
    expect(JSON.parse(text).error).toBe('invalid_request')
    expect(stub.calls).toHaveLength(0)
  })

  it('token endpoint with a text/plain body -> 400 invalid_request, Authlete not called', async () => {
    const { reply, text } = await send('/token-text', { 'content-type': 'text/plain', host: 'as.example.com' }, 'grant_type=client_credentials')
    expect(reply.statusCode).toBe(400)
    expect(JSON.parse(text).error).toBe('invalid_request')
    expect(stub.calls).toHaveLength(0)
  })

  it('UserInfo without a token -> 401 challenge, Authlete not called', async () => {
    const { reply } = await send('/userinfo', {}, undefined, 'GET')
    expect(reply.statusCode).toBe(401)
    expect(reply.headers['www-authenticate']).toMatch(/^Bearer/)
    expect(stub.calls).toHaveLength(0)
  })
})

describe('seed example over real TLS (Express 5 on an https server, certificate for as.example.com)', () => {
  let tls: { key: string; cert: string } | undefined
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'as-tls-'))
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=as.example.com', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
      tls = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') }
    } catch {
      tls = undefined
    }
  })

  it('RFC 9449 §4.3 POST /token directly over TLS: htu https://as.example.com/token', async (ctx) => {
    if (!tls) return ctx.skip()
    const app = express5()
    app.post('/token', tokenEndpoint(as))
    const port = await serve(app, tls)
    const dispatcher = new Agent({ connect: { rejectUnauthorized: false, servername: 'as.example.com' } })
    stub.reply({ json: seed.example_authlete_token_response })
    const reply = await request(`https://127.0.0.1:${port}/token`, { method: 'POST', headers: seedHeaders(), body: seed.request.body, dispatcher })
    expectSeedAnswer(reply, await reply.body.text())
    await dispatcher.close()
  })
})
