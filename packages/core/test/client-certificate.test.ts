// Certificate-bound tokens (RFC 8705) behind TLS-terminating proxies: where the guard takes the
// client certificate from (its own TLS socket, or a header a trusted proxy sets: RFC 9440
// Client-Cert, nginx's URL-encoded PEM, Envoy's XFCC), what it sends Authlete, the thumbprint the
// route gets, and an introspection cache keyed by that thumbprint. Authlete is scripted (the stub):
// it records what the guard sent, and its replies stand for Authlete's binding decisions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGuard, fromFetchRequest, type Decision, type DenyDecision, type GuardOptions, type RequestLike } from '../src'
import { createNodeGuard } from '../src/node'
import { readClientCertificate, resolveClientCertificateSource } from '../src/request/client-certificate'
import { removeTestCertificates, testCertificates, type TestCertificate, type TestCertificates } from '../../../test/support/certs'
import { useAuthleteStub } from './support/authlete-stub'
import { signedProof } from './support/proofs'
import { thrown } from './support/thrown'

const stub = useAuthleteStub()
let certs: TestCertificates
let a: TestCertificate
let b: TestCertificate
beforeAll(async () => {
  certs = await testCertificates()
  ;[a, b] = certs.clients as [TestCertificate, TestCertificate]
})
afterAll(() => removeTestCertificates())

const OK = { action: 'OK', resultCode: 'A056001', clientId: 3300001, subject: 'alice', scopes: ['read'], expiresAt: 4102444800000, existent: true, usable: true, sufficient: true, certificateThumbprint: null }
/**
 * Authlete for tokens bound to the certificate they come with: OK, with `certificateThumbprint` the
 * x5t#S256 of the certificate the guard sent (none without one), as Authlete answers for an
 * allowed certificate-bound token.
 */
const boundToPresented = (call: { body: { clientCertificate?: string } }) => ({
  json: { ...OK, certificateThumbprint: [a, b].find((c) => c.certPem.trim() === call.body.clientCertificate)?.x5tS256 ?? null },
})
const authlete = () => ({ baseUrl: stub.url, serviceId: '1', accessToken: 'service-token', timeoutMs: 2000 })
const guardWith = (options: Partial<GuardOptions> = {}) => createGuard({ authlete: authlete(), publicUrl: 'https://api.example.com', ...options })
const PROXY = '10.0.0.7'
/** A Bearer request from the TCP peer `peer` (the proxy, by default) with extra headers. */
const request = (headers: Record<string, string | string[]> = {}, peer = PROXY, token = 'at-1'): RequestLike => ({
  method: 'GET', url: '/api/me', headers: { host: 'api.example.com', authorization: `Bearer ${token}`, ...headers }, remoteAddress: peer,
})
const sent = () => stub.calls.map((call) => call.body.clientCertificate as string | undefined)
const denied = (decision: Decision): DenyDecision => {
  if (decision.allowed) throw new Error('expected a denial')
  return decision
}
const rfc9440 = (certificate: TestCertificate) => `:${certificate.derBase64}:`
const urlPem = (certificate: TestCertificate) => encodeURIComponent(certificate.certPem)
/** AWS ALB's form: URL-encoded PEM with `+`, `=` and `/` left as they are. */
const albPem = (pem: string) => encodeURIComponent(pem).replace(/%2B/g, '+').replace(/%3D/g, '=').replace(/%2F/g, '/')
const hex = (base64url: string) => Buffer.from(base64url, 'base64url').toString('hex')
const xfccElement = (certificate: TestCertificate, by = 'spiffe://cluster.local/ns/edge/sa/envoy') =>
  `By=${by};Hash=${hex(certificate.x5tS256)};Cert="${urlPem(certificate)}";Subject="${certificate.subject.slice(1).split('/').reverse().join(',')}";URI=;DNS=client.example;DNS=other.example`

const CLIENT_CERT = { header: 'client-cert' } as const
const NGINX = { header: 'x-ssl-client-cert', encoding: 'url-pem' } as const
const ENVOY = { header: 'x-forwarded-client-cert', encoding: 'xfcc' } as const

