import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fromFetchRequest } from '../src'
import { fromNodeRequest } from '../src/node'
import type { RequestLike } from '../src'

const dir = mkdtempSync(join(tmpdir(), 'authlete-guard-mtls-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
function selfSigned(name: string) {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`)], { stdio: 'ignore' })
  return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)) }
}

/** Serve one request, hand back what fromNodeRequest made of it. */
async function capture(server: http.Server | https.Server, send: (port: number) => Promise<unknown>): Promise<RequestLike> {
  let seen: RequestLike | undefined
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen = fromNodeRequest(req)
    res.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    await send((server.address() as AddressInfo).port)
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  return seen!
}

describe('fromNodeRequest', () => {
  it('keeps every value of repeated Authorization and DPoP headers (Node drops a second Authorization in req.headers)', async () => {
    const seen = await capture(http.createServer(), (port) =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/a?b=1', headers: ['Host', 'api.example.com', 'Authorization', 'Bearer a', 'Authorization', 'Bearer b', 'DPoP', 'x.y.z', 'DPoP', 'x.y.z'] as unknown as http.OutgoingHttpHeaders }, (res) => res.resume().on('end', resolve))
        req.on('error', reject)
        req.end()
      }),
    )
    expect(seen.headers).toMatchObject({ authorization: ['Bearer a', 'Bearer b'], dpop: ['x.y.z', 'x.y.z'] })
    expect(seen).toMatchObject({ method: 'GET', url: '/a?b=1', remoteAddress: '127.0.0.1', encrypted: false, clientCertificate: undefined })
  })

  it('RFC 8705 §3: the mutual-TLS client certificate becomes clientCertificate (PEM)', async () => {
    const server = selfSigned('api.example.com')
    const client = selfSigned('client')
    const seen = await capture(https.createServer({ ...server, requestCert: true, rejectUnauthorized: false }), (port) =>
      new Promise((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port, path: '/', key: client.key, cert: client.cert, rejectUnauthorized: false }, (res) => res.resume().on('end', resolve))
        req.on('error', reject)
        req.end()
      }),
    )
    expect(seen.encrypted).toBe(true)
    expect(seen.clientCertificate).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----$/)
    expect(new X509Certificate(seen.clientCertificate!).fingerprint256).toBe(new X509Certificate(client.cert).fingerprint256)
  })

  it('TLS without a client certificate gives none', async () => {
    const server = selfSigned('api2.example.com')
    const seen = await capture(https.createServer({ ...server }), (port) =>
      new Promise((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false }, (res) => res.resume().on('end', resolve))
        req.on('error', reject)
        req.end()
      }),
    )
    expect(seen).toMatchObject({ encrypted: true, clientCertificate: undefined })
  })
})

describe('fromFetchRequest', () => {
  it('keeps the URL and headers; the origin is left to the Host header and the guard\'s settings', () => {
    const request = new Request('https://localhost:3000/api/me?x=1', { method: 'POST', headers: { host: 'api.example.com', authorization: 'Bearer t' } })
    const seen = fromFetchRequest(request, { remoteAddress: '10.0.0.1' })
    expect(seen).toMatchObject({ method: 'POST', url: 'https://localhost:3000/api/me?x=1', remoteAddress: '10.0.0.1' })
    expect(seen.encrypted).toBeUndefined()
    expect((seen.headers as Headers).get('authorization')).toBe('Bearer t')
  })
})
