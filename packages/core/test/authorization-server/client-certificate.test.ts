/**
 * Issue 22 point 2, authorization-server side: the token and PAR endpoints send the client's
 * certificate as `clientCertificate` and the certificates after it as `clientCertificatePath`,
 * from the server's `clientCertificate` source (the guard's option): the TLS socket's PEM
 * (`'tls'`, default) or a header a trusted proxy sets. UserInfo sends `clientCertificate` from the
 * same source. Real certificates (openssl, test/support/certs.ts); Authlete is the recording stub.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RequestLike } from '../../src'
import { createAuthorizationServer, type AuthorizationServerOptions } from '../../src/authorization-server'
import { useAuthleteStub } from '../support/authlete-stub'
import { removeTestCertificates, testCertificates, type TestCertificate } from '../../../../test/support/certs'
import { post, SERVICE_ID, SERVICE_TOKEN } from './support'

const stub = useAuthleteStub()
const FORM = 'grant_type=client_credentials'
const PAR_FORM = 'response_type=code&client_id=c1'
const PROXY = '10.0.0.7'
const NGINX = { clientCertificate: { header: 'x-ssl-client-cert', encoding: 'url-pem' }, trustProxy: (address: string) => address === PROXY } as const

let leaf: TestCertificate
let ca: TestCertificate
beforeAll(async () => {
  const certs = await testCertificates({ clients: 1 })
  leaf = certs.clients[0]!
  ca = certs.ca
})
afterAll(() => removeTestCertificates())

/** The PEM Authlete gets: one certificate, 64-character lines, no final newline. */
const pem = (certificate: TestCertificate) => certificate.certPem.trim()

function server(options: Partial<AuthorizationServerOptions> = {}, version: 'V2' | 'V3' = 'V3') {
  const authlete = version === 'V3' ? { baseUrl: stub.url, serviceId: SERVICE_ID, accessToken: SERVICE_TOKEN, timeoutMs: 1000 } : { baseUrl: stub.url, apiKey: SERVICE_ID, apiSecret: 's', timeoutMs: 1000 }
  return createAuthorizationServer({ authlete, ...options })
}

/** The body the token endpoint and the PAR endpoint sent for one request. */
async function bodiesFor(options: Partial<AuthorizationServerOptions>, request: () => RequestLike, version: 'V2' | 'V3' = 'V3') {
  const as = server(options, version)
  stub.reply({ json: { action: 'OK', responseContent: '{}' } }, { json: { action: 'CREATED', responseContent: '{}' } })
  await as.token(request(), FORM)
  await as.pushedAuthorizationRequest(request(), PAR_FORM)
  await as.close()
  return { token: stub.calls.at(-2)!.body, par: stub.calls.at(-1)!.body }
}

describe("'tls' (default): RequestLike.clientCertificate, the TLS socket's certificate", () => {
  it('RFC 8705 the certificate is sent as clientCertificate; a lone certificate has no clientCertificatePath', async () => {
    const bodies = await bodiesFor({}, () => post('/token', {}, { clientCertificate: leaf.certPem }))
    expect(bodies.token).toEqual({ parameters: FORM, clientCertificate: pem(leaf) })
    expect(bodies.par).toEqual({ parameters: PAR_FORM, clientCertificate: pem(leaf) })
  })

  it('a PEM with the chain: the leaf as clientCertificate, the rest as clientCertificatePath', async () => {
    const bodies = await bodiesFor({ clientCertificate: 'tls' }, () => post('/token', {}, { clientCertificate: leaf.certPem + ca.certPem }))
    expect(bodies.token).toEqual({ parameters: FORM, clientCertificate: pem(leaf), clientCertificatePath: [pem(ca)] })
    expect(bodies.par).toEqual({ parameters: PAR_FORM, clientCertificate: pem(leaf), clientCertificatePath: [pem(ca)] })
  })

  it('UserInfo sends it as clientCertificate', async () => {
    const as = server()
    stub.reply({ json: { action: 'UNAUTHORIZED', responseContent: 'Bearer error="invalid_token"' } })
    await as.userinfo({ method: 'GET', url: '/userinfo', headers: { host: 'as.example.com', authorization: 'Bearer at-1' }, clientCertificate: leaf.certPem })
    expect(stub.calls[0]!.body).toEqual({ token: 'at-1', clientCertificate: pem(leaf) })
  })

  it('a clientCertificate that is not a certificate -> 400 invalid_request, no Authlete call', async () => {
    const as = server()
    for (const call of [() => as.token(post('/token', {}, { clientCertificate: 'not a PEM' }), FORM), () => as.pushedAuthorizationRequest(post('/par', {}, { clientCertificate: 'not a PEM' }), PAR_FORM)]) {
      const result = await call()
      expect(result).toMatchObject({ done: true, status: 400 })
      expect(JSON.parse((result as { body: string }).body).error).toBe('invalid_request')
    }
    expect(stub.calls).toHaveLength(0)
  })
})

