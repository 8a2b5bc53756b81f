/**
 * The mutual-TLS test harness itself (test/support/certs.ts, test/support/nginx.ts): a real nginx
 * in front of a real Node HTTP server that answers with the headers it received. What the
 * upstream sees for each client certificate case is what the certificate-bound token tests rely on.
 */
import { createHash, X509Certificate } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeTestCertificates, testCertificates, type TestCertificate, type TestCertificates } from '../support/certs'
import { startNginx, type Nginx } from '../support/nginx'

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1'
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'

let certs: TestCertificates
let nginx: Nginx
let upstream: Server
/** Every request the upstream received, in order. */
const received: IncomingHttpHeaders[] = []
const agents: Agent[] = []

beforeAll(async () => {
  certs = await testCertificates({ clients: 2, untrusted: true })
  upstream = createServer((req, res) => {
    received.push(req.headers)
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(req.headers))
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  nginx = await startNginx({ upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, certs })
})

afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.close()))
  await nginx?.close()
  await new Promise((resolve) => upstream?.close(resolve))
  await removeTestCertificates()
})

/** GET through nginx, presenting `client`'s certificate (or none), with extra request headers. */
async function viaNginx(client: TestCertificate | undefined, headers: Record<string, string> = {}) {
  const connect = { ca: certs.ca.certPem, ...(client ? { cert: client.certPem, key: client.keyPem } : {}) }
  const agent = new Agent({ connect, headersTimeout: 5000, bodyTimeout: 5000 })
  agents.push(agent)
  const before = received.length
  const response = await request(`${nginx.url}/echo`, { dispatcher: agent, headers, signal: AbortSignal.timeout(5000) })
  const text = await response.body.text()
  const reachedUpstream = received.length > before
  return { status: response.statusCode, upstreamHeaders: reachedUpstream ? (JSON.parse(text) as IncomingHttpHeaders) : undefined, text }
}

describe('nginx mutual-TLS harness', () => {
  it('makes a server certificate for 127.0.0.1 and distinct client certificates, all issued by the CA', () => {
    const ca = new X509Certificate(certs.ca.certPem)
    const server = new X509Certificate(certs.server.certPem)
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(server.keyUsage).toEqual([SERVER_AUTH])
    expect(server.checkIssued(ca)).toBe(true)
    const [a, b] = certs.clients.map((client) => new X509Certificate(client.certPem))
    expect(a!.subject).not.toBe(b!.subject)
    for (const client of [a!, b!]) {
      expect(client.keyUsage).toEqual([CLIENT_AUTH])
      expect(client.checkIssued(ca)).toBe(true)
      expect(client.verify(ca.publicKey)).toBe(true)
    }
    const untrusted = new X509Certificate(certs.untrustedClient!.certPem)
    expect(untrusted.checkIssued(ca)).toBe(false)
    expect(untrusted.checkIssued(new X509Certificate(certs.untrustedCa!.certPem))).toBe(true)
  })

  it('gives each certificate its DER in base64 and x5t#S256 = base64url(SHA-256(DER))', () => {
    const [a, b] = certs.clients
    expect(Buffer.from(a!.derBase64, 'base64')).toEqual(new X509Certificate(a!.certPem).raw)
    expect(a!.x5tS256).toBe(createHash('sha256').update(Buffer.from(a!.derBase64, 'base64')).digest('base64url'))
    expect(a!.x5tS256).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a!.x5tS256).not.toBe(b!.x5tS256)
  })

  for (const index of [0, 1]) {
    it(`forwards client ${index + 1}'s certificate as X-SSL-Client-Cert (URL-encoded PEM) and Client-Cert (:DER:)`, async () => {
      const client = certs.clients[index]!
      const { status, upstreamHeaders } = await viaNginx(client)
      expect(status).toBe(200)
      expect(upstreamHeaders?.['x-ssl-client-verify']).toBe('SUCCESS')
      expect(decodeURIComponent(String(upstreamHeaders?.['x-ssl-client-cert']))).toBe(client.certPem)
      expect(upstreamHeaders?.['client-cert']).toBe(`:${client.derBase64}:`)
    })
  }

  it('forwards Host, X-Forwarded-For and X-Forwarded-Proto as a deployment does', async () => {
    const { upstreamHeaders } = await viaNginx(certs.clients[0], { 'x-forwarded-for': '198.51.100.7' })
    expect(upstreamHeaders?.host).toBe(`127.0.0.1:${nginx.port}`)
    expect(upstreamHeaders?.['x-forwarded-for']).toBe('198.51.100.7, 127.0.0.1')
    expect(upstreamHeaders?.['x-forwarded-proto']).toBe('https')
  })

  it('sends neither certificate header when the client presents no certificate', async () => {
    const { status, upstreamHeaders } = await viaNginx(undefined)
    expect(status).toBe(200)
    expect(upstreamHeaders?.['x-ssl-client-verify']).toBe('NONE')
    expect(upstreamHeaders).not.toHaveProperty('x-ssl-client-cert')
    expect(upstreamHeaders).not.toHaveProperty('client-cert')
  })

  it('never lets a client-sent X-SSL-Client-Cert or Client-Cert through', async () => {
    const [a, b] = certs.clients
    const forged = { 'X-SSL-Client-Cert': encodeURIComponent(a!.certPem), 'client-cert': `:${a!.derBase64}:` }
    const withoutCert = await viaNginx(undefined, forged)
    expect(withoutCert.status).toBe(200)
    expect(withoutCert.upstreamHeaders).not.toHaveProperty('x-ssl-client-cert')
    expect(withoutCert.upstreamHeaders).not.toHaveProperty('client-cert')
    // With another certificate, the upstream sees that one only, not the forged one.
    const withB = await viaNginx(b, forged)
    expect(decodeURIComponent(String(withB.upstreamHeaders?.['x-ssl-client-cert']))).toBe(b!.certPem)
    expect(withB.upstreamHeaders?.['client-cert']).toBe(`:${b!.derBase64}:`)
  })

  it('refuses a proxyBind outside 127.0.0.0/8 before starting anything (traffic stays on this machine)', async () => {
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
    for (const proxyBind of ['10.0.0.1', '127.0.0.256', '::1']) {
      // One that started after all is stopped at once, so a failing run leaves no nginx behind.
      const outcome = await startNginx({ upstream: upstreamUrl, certs, proxyBind }).then(
        async (started) => (await started.close(), 'started'),
        (error: Error) => error.message,
      )
      expect(outcome).toBe(`startNginx: proxyBind must be a 127.0.0.0/8 address, got ${proxyBind}`)
    }
  })

  it('answers 400 itself for a certificate from a CA it does not trust (ssl_verify_client optional)', async () => {
    const { status, upstreamHeaders, text } = await viaNginx(certs.untrustedClient)
    expect(status).toBe(400)
    expect(upstreamHeaders).toBeUndefined()
    expect(text).toContain('The SSL certificate error')
  })
})