describe('the clientCertificate option (ERR_INVALID_CONFIG at start-up)', () => {
  it.each([
    ['a header without trustProxy', { clientCertificate: CLIENT_CERT }, "clientCertificate { header: 'client-cert' } is believed only from a trusted proxy: set trustProxy too (true, the number of proxies in front of the app, or (address) => boolean for your proxy's address), e.g. createGuard({ ..., clientCertificate: { header: 'client-cert' }, trustProxy: 1 })."],
    ['a header with trustProxy: false', { clientCertificate: NGINX, trustProxy: false }, /^clientCertificate \{ header: 'x-ssl-client-cert' \} is believed only from a trusted proxy: set trustProxy too .*encoding: 'url-pem' \}, trustProxy: 1 \}\)\.$/],
    ['a header with trustProxy: 0', { clientCertificate: CLIENT_CERT, trustProxy: 0 }, /believed only from a trusted proxy/],
    ['a header other than client-cert without encoding', { clientCertificate: { header: 'x-ssl-client-cert' }, trustProxy: 1 }, "clientCertificate { header: 'x-ssl-client-cert' } needs an encoding: 'rfc9440' (RFC 9440 :base64 DER:), 'url-pem' (URL-encoded PEM: nginx $ssl_client_escaped_cert, AWS ALB X-Amzn-Mtls-Clientcert) or 'xfcc' (Envoy x-forwarded-client-cert)."],
    ['an unknown encoding', { clientCertificate: { header: 'x-ssl-client-cert', encoding: 'pem' }, trustProxy: 1 }, `clientCertificate.encoding must be 'rfc9440', 'url-pem' or 'xfcc'; not "pem".`],
    ['a misspelt key', { clientCertificate: { header: 'client-cert', encodng: 'rfc9440' }, trustProxy: 1 }, 'Unknown clientCertificate option "encodng". Did you mean encoding?'],
    ['neither tls nor an object', { clientCertificate: 'socket' }, "clientCertificate must be 'tls' or { header, encoding? }, e.g. { header: 'client-cert' }."],
    ['a header name with a space', { clientCertificate: { header: 'client cert', encoding: 'rfc9440' }, trustProxy: 1 }, "clientCertificate.header must be a header name, e.g. 'client-cert'."],
    ['chainHeader beside url-pem', { clientCertificate: { ...NGINX, chainHeader: 'x-chain' }, trustProxy: 1 }, /chainHeader goes with encoding 'rfc9440' only/],
  ])('%s', (_name, options, message) => {
    const error = thrown(() => guardWith(options as Partial<GuardOptions>))
    expect(error).toMatchObject({ code: 'ERR_INVALID_CONFIG' })
    if (typeof message === 'string') expect((error as Error).message).toBe(message)
    else expect((error as Error).message).toMatch(message)
  })

  it('accepts tls (the default) without trustProxy, and each header source with it, on both entries', () => {
    expect(() => guardWith({ clientCertificate: 'tls' })).not.toThrow()
    for (const trustProxy of [true, 1, 3, (address: string) => address === PROXY] as const) {
      for (const clientCertificate of [CLIENT_CERT, NGINX, ENVOY, { header: 'X-Amzn-Mtls-Clientcert', encoding: 'url-pem' } as const]) {
        expect(guardWith({ clientCertificate, trustProxy }).options.clientCertificate).toBe(clientCertificate)
        expect(() => createNodeGuard({ authlete: authlete(), clientCertificate, trustProxy })).not.toThrow()
      }
    }
    expect(thrown(() => createNodeGuard({ authlete: authlete(), clientCertificate: CLIENT_CERT }))).toMatchObject({ code: 'ERR_INVALID_CONFIG' })
  })
})

