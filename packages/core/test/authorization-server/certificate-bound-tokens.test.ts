/**
 * Issue 22 point 2, end to end with the emulator as Authlete: a certificate-bound token (RFC 8705
 * §3) minted through `as.token()` for a client with `tlsClientCertificateBoundAccessTokens`, then
 * presented to a guard. With the certificate it was bound to: allowed; with another: 401
 * `invalid_token` A065305; with none: 401 `invalid_token` A065304. The authorization server and the
 * guard take the certificate from the same source: the TLS socket's PEM, or nginx's header.
 * Real certificates (openssl, test/support/certs.ts), real HTTP to the emulator on 127.0.0.1.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createGuard, type ClientCertificateSource, type Guard, type RequestLike, type TrustProxy } from '../../src'
import { createAuthorizationServer, type AuthorizationServer } from '../../src/authorization-server'
import { startEmulator, type Emulator } from '@authlete-guard/emulator'
import { removeTestCertificates, testCertificates, type TestCertificate } from '../../../../test/support/certs'
import { basic } from './support'

const CLIENT = { clientId: 3300031, clientSecret: 'mtls-secret', tlsClientCertificateBoundAccessTokens: true }
const PROXY = '10.0.0.7'

let mine: TestCertificate
let other: TestCertificate
let emu: Emulator
const closers: Array<() => Promise<void>> = []

beforeAll(async () => {
  const certs = await testCertificates({ clients: 2 })
  ;[mine, other] = certs.clients as [TestCertificate, TestCertificate]
})
afterAll(() => removeTestCertificates())
beforeEach(async () => {
  emu = await startEmulator({ clients: [CLIENT] })
})
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
  await emu.close()
})

interface Source {
  options: { clientCertificate?: ClientCertificateSource; trustProxy?: TrustProxy }
  /** The request parts that carry `certificate` through this source (none: no certificate). */
  carry(certificate: TestCertificate | undefined): Partial<RequestLike> & { headers: Record<string, string> }
}

const SOURCES: Record<string, Source> = {
  "'tls' (the socket's certificate)": {
    options: {},
    carry: (certificate) => ({ headers: {}, ...(certificate ? { clientCertificate: certificate.certPem } : {}) }),
  },
  'nginx X-SSL-Client-Cert (url-pem) from the trusted proxy': {
    options: { clientCertificate: { header: 'x-ssl-client-cert', encoding: 'url-pem' }, trustProxy: (address) => address === PROXY },
    carry: (certificate) => ({ remoteAddress: PROXY, headers: certificate ? { 'x-ssl-client-cert': encodeURIComponent(certificate.certPem) } : ({} as Record<string, string>) }),
  },
}

function setUp(source: Source): { as: AuthorizationServer; guard: Guard } {
  const authlete = { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken, timeoutMs: 5000 }
  const as = createAuthorizationServer({ authlete, ...source.options })
  const guard = createGuard({ authlete, ...source.options })
  closers.push(() => as.close(), () => guard.close())
  return { as, guard }
}

async function mint(as: AuthorizationServer, source: Source): Promise<string> {
  const { headers, ...rest } = source.carry(mine)
  const request: RequestLike = {
    method: 'POST',
    url: '/token',
    headers: { host: 'as.example.com', 'content-type': 'application/x-www-form-urlencoded', authorization: basic(String(CLIENT.clientId), CLIENT.clientSecret), ...headers },
    encrypted: true,
    ...rest,
  }
  const result = await as.token(request, 'grant_type=client_credentials&scope=accounts')
  expect(result).toMatchObject({ done: true, status: 200 })
  const body = JSON.parse((result as { body: string }).body) as { access_token: string; token_type: string }
  expect(body.token_type).toBe('Bearer')
  return body.access_token
}

describe.each(Object.entries(SOURCES))('a certificate-bound token minted through as.token(), certificate source %s', (_name, source) => {
  it('the token endpoint sent the certificate; the guard allows it with that certificate (auth.certificateThumbprint set)', async () => {
    const { as, guard } = setUp(source)
    const token = await mint(as, source)
    expect(emu.requests.find((r) => r.apiPath === '/auth/token')?.body).toMatchObject({ clientCertificate: mine.certPem.trim() })
    const { headers, ...rest } = source.carry(mine)
    const decision = await guard.check({ method: 'GET', url: '/accounts', headers: { host: 'rs.example.com', authorization: `Bearer ${token}`, ...headers }, encrypted: true, ...rest }, { scopes: ['accounts'] })
    expect(decision.allowed).toBe(true)
    if (decision.allowed) expect(decision.auth.certificateThumbprint).toBe(mine.x5tS256)
  })

  it('another certificate -> 401 invalid_token A065305; no certificate -> 401 invalid_token A065304 (Authlete\'s challenge verbatim)', async () => {
    const { as, guard } = setUp(source)
    const token = await mint(as, source)
    const cases: Array<[TestCertificate | undefined, string]> = [
      [other, 'A065305'],
      [undefined, 'A065304'],
    ]
    for (const [certificate, code] of cases) {
      const { headers, ...rest } = source.carry(certificate)
      const decision = await guard.check({ method: 'GET', url: '/accounts', headers: { host: 'rs.example.com', authorization: `Bearer ${token}`, ...headers }, encrypted: true, ...rest }, { scopes: ['accounts'] })
      expect(decision.allowed, code).toBe(false)
      if (decision.allowed) continue
      expect(decision).toMatchObject({ status: 401, error: 'invalid_token' })
      expect(decision.headers['WWW-Authenticate']).toMatch(new RegExp(`^Bearer error="invalid_token",error_description="\\[${code}\\] `))
    }
  })
})
