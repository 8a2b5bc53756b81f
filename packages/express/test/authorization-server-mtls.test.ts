/**
 * Issue 22: the Express token endpoint over real mutual TLS (node:https with `requestCert`). The
 * handler reads the client certificate from the TLS socket (`clientCertificate: 'tls'`, the
 * default) and sends it to Authlete (the emulator), which binds the token to it (RFC 8705 §3); a
 * protected route on the same server then allows the token only over a connection with that
 * certificate. Certificates from openssl (test/support/certs.ts); everything on 127.0.0.1.
 */
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { Agent, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '@authlete-guard/emulator'
import { createAuthorizationServer, createGuard, getAuth, protect, tokenEndpoint, type AuthorizationServer, type Guard } from '@authlete-guard/express'
import { removeTestCertificates, testCertificates, type TestCertificate, type TestCertificates } from '../../../test/support/certs'

const CLIENT = { clientId: 3300041, clientSecret: 'mtls-secret', tlsClientCertificateBoundAccessTokens: true }

let certs: TestCertificates
let emu: Emulator
let as: AuthorizationServer
let guard: Guard
let server: Server
let origin: string
const agents: Agent[] = []

beforeAll(async () => {
  certs = await testCertificates({ clients: 2 })
  emu = await startEmulator({ clients: [CLIENT] })
  const authlete = { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken, timeoutMs: 5000 }
  as = createAuthorizationServer({ authlete })
  guard = createGuard({ authlete })
  const app = express()
  app.post('/token', tokenEndpoint(as))
  app.get('/accounts', protect(guard, { scopes: ['accounts'] }), (req, res) => {
    res.json({ thumbprint: getAuth(req).certificateThumbprint })
  })
  // requestCert without rejectUnauthorized: a connection without a certificate gets through to the app.
  server = createServer({ key: certs.server.keyPem, cert: certs.server.certPem, ca: certs.ca.certPem, requestCert: true, rejectUnauthorized: false }, app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.close()))
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await Promise.all([as.close(), guard.close(), emu.close()])
  await removeTestCertificates()
})

/** An HTTPS client trusting the test CA, presenting `certificate` (or none). */
function client(certificate: TestCertificate | undefined): Agent {
  const agent = new Agent({ connect: { ca: certs.ca.certPem, ...(certificate ? { cert: certificate.certPem, key: certificate.keyPem } : {}) } })
  agents.push(agent)
  return agent
}

async function mintOver(agent: Agent): Promise<string> {
  const basic = Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')
  const reply = await request(`${origin}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=accounts',
    dispatcher: agent,
  })
  const body = (await reply.body.json()) as { access_token: string; token_type: string }
  expect(reply.statusCode).toBe(200)
  expect(body.token_type).toBe('Bearer')
  return body.access_token
}

const callAccounts = (agent: Agent, token: string) => request(`${origin}/accounts`, { headers: { authorization: `Bearer ${token}` }, dispatcher: agent })

describe('Express tokenEndpoint over mutual TLS (the socket certificate)', () => {
  it('the token is bound to the TLS client certificate: the same certificate 200, another 401 A065305, none 401 A065304', async () => {
    const [mine, other] = certs.clients as [TestCertificate, TestCertificate]
    const token = await mintOver(client(mine))
    expect(emu.requests.find((r) => r.apiPath === '/auth/token')?.body).toMatchObject({ clientCertificate: mine.certPem.trim() })

    const allowed = await callAccounts(client(mine), token)
    expect(allowed.statusCode).toBe(200)
    expect(await allowed.body.json()).toEqual({ thumbprint: mine.x5tS256 })

    for (const [agent, code] of [[client(other), 'A065305'], [client(undefined), 'A065304']] as const) {
      const denied = await callAccounts(agent, token)
      await denied.body.dump()
      expect(denied.statusCode, code).toBe(401)
      expect(String(denied.headers['www-authenticate'])).toMatch(new RegExp(`^Bearer error="invalid_token",error_description="\\[${code}\\] `))
    }
  })

  it('a client without a certificate at the token endpoint: the emulator refuses to mint for this client (400 invalid_request)', async () => {
    const basic = Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')
    const reply = await request(`${origin}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=accounts',
      dispatcher: client(undefined),
    })
    expect(reply.statusCode).toBe(400)
    expect(await reply.body.json()).toMatchObject({ error: 'invalid_request' })
  })
})