describe('parsing, from a trusted proxy: what Authlete gets, and what is refused (400, no Authlete call)', () => {
  const pem = () => a.certPem.trim()
  const cases: Array<[name: string, source: GuardOptions['clientCertificate'], headers: () => Record<string, string | string[]>]> = [
    ['RFC 9440 Client-Cert', CLIENT_CERT, () => ({ 'client-cert': rfc9440(a) })],
    ['RFC 9440 Client-Cert without base64 padding, spaces around', CLIENT_CERT, () => ({ 'client-cert': `  :${a.derBase64.replace(/=+$/, '')}:  ` })],
    ['RFC 9440 Client-Cert with an RFC 8941 parameter (ignored)', CLIENT_CERT, () => ({ 'client-cert': `${rfc9440(a)};x=1` })],
    ['RFC 9440 Client-Cert with every kind of parameter value, a comma in a string', CLIENT_CERT, () => ({ 'client-cert': `${rfc9440(a)};a;b=?0;c="s, \\"t\\"";d=tok/en:x;e=:AAA=:; f=-1.5;g=@1700000000;h=*` })],
    ['nginx $ssl_client_escaped_cert (URL-encoded PEM)', NGINX, () => ({ 'x-ssl-client-cert': urlPem(a) })],
    ['AWS ALB pass-through: the chain, +=/ unencoded, leaf first', { header: 'x-amzn-mtls-clientcert', encoding: 'url-pem' }, () => ({ 'x-amzn-mtls-clientcert': albPem(a.certPem + certs.ca.certPem) })],
    ['Envoy XFCC, one element, quoted Cert and Subject', ENVOY, () => ({ 'x-forwarded-client-cert': xfccElement(a) })],
    ['Envoy XFCC, a Subject holding , ; and an escaped quote', ENVOY, () => ({ 'x-forwarded-client-cert': `Hash=00;Subject="CN=a\\"b,O=x;y=z";Cert="${urlPem(a)}"` })],
    ['Envoy XFCC, keys in any case, Cert unquoted', ENVOY, () => ({ 'x-forwarded-client-cert': `by=x;CERT=${urlPem(a)}` })],
  ]
  it.each(cases)('%s -> the PEM is sent as clientCertificate', async (_name, clientCertificate, headers) => {
    stub.setDefault({ json: OK })
    const decision = await guardWith({ clientCertificate, trustProxy: true }).check(request(headers()))
    expect(decision.allowed).toBe(true)
    expect(sent()).toEqual([pem()])
  })

  const refusals: Array<[name: string, source: GuardOptions['clientCertificate'], headers: () => Record<string, string | string[]>, description: string]> = [
    ['Client-Cert holding base64 of something else', CLIENT_CERT, () => ({ 'client-cert': `:${btoa('not a certificate')}:` }), 'The client-cert header does not hold an RFC 9440 certificate (:base64 DER:).'],
    ['Client-Cert without the colons', CLIENT_CERT, () => ({ 'client-cert': a.derBase64 }), 'The client-cert header does not hold an RFC 9440 certificate (:base64 DER:).'],
    ['Client-Cert with bad base64', CLIENT_CERT, () => ({ 'client-cert': ':MII*B:' }), 'The client-cert header does not hold an RFC 9440 certificate (:base64 DER:).'],
    ['Client-Cert: a truncated certificate', CLIENT_CERT, () => ({ 'client-cert': `:${Buffer.from(a.derBase64, 'base64').subarray(0, 200).toString('base64')}:` }), 'The client-cert header does not hold an RFC 9440 certificate (:base64 DER:).'],
    ['Client-Cert: a parameter key in upper case', CLIENT_CERT, () => ({ 'client-cert': `${rfc9440(a)};X=1` }), 'The client-cert header does not hold an RFC 9440 certificate (:base64 DER:).'],
    ['Client-Cert: a parameter without a value after =', CLIENT_CERT, () => ({ 'client-cert': `${rfc9440(a)};x=` }), 'The client-cert header does not hold an RFC 9440 certificate (:base64 DER:).'],
    ['Client-Cert: a parameter string that never ends', CLIENT_CERT, () => ({ 'client-cert': `${rfc9440(a)};x="open` }), 'The client-cert header does not hold an RFC 9440 certificate (:base64 DER:).'],
    ['Client-Cert: text after the byte sequence', CLIENT_CERT, () => ({ 'client-cert': `${rfc9440(a)}x` }), 'The client-cert header does not hold an RFC 9440 certificate (:base64 DER:).'],
    ['two Client-Cert header lines', CLIENT_CERT, () => ({ 'client-cert': [rfc9440(a), rfc9440(b)] }), 'The request has more than one client-cert header.'],
    ['two Client-Cert values with parameters joined with a comma', CLIENT_CERT, () => ({ 'client-cert': `${rfc9440(a)};x="1", ${rfc9440(b)}` }), 'The request has more than one client-cert header.'],
    ['two Client-Cert values joined with a comma', CLIENT_CERT, () => ({ 'client-cert': `${rfc9440(a)}, ${rfc9440(b)}` }), 'The request has more than one client-cert header.'],
    ['a Client-Cert of 16385 bytes', CLIENT_CERT, () => ({ 'client-cert': `:${'A'.repeat(16383)}:` }), 'The client-cert header is longer than 16384 bytes.'],
    ['X-SSL-Client-Cert with a broken %-escape', NGINX, () => ({ 'x-ssl-client-cert': '%E0%A4%A' }), 'The x-ssl-client-cert header does not hold a URL-encoded PEM certificate.'],
    ['X-SSL-Client-Cert: a PEM of garbage', NGINX, () => ({ 'x-ssl-client-cert': encodeURIComponent('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n') }), 'The x-ssl-client-cert header does not hold a URL-encoded PEM certificate.'],
    ['X-SSL-Client-Cert: text around the PEM', NGINX, () => ({ 'x-ssl-client-cert': encodeURIComponent(`hello\n${a.certPem}`) }), 'The x-ssl-client-cert header does not hold a URL-encoded PEM certificate.'],
    ['X-SSL-Client-Cert: raw base64 DER', NGINX, () => ({ 'x-ssl-client-cert': a.derBase64 }), 'The x-ssl-client-cert header does not hold a URL-encoded PEM certificate.'],
    ['two X-SSL-Client-Cert header lines', NGINX, () => ({ 'x-ssl-client-cert': [urlPem(a), urlPem(a)] }), 'The request has more than one x-ssl-client-cert header.'],
    ['XFCC with Hash only (no Cert): no PEM for Authlete', ENVOY, () => ({ 'x-forwarded-client-cert': `By=spiffe://edge;Hash=${hex(a.x5tS256)};Subject="CN=client-1"` }), 'The x-forwarded-client-cert element has no Cert: the proxy must forward the whole certificate (Envoy: set_current_client_cert_details with cert: true).'],
    ['XFCC whose Cert is not a certificate', ENVOY, () => ({ 'x-forwarded-client-cert': `Hash=00;Cert="${encodeURIComponent('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')}"` }), 'The x-forwarded-client-cert header does not hold a URL-encoded PEM certificate in Cert.'],
    ['XFCC whose Cert holds two certificates', ENVOY, () => ({ 'x-forwarded-client-cert': `Cert="${urlPem(a)}${urlPem(b)}"` }), 'The x-forwarded-client-cert header does not hold a URL-encoded PEM certificate in Cert.'],
    ['two XFCC header lines', ENVOY, () => ({ 'x-forwarded-client-cert': [xfccElement(a), xfccElement(b)] }), 'The request has more than one x-forwarded-client-cert header.'],
  ]
  it.each(refusals)('%s -> 400 invalid_request', async (_name, clientCertificate, headers, description) => {
    const sentHeaders = headers()
    const decision = denied(await guardWith({ clientCertificate, trustProxy: true }).check(request(sentHeaders)))
    expect([decision.status, decision.error, decision.errorDescription]).toEqual([400, 'invalid_request', description])
    expect(decision.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_request"/)
    // Never echoed: not the header, not a piece of it.
    for (const value of Object.values(sentHeaders).flat()) expect(decision.body + decision.headers['WWW-Authenticate']).not.toContain(value.slice(1, 40))
    expect(stub.calls).toHaveLength(0)
  })

  it('an empty header is no certificate: the request goes on without one', async () => {
    stub.setDefault({ json: OK })
    for (const clientCertificate of [CLIENT_CERT, NGINX, ENVOY]) {
      const decision = await guardWith({ clientCertificate, trustProxy: true }).check(request({ [clientCertificate.header]: '  ' }))
      expect(decision.allowed && decision.auth.certificateThumbprint).toBeUndefined()
    }
    expect(sent()).toEqual([undefined, undefined, undefined])
  })

  it('several XFCC elements: a hop count n reads the n-th from the right (none when fewer); true and a function refuse them as ambiguous (400)', async () => {
    stub.setDefault({ json: OK })
    const header = { 'x-forwarded-client-cert': `${xfccElement(a)},${xfccElement(b, 'spiffe://sidecar')},By=spiffe://mesh;Hash=00;URI=spiffe://edge` }
    const check = (trustProxy: GuardOptions['trustProxy']) => guardWith({ clientCertificate: ENVOY, trustProxy }).check(request(header))
    expect((await check(3)).allowed).toBe(true) // a's element
    expect((await check(2)).allowed).toBe(true) // b's element
    expect(denied(await check(1)).errorDescription).toMatch(/element has no Cert/) // the mesh's own element
    expect((await check(4)).allowed).toBe(true) // fewer elements than proxies: none believed
    for (const trustProxy of [true, (address: string) => address === PROXY] as const) {
      const decision = denied(await check(trustProxy))
      expect([decision.status, decision.error, decision.errorDescription]).toEqual([400, 'invalid_request', 'The x-forwarded-client-cert header has 3 elements: which one the proxy wrote is ambiguous. Set trustProxy to the number of proxies in front of the app (the guard then reads the element the outermost of them wrote).'])
    }
    expect(sent()).toEqual([a.certPem.trim(), b.certPem.trim(), undefined])
  })

  it('one XFCC element: true and a function read it', async () => {
    stub.setDefault({ json: OK })
    for (const trustProxy of [true, (address: string) => address === PROXY] as const) {
      expect((await guardWith({ clientCertificate: ENVOY, trustProxy }).check(request({ 'x-forwarded-client-cert': xfccElement(a) }))).allowed).toBe(true)
    }
    expect(sent()).toEqual([a.certPem.trim(), a.certPem.trim()])
  })

  // What a client wrote before the proxy appended its own element (Envoy APPEND_FORWARD): its
  // quoting must never swallow the proxy's element or shift which one is the n-th from the right.
  const clientWritten: Array<[name: string, forged: () => string]> = [
    ['an escaped backslash before the closing quote (\\\\")', () => `Cert="${urlPem(b)}";By="x\\\\"`],
    ['an escaped backslash and quote, then an escaped backslash (\\"\\\\")', () => `Cert="${urlPem(b)}";Subject="CN=\\"\\\\"`],
    ['a quote that never ends', () => `Cert="${urlPem(b)}";By="x`],
    ['a quote that never ends, after an escaped quote', () => `Cert="${urlPem(b)}";By="x\\"`],
    ['a trailing backslash', () => `Cert="${urlPem(b)}";By=x\\`],
    ['a stray quote outside a quoted string', () => `Cert="${urlPem(b)}";By=x"y`],
  ]
  it.each(clientWritten)('XFCC, a client-written element with %s, then the proxy\'s: trustProxy 1 reads the proxy\'s', async (_name, forged) => {
    stub.setDefault({ json: OK })
    const value = `${forged()},${xfccElement(a)}`
    expect((await guardWith({ clientCertificate: ENVOY, trustProxy: 1 }).check(request({ 'x-forwarded-client-cert': value }))).allowed).toBe(true)
    expect(denied(await guardWith({ clientCertificate: ENVOY, trustProxy: true }).check(request({ 'x-forwarded-client-cert': value }))).status).toBe(400)
    expect(sent()).toEqual([a.certPem.trim()])
  })

  it('XFCC, a Cert whose quoted string does not end where the value does is no certificate: 400', async () => {
    const decision = denied(await guardWith({ clientCertificate: ENVOY, trustProxy: 1 }).check(request({ 'x-forwarded-client-cert': `Cert="${urlPem(a)}\\"` })))
    expect([decision.status, decision.errorDescription]).toEqual([400, 'The x-forwarded-client-cert header does not hold a URL-encoded PEM certificate in Cert.'])
    expect(stub.calls).toHaveLength(0)
  })
})

describe('trust: a certificate header counts only from a peer trustProxy trusts', () => {
  const onlyProxy = (address: string) => address === PROXY

  it('from the trusted proxy: used and sent as PEM; auth.certificateThumbprint is its x5t#S256', async () => {
    stub.setDefault(boundToPresented)
    const decision = await guardWith({ clientCertificate: CLIENT_CERT, trustProxy: onlyProxy }).check(request({ 'client-cert': rfc9440(a) }))
    expect(decision.allowed && decision.auth.certificateThumbprint).toBe(a.x5tS256)
    expect(sent()).toEqual([a.certPem.trim()])
  })

  it('from any other peer: ignored as if no certificate came (even garbage, even several): nothing sent, no thumbprint', async () => {
    stub.setDefault({ json: OK })
    const guard = guardWith({ clientCertificate: CLIENT_CERT, trustProxy: onlyProxy })
    for (const value of [rfc9440(a), ':garbage:', [rfc9440(a), rfc9440(b)]]) {
      const decision = await guard.check(request({ 'client-cert': value }, '203.0.113.9'))
      expect(decision.allowed && decision.auth.certificateThumbprint).toBeUndefined()
    }
    expect(sent()).toEqual([undefined, undefined, undefined])
  })

  it('a header source never uses the TLS socket\'s certificate; the default (tls) never reads a header', async () => {
    stub.setDefault(boundToPresented)
    const fromSocket = { ...request({}), clientCertificate: b.certPem }
    await guardWith({ clientCertificate: CLIENT_CERT, trustProxy: true }).check(fromSocket)
    await guardWith({ clientCertificate: CLIENT_CERT, trustProxy: true }).check({ ...request({ 'client-cert': rfc9440(a) }), clientCertificate: b.certPem })
    const tls = await guardWith({ trustProxy: true }).check(request({ 'client-cert': rfc9440(a), 'x-forwarded-client-cert': xfccElement(a) }))
    const socket = await guardWith().check(fromSocket)
    expect(tls.allowed && tls.auth.certificateThumbprint).toBeUndefined()
    expect(socket.allowed && socket.auth.certificateThumbprint).toBe(b.x5tS256)
    expect(sent()).toEqual([undefined, a.certPem.trim(), undefined, b.certPem.trim()])
  })

  it('tls: a RequestLike.clientCertificate that is not a certificate is 400, not sent', async () => {
    const decision = denied(await guardWith().check({ ...request(), clientCertificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' }))
    expect([decision.status, decision.errorDescription]).toEqual([400, 'The client certificate is not an X.509 certificate.'])
    expect(stub.calls).toHaveLength(0)
  })

  it('a fetch Request (Web runtimes) carries the header; a predicate is asked about "" there, a hop count trusts', async () => {
    stub.setDefault(boundToPresented)
    const fetchRequest = () => fromFetchRequest(new Request('http://api.example.com/api/me', { headers: { authorization: 'Bearer at-1', 'client-cert': rfc9440(a) } }))
    const asked: string[] = []
    const predicate = await guardWith({ clientCertificate: CLIENT_CERT, trustProxy: (address) => (asked.push(address), address === PROXY) }).check(fetchRequest())
    const hop = await guardWith({ clientCertificate: CLIENT_CERT, trustProxy: 1 }).check(fetchRequest())
    expect(asked).toContain('')
    expect(predicate.allowed && predicate.auth.certificateThumbprint).toBeUndefined()
    expect(hop.allowed && hop.auth.certificateThumbprint).toBe(a.x5tS256)
    expect(sent()).toEqual([undefined, a.certPem.trim()])
  })
})

describe("Authlete's binding decision (scripted replies) and auth.certificateThumbprint", () => {
  const guard = () => guardWith({ clientCertificate: CLIENT_CERT, trustProxy: true })
  const refusal = (code: string, message: string) => ({
    json: { action: 'UNAUTHORIZED', resultCode: code, resultMessage: `[${code}] ${message}`, responseContent: `Bearer error="invalid_token",error_description="[${code}] ${message}",error_uri="https://docs.authlete.com/#${code}"` },
  })

  it('Authlete\'s certificateThumbprint equal to the presented one: allowed, auth.certificateThumbprint is it (a DPoP presentation too)', async () => {
    stub.reply({ json: { ...OK, certificateThumbprint: a.x5tS256 } })
    const bearer = await guard().check(request({ 'client-cert': rfc9440(a) }))
    expect(bearer.allowed && bearer.auth.certificateThumbprint).toBe(a.x5tS256)
    stub.reply({ json: { ...OK, certificateThumbprint: a.x5tS256 } })
    const dpop = await guard().check({ ...request({ 'client-cert': rfc9440(a) }), headers: { host: 'api.example.com', authorization: 'DPoP at-2', dpop: await signedProof('GET', 'https://api.example.com/api/me', 'at-2'), 'client-cert': rfc9440(a) } })
    expect(dpop.allowed && [dpop.auth.tokenType, dpop.auth.certificateThumbprint]).toEqual(['DPoP', a.x5tS256])
    expect(stub.calls[1]!.body).toMatchObject({ dpop: expect.any(String), htu: 'https://api.example.com/api/me', clientCertificate: a.certPem.trim() })
  })

  it('Authlete allowing a token bound to another certificate is a reply it never gives: 500, ERR_AUTHLETE_INVALID_RESPONSE', async () => {
    stub.reply({ json: { ...OK, certificateThumbprint: b.x5tS256 } })
    const errors: string[] = []
    const decision = denied(await guardWith({ clientCertificate: CLIENT_CERT, trustProxy: true, onError: (event) => errors.push(event.error.code) }).check(request({ 'client-cert': rfc9440(a) })))
    expect([decision.status, decision.error, decision.cause?.code]).toEqual([500, 'server_error', 'ERR_AUTHLETE_INVALID_RESPONSE'])
    expect(errors).toEqual(['ERR_AUTHLETE_INVALID_RESPONSE'])
  })

  it('an unbound token presented with a certificate: allowed, no auth.certificateThumbprint (the token\'s binding, not the certificate), from Authlete, the cache and a stacked guard', async () => {
    stub.setDefault({ json: OK })
    const cached = guardWith({ clientCertificate: CLIENT_CERT, trustProxy: true, cache: true })
    const first = await cached.check(request({ 'client-cert': rfc9440(a) }))
    const hit = await cached.check(request({ 'client-cert': rfc9440(a) }))
    const stacked = request({ 'client-cert': rfc9440(b) }, PROXY, 'at-2')
    const twice = guard()
    await twice.check(stacked)
    const again = await twice.check(stacked)
    expect([first, hit, again].map((d) => d.allowed && [d.auth.source, d.auth.certificateThumbprint])).toEqual([['authlete', undefined], ['cache', undefined], ['authlete', undefined]])
    expect(sent()).toEqual([a.certPem.trim(), b.certPem.trim()])
  })

  it('Authlete allowing a token bound to a certificate when none was presented is a reply it never gives: 500, ERR_AUTHLETE_INVALID_RESPONSE', async () => {
    stub.reply({ json: { ...OK, certificateThumbprint: a.x5tS256 } })
    const decision = denied(await guard().check(request()))
    expect([decision.status, decision.error, decision.cause?.code]).toEqual([500, 'server_error', 'ERR_AUTHLETE_INVALID_RESPONSE'])
  })

  it.each([
    ['no certificate', () => ({}), 'A065304', 'The access token is bound to a client certificate, but no certificate was presented.'],
    ['another certificate', () => ({ 'client-cert': rfc9440(b) }), 'A065305', 'The client certificate does not match the thumbprint of the access token.'],
  ])('a bound token with %s: 401 invalid_token, Authlete\'s challenge verbatim', async (_name, headers, code, message) => {
    stub.reply(refusal(code, message))
    const decision = denied(await guard().check(request(headers())))
    expect([decision.status, decision.error, decision.headers['WWW-Authenticate']]).toEqual([401, 'invalid_token', refusal(code, message).json.responseContent])
  })
})

describe('the introspection cache, keyed by the certificate\'s thumbprint', () => {
  const introspections = () => stub.calls.length

  it('same token: cert A twice -> 1 call; then cert B -> a call; then none -> a call; each again from the cache', async () => {
    stub.setDefault(boundToPresented)
    const guard = guardWith({ clientCertificate: CLIENT_CERT, trustProxy: true, cache: true })
    const withA = request({ 'client-cert': rfc9440(a) })
    const first = await guard.check(withA)
    const second = await guard.check(request({ 'client-cert': rfc9440(a) }))
    expect(introspections()).toBe(1)
    expect(first.allowed && first.auth.source).toBe('authlete')
    expect(second.allowed && [second.auth.source, second.auth.certificateThumbprint]).toEqual(['cache', a.x5tS256])
    const withB = await guard.check(request({ 'client-cert': rfc9440(b) }))
    expect(introspections()).toBe(2)
    expect(withB.allowed && [withB.auth.source, withB.auth.certificateThumbprint]).toEqual(['authlete', b.x5tS256])
    const none = await guard.check(request())
    expect(introspections()).toBe(3)
    expect(none.allowed && [none.auth.source, none.auth.certificateThumbprint]).toEqual(['authlete', undefined])
    for (const headers of [{ 'client-cert': rfc9440(a) }, { 'client-cert': rfc9440(b) }, {}] as Array<Record<string, string>>) expect((await guard.check(request(headers))).allowed).toBe(true)
    expect(introspections()).toBe(3)
    expect(sent()).toEqual([a.certPem.trim(), b.certPem.trim(), undefined])
  })

  it('a token first allowed without a certificate is asked again with one (and a refusal there is not served from the cache)', async () => {
    stub.setDefault({ json: OK })
    const guard = guardWith({ clientCertificate: CLIENT_CERT, trustProxy: true, cache: true })
    expect((await guard.check(request())).allowed).toBe(true)
    stub.reply({ json: { action: 'UNAUTHORIZED', resultCode: 'A065305', responseContent: 'Bearer error="invalid_token"' } })
    expect(denied(await guard.check(request({ 'client-cert': rfc9440(a) }))).status).toBe(401)
    expect(introspections()).toBe(2)
  })

  it('the TLS socket\'s certificate (tls) is cached the same way: it was never cached before', async () => {
    stub.setDefault({ json: OK })
    const guard = guardWith({ cache: true })
    for (let i = 0; i < 3; i++) expect((await guard.check({ ...request(), clientCertificate: a.certPem })).allowed).toBe(true)
    expect((await guard.check({ ...request(), clientCertificate: b.certPem })).allowed).toBe(true)
    expect(introspections()).toBe(2)
  })

  it('concurrent misses coalesce per certificate: 4 with A and 4 with B -> 2 calls', async () => {
    stub.setDefault((call) => ({ ...boundToPresented(call), delayMs: 50 }))
    const guard = guardWith({ clientCertificate: CLIENT_CERT, trustProxy: true, cache: true })
    const decisions = await Promise.all([a, b, a, b, a, b, a, b].map((certificate) => guard.check(request({ 'client-cert': rfc9440(certificate) }))))
    expect(decisions.map((d) => d.allowed && d.auth.certificateThumbprint)).toEqual([a, b, a, b, a, b, a, b].map((c) => c.x5tS256))
    expect(sent().sort()).toEqual([a.certPem.trim(), b.certPem.trim()].sort())
  })
})

describe('a second guard on the same request (stacked)', () => {
  it('reuses the first check only for the same certificate; the thumbprint stays on auth', async () => {
    stub.setDefault(boundToPresented)
    const guard = guardWith()
    const first = { ...request(), clientCertificate: a.certPem }
    expect((await guard.check(first)).allowed).toBe(true)
    const again = await guard.check(first)
    expect(again.allowed && again.auth.certificateThumbprint).toBe(a.x5tS256)
    expect(stub.calls).toHaveLength(1)
    // The same header object with another certificate is another presentation: Authlete is asked.
    const other = await guard.check({ ...first, clientCertificate: b.certPem })
    expect(other.allowed && other.auth.certificateThumbprint).toBe(b.x5tS256)
    expect(sent()).toEqual([a.certPem.trim(), b.certPem.trim()])
  })
})

describe('readClientCertificate: the chain (for the token and PAR endpoints)', () => {
  const read = (source: Parameters<typeof resolveClientCertificateSource>[0], headers: Record<string, string | string[]>) =>
    readClientCertificate({ method: 'POST', url: '/token', headers, remoteAddress: PROXY }, resolveClientCertificateSource(source, true), true, { chain: true })

  it('RFC 9440 Client-Cert-Chain (a list, over header lines), nginx\'s PEM chain, Envoy\'s Chain (leaf first, dropped)', () => {
    const ca = certs.ca.certPem.trim()
    expect(read(CLIENT_CERT, { 'client-cert': rfc9440(a), 'client-cert-chain': [`${rfc9440(certs.ca)}, ${rfc9440(b)}`, rfc9440(certs.server)] })).toEqual({
      ok: true, certificate: { pem: a.certPem.trim(), der: expect.any(Uint8Array), chain: [ca, b.certPem.trim(), certs.server.certPem.trim()] },
    })
    expect(read(NGINX, { 'x-ssl-client-cert': urlPem({ ...a, certPem: a.certPem + certs.ca.certPem }) })).toMatchObject({ ok: true, certificate: { pem: a.certPem.trim(), chain: [ca] } })
    expect(read(ENVOY, { 'x-forwarded-client-cert': `${xfccElement(a)};Chain="${encodeURIComponent(a.certPem + certs.ca.certPem)}"` })).toMatchObject({ ok: true, certificate: { pem: a.certPem.trim(), chain: [ca] } })
    expect(read(CLIENT_CERT, { 'client-cert': rfc9440(a) })).toMatchObject({ ok: true, certificate: { chain: [] } })
  })

  it('RFC 9440 Client-Cert-Chain members with RFC 8941 parameters (ignored, a comma inside a string too)', () => {
    const ca = certs.ca.certPem.trim()
    expect(read(CLIENT_CERT, { 'client-cert': `${rfc9440(a)};x=1`, 'client-cert-chain': `${rfc9440(certs.ca)};n=1;s="a, b", ${rfc9440(b)};t` })).toEqual({
      ok: true, certificate: { pem: a.certPem.trim(), der: expect.any(Uint8Array), chain: [ca, b.certPem.trim()] },
    })
    expect(read(CLIENT_CERT, { 'client-cert': rfc9440(a), 'client-cert-chain': `${rfc9440(certs.ca)};N=1` })).toMatchObject({ ok: false })
  })

  it('a chain that does not parse is refused; without asking for it, it is not read', () => {
    const headers = { 'client-cert': rfc9440(a), 'client-cert-chain': ':bm90:' }
    expect(read(CLIENT_CERT, headers)).toEqual({ ok: false, description: 'The client-cert-chain header does not hold RFC 9440 certificates (:base64 DER:, ...).' })
    const guardView = readClientCertificate({ method: 'GET', url: '/', headers, remoteAddress: PROXY }, resolveClientCertificateSource(CLIENT_CERT, true), true)
    expect(guardView).toMatchObject({ ok: true, certificate: { pem: a.certPem.trim() } })
    expect(read(ENVOY, { 'x-forwarded-client-cert': `${xfccElement(a)};Chain="%ZZ"` })).toEqual({ ok: false, description: 'The x-forwarded-client-cert header does not hold URL-encoded PEM certificates in Chain.' })
  })
})
