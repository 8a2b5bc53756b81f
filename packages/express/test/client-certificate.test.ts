// Express and the client certificate (RFC 8705): read from Node's own TLS socket (node:https with
// requestCert, the default 'tls' source), or from a header a trusted proxy sets. The emulator plays
// Authlete and binds tokens to certificates: what is checked is what the guard sends, the binding
// the route gets (req.auth.certificateThumbprint, none for an unbound token), and the cache keyed
// by the certificate's thumbprint.
import express from 'express'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { createServer as createHttpsServer, request as httpsRequest, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeTestCertificates, testCertificates, type TestCertificate, type TestCertificates } from '../../../test/support/certs'
import { useAdapterTestbed } from '../../../test/support/adapter-testbed'
import { createGuard, protect, type GuardOptions } from '../src/index'

const bed = useAdapterTestbed()
let certs: TestCertificates
let a: TestCertificate
let b: TestCertificate
const servers: Server[] = []
beforeAll(async () => {
  certs = await testCertificates()
  ;[a, b] = certs.clients as [TestCertificate, TestCertificate]
})
afterAll(async () => {
  for (const server of servers) server.closeAllConnections()
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  await removeTestCertificates()
})

interface Answer {
  status: number
  body: { thumbprint?: string | null; source?: string; error?: string; error_description?: string }
}

/** An app whose /me route answers the principal's certificate thumbprint and source. */
function app(options: Partial<GuardOptions>) {
  const guard = bed.newGuard(options, createGuard)
  const application = express()
  application.get('/me', protect(guard), (req, res) => void res.json({ thumbprint: req.auth.certificateThumbprint ?? null, source: req.auth.source }))
  return application
}

async function serveTls(options: Partial<GuardOptions>): Promise<number> {
  const server = createHttpsServer({ key: certs.server.keyPem, cert: certs.server.certPem, ca: certs.ca.certPem, requestCert: true, rejectUnauthorized: false }, app(options))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

function collect(resolve: (answer: Answer) => void, reject: (error: Error) => void) {
  return (res: import('node:http').IncomingMessage) => {
    let text = ''
    res.setEncoding('utf8')
    res.on('data', (chunk) => (text += chunk))
    res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }))
    res.on('error', reject)
  }
}

/** GET /me over mutual TLS, presenting `client` (or no certificate). A new connection each time. */
function getTls(port: number, token: string, client?: TestCertificate): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const tls = client ? { key: client.keyPem, cert: client.certPem } : {}
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/me', ca: certs.ca.certPem, agent: false, headers: { authorization: `Bearer ${token}` }, ...tls }, collect(resolve, reject))
    req.on('error', reject)
    req.end()
  })
}

function getHttp(url: string, headers: IncomingHttpHeaders): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/me`, { headers: headers as Record<string, string> }, collect(resolve, reject))
    req.on('error', reject)
    req.end()
  })
}

const introspections = () => bed.emu().requests.filter((r) => r.path.endsWith('/auth/introspection'))
const sentCertificates = (from: number) => introspections().slice(from).map((r) => (r.body as { clientCertificate?: string }).clientCertificate)
/** A token bound to `client`'s certificate (RFC 8705), or an unbound one. */
const mint = async (client?: TestCertificate) => (await bed.emu().createToken({ subject: 'alice', scopes: [], ...(client ? { certificateThumbprint: client.x5tS256 } : {}) })).accessToken

describe('Express on node:https with requestCert: the TLS socket\'s certificate (the default source)', () => {
  it('is sent to Authlete as PEM; req.auth.certificateThumbprint is its x5t#S256 for a token bound to it, none for an unbound token', async () => {
    const port = await serveTls({})
    const before = introspections().length
    expect(await getTls(port, await mint(a), a)).toEqual({ status: 200, body: { thumbprint: a.x5tS256, source: 'authlete' } })
    expect(await getTls(port, await mint(), a)).toEqual({ status: 200, body: { thumbprint: null, source: 'authlete' } })
    expect(await getTls(port, await mint())).toEqual({ status: 200, body: { thumbprint: null, source: 'authlete' } })
    expect(sentCertificates(before)).toEqual([a.certPem.trim(), a.certPem.trim(), undefined])
  })

  it('with the cache: the same certificate twice is one Authlete call, another certificate or none is asked again', async () => {
    const port = await serveTls({ cache: true })
    const accessToken = await mint(a)
    const before = introspections().length
    const answers = [await getTls(port, accessToken, a), await getTls(port, accessToken, a), await getTls(port, accessToken, b), await getTls(port, accessToken)]
    expect(answers.map((answer) => [answer.status, answer.body.source ?? answer.body.error, answer.body.thumbprint])).toEqual([
      [200, 'authlete', a.x5tS256], [200, 'cache', a.x5tS256], [401, 'invalid_token', undefined], [401, 'invalid_token', undefined],
    ])
    expect(sentCertificates(before)).toEqual([a.certPem.trim(), b.certPem.trim(), undefined])
  })
})

describe('Express behind a proxy: the certificate header, believed from the trusted peer only', () => {
  const loopback = (address: string) => address === '127.0.0.1' || address === '::ffff:127.0.0.1'

  it('from the trusted peer: RFC 9440 Client-Cert and nginx\'s X-SSL-Client-Cert are used', async () => {
    const rfc9440 = await bed.serve(app({ trustProxy: loopback, clientCertificate: { header: 'client-cert' } }))
    const nginx = await bed.serve(app({ trustProxy: loopback, clientCertificate: { header: 'x-ssl-client-cert', encoding: 'url-pem' } }))
    const before = introspections().length
    expect(await getHttp(rfc9440, { authorization: `Bearer ${await mint(a)}`, 'client-cert': `:${a.derBase64}:` })).toEqual({ status: 200, body: { thumbprint: a.x5tS256, source: 'authlete' } })
    expect(await getHttp(nginx, { authorization: `Bearer ${await mint(b)}`, 'x-ssl-client-cert': encodeURIComponent(b.certPem) })).toEqual({ status: 200, body: { thumbprint: b.x5tS256, source: 'authlete' } })
    expect(sentCertificates(before)).toEqual([a.certPem.trim(), b.certPem.trim()])
  })

  it('from an untrusted peer: ignored (nothing sent, no thumbprint); a bad header from the trusted peer is 400', async () => {
    const untrusted = await bed.serve(app({ trustProxy: (address) => address === '10.0.0.7', clientCertificate: { header: 'client-cert' } }))
    const trusted = await bed.serve(app({ trustProxy: loopback, clientCertificate: { header: 'client-cert' } }))
    const { accessToken } = await bed.emu().createToken({ subject: 'alice', scopes: [] })
    const before = introspections().length
    expect(await getHttp(untrusted, { authorization: `Bearer ${accessToken}`, 'client-cert': `:${a.derBase64}:` })).toEqual({ status: 200, body: { thumbprint: null, source: 'authlete' } })
    const bad = await getHttp(trusted, { authorization: `Bearer ${accessToken}`, 'client-cert': ':bm90IGEgY2VydGlmaWNhdGU=:' })
    expect(bad).toEqual({ status: 400, body: { error: 'invalid_request', error_description: 'The client-cert header does not hold an RFC 9440 certificate (:base64 DER:).' } })
    expect(sentCertificates(before)).toEqual([undefined])
  })
})