describe('a header from a trusted proxy', () => {
  it('nginx $ssl_client_escaped_cert (url-pem) with the chain: clientCertificate and clientCertificatePath, at token and PAR', async () => {
    const request = () => post('/token', { 'x-ssl-client-cert': encodeURIComponent(leaf.certPem + ca.certPem) }, { remoteAddress: PROXY })
    const bodies = await bodiesFor(NGINX, request)
    expect(bodies.token).toEqual({ parameters: FORM, clientCertificate: pem(leaf), clientCertificatePath: [pem(ca)] })
    expect(bodies.par).toEqual({ parameters: PAR_FORM, clientCertificate: pem(leaf), clientCertificatePath: [pem(ca)] })
  })

  it('RFC 9440 Client-Cert and Client-Cert-Chain', async () => {
    const headers = { 'client-cert': `:${leaf.derBase64}:`, 'client-cert-chain': `:${ca.derBase64}:` }
    const bodies = await bodiesFor({ clientCertificate: { header: 'client-cert' }, trustProxy: 1 }, () => post('/token', headers, { remoteAddress: PROXY }))
    expect(bodies.token).toEqual({ parameters: FORM, clientCertificate: pem(leaf), clientCertificatePath: [pem(ca)] })
  })

  it('Authlete API V2: clientCertificate only (the 2.3.12 API declares clientCertificatePath a string)', async () => {
    const request = () => post('/token', { 'x-ssl-client-cert': encodeURIComponent(leaf.certPem + ca.certPem) }, { remoteAddress: PROXY })
    const bodies = await bodiesFor(NGINX, request, 'V2')
    expect(bodies.token).toEqual({ parameters: FORM, clientCertificate: pem(leaf) })
    expect(bodies.par).toEqual({ parameters: PAR_FORM, clientCertificate: pem(leaf) })
  })

  it('from an untrusted peer the header is ignored, and so is the socket certificate: no certificate is sent', async () => {
    const request = () => post('/token', { 'x-ssl-client-cert': encodeURIComponent(leaf.certPem) }, { remoteAddress: '203.0.113.9', clientCertificate: ca.certPem })
    const bodies = await bodiesFor(NGINX, request)
    expect(bodies.token).toEqual({ parameters: FORM })
    expect(bodies.par).toEqual({ parameters: PAR_FORM })
  })

  it('a header that does not hold a certificate -> 400 invalid_request, no Authlete call', async () => {
    const as = server(NGINX)
    const result = await as.token(post('/token', { 'x-ssl-client-cert': 'garbage' }, { remoteAddress: PROXY }), FORM)
    expect(result).toMatchObject({ done: true, status: 400 })
    expect(JSON.parse((result as { body: string }).body)).toMatchObject({ error: 'invalid_request' })
    expect(stub.calls).toHaveLength(0)
  })

  it('UserInfo sends clientCertificate from the same source', async () => {
    const as = server(NGINX)
    stub.reply({ json: { action: 'UNAUTHORIZED', responseContent: 'Bearer error="invalid_token"' } })
    await as.userinfo({ method: 'GET', url: '/userinfo', headers: { host: 'as.example.com', authorization: 'Bearer at-1', 'x-ssl-client-cert': encodeURIComponent(leaf.certPem) }, remoteAddress: PROXY })
    expect(stub.calls[0]!.body).toEqual({ token: 'at-1', clientCertificate: pem(leaf) })
  })
})

describe('createAuthorizationServer clientCertificate option', () => {
  it('takes the guard\'s shapes; a header without trustProxy or an unknown encoding is ERR_INVALID_CONFIG', () => {
    for (const clientCertificate of ['tls', { header: 'client-cert' }, { header: 'x-forwarded-client-cert', encoding: 'xfcc' }] as const) {
      expect(() => server({ clientCertificate, trustProxy: 1 })).not.toThrow()
    }
    expect(() => server({ clientCertificate: { header: 'client-cert' } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }))
    expect(() => server({ clientCertificate: { header: 'x-ssl-client-cert', encoding: 'pem' as never }, trustProxy: 1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }))
  })
})
