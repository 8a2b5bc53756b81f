/**
 * Issue 22 point 3: the emulator binds access tokens to client certificates (RFC 8705 §3) and
 * checks the binding at /auth/introspection (A065304-A065307) and /auth/userinfo (A089307-A089310)
 * as Authlete does (reference §9). Real certificates from the openssl CLI (test/support/certs.ts),
 * real HTTP to the emulator on 127.0.0.1.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, DEFAULT_CLIENT, startEmulator, type DpopKeyPair, type Emulator } from '@authlete-guard/emulator'
import { removeTestCertificates, testCertificates, type TestCertificate } from '../../../test/support/certs'
import { callApi } from './helpers'

const MTLS_CLIENT = { clientId: 3300021, clientSecret: 'mtls-secret', tlsClientCertificateBoundAccessTokens: true }
const PLAIN_CLIENT = { clientId: 3300022, clientSecret: 'plain-secret' }
const RS = 'https://rs.example.com/accounts'
const uri = (code: string) => `https://docs.authlete.com/#${code}`

let alice: TestCertificate
let bob: TestCertificate
let ca: TestCertificate
let emu: Emulator

beforeAll(async () => {
  const certs = await testCertificates({ clients: 2 })
  ;[alice, bob] = certs.clients as [TestCertificate, TestCertificate]
  ca = certs.ca
})
afterAll(() => removeTestCertificates())
beforeEach(async () => {
  emu = await startEmulator({ clients: [MTLS_CLIENT, PLAIN_CLIENT] })
})
afterEach(() => emu.close())

const introspect = (body: Record<string, unknown>, version: 'V2' | 'V3' = 'V3') => callApi(emu, '/auth/introspection', body, { version })
const tokenRequest = (body: Record<string, unknown>) => callApi(emu, '/auth/token', body)
const clientCredentials = (client: { clientId: number; clientSecret: string }, extra: Record<string, unknown> = {}) =>
  tokenRequest({ parameters: 'grant_type=client_credentials&scope=accounts', clientId: String(client.clientId), clientSecret: client.clientSecret, ...extra })

/** A PEM whose armour is right but whose content is not a certificate. */
const brokenPem = () => alice.certPem.replace(/(-----\n)(.{20})/, '$1AAAAAAAAAAAAAAAAAAAA')

describe('minting certificate-bound tokens', () => {
  it('/auth/token: a client with tlsClientCertificateBoundAccessTokens gets a token bound to the x5t#S256 of clientCertificate (clientCertificatePath accepted and recorded)', async () => {
    const chain = [alice.certPem, ca.certPem]
    const { body } = await clientCredentials(MTLS_CLIENT, { clientCertificate: alice.certPem, clientCertificatePath: chain })
    expect(body).toMatchObject({ action: 'OK', resultCode: 'A052001' })
    // RFC 8705 §3: the token type stays Bearer.
    expect(JSON.parse(body.responseContent as string)).toMatchObject({ token_type: 'Bearer' })
    const recorded = emu.requests.find((r) => r.apiPath === '/auth/token')
    expect(recorded?.body).toMatchObject({ clientCertificate: alice.certPem, clientCertificatePath: chain })

    const ok = await introspect({ token: body.accessToken, clientCertificate: alice.certPem })
    expect(ok.body).toMatchObject({ action: 'OK', resultCode: 'A056001', certificateThumbprint: alice.x5tS256 })
    expect((await introspect({ token: body.accessToken })).body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065304' })
  })

  it('/auth/token: the authorization_code and refresh_token grants bind too; a refresh binds to the certificate it presents', async () => {
    const code = await emu.createAuthorizationCode({ clientId: MTLS_CLIENT.clientId, subject: 'alice', scopes: ['accounts'] })
    const auth = { clientId: String(MTLS_CLIENT.clientId), clientSecret: MTLS_CLIENT.clientSecret }
    const issued = (await tokenRequest({ parameters: `grant_type=authorization_code&code=${code}`, ...auth, clientCertificate: alice.certPem })).body
    expect(issued.action).toBe('OK')
    expect((await introspect({ token: issued.accessToken, clientCertificate: alice.certPem })).body).toMatchObject({ action: 'OK', certificateThumbprint: alice.x5tS256 })

    const refreshed = (await tokenRequest({ parameters: `grant_type=refresh_token&refresh_token=${issued.refreshToken}`, ...auth, clientCertificate: bob.certPem })).body
    expect(refreshed.action).toBe('OK')
    expect((await introspect({ token: refreshed.accessToken, clientCertificate: bob.certPem })).body).toMatchObject({ action: 'OK', certificateThumbprint: bob.x5tS256 })
    expect((await introspect({ token: refreshed.accessToken, clientCertificate: alice.certPem })).body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065305' })
  })

  it('/auth/token: such a client without a certificate, or with one that does not parse, is refused (invalid_request A050394 / A050395)', async () => {
    for (const certificate of [undefined, '']) {
      const { body } = await clientCredentials(MTLS_CLIENT, { clientCertificate: certificate })
      expect(body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A050394' })
      expect(JSON.parse(body.responseContent as string)).toMatchObject({ error: 'invalid_request' })
    }
    const broken = await clientCredentials(MTLS_CLIENT, { clientCertificate: brokenPem() })
    expect(broken.body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A050395' })
  })

  it('/auth/token: a client without the setting gets an unbound token even when a certificate comes', async () => {
    const { body } = await clientCredentials(PLAIN_CLIENT, { clientCertificate: alice.certPem, clientCertificatePath: [alice.certPem] })
    expect(body.action).toBe('OK')
    const ok = await introspect({ token: body.accessToken })
    expect(ok.body.action).toBe('OK')
    expect(ok.body).not.toHaveProperty('certificateThumbprint')
  })

  it('/auth/token/create with certificateThumbprint (V3 and V2) and emu.createToken({ certificateThumbprint }); a thumbprint of another shape is BAD_REQUEST A109305', async () => {
    for (const version of ['V3', 'V2'] as const) {
      const { body } = await callApi(emu, '/auth/token/create', { grantType: 'CLIENT_CREDENTIALS', clientId: DEFAULT_CLIENT.clientId, scopes: ['accounts'], certificateThumbprint: alice.x5tS256 }, { version })
      expect(body).toMatchObject({ action: 'OK', tokenType: 'Bearer' })
      expect((await introspect({ token: body.accessToken, clientCertificate: alice.certPem }, version)).body).toMatchObject({ action: 'OK', certificateThumbprint: alice.x5tS256 })
      expect((await introspect({ token: body.accessToken, clientCertificate: bob.certPem }, version)).body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065305' })
    }
    const created = await emu.createToken({ subject: 'alice', certificateThumbprint: bob.x5tS256 })
    expect((await introspect({ token: created.accessToken, clientCertificate: bob.certPem })).body).toMatchObject({ action: 'OK', certificateThumbprint: bob.x5tS256 })
    const hex = Buffer.from(alice.x5tS256, 'base64url').toString('hex')
    for (const certificateThumbprint of [hex, `${alice.x5tS256}=`, 42]) {
      const { body } = await callApi(emu, '/auth/token/create', { subject: 'alice', certificateThumbprint })
      expect(body, String(certificateThumbprint)).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A109305' })
    }
    await expect(emu.createToken({ subject: 'alice', certificateThumbprint: hex })).rejects.toThrow('A109305')
  })
})

describe('/auth/introspection of a certificate-bound token', () => {
  let token: string
  beforeEach(async () => {
    token = (await emu.createToken({ subject: 'alice', scopes: ['accounts'], certificateThumbprint: alice.x5tS256 })).accessToken
  })

  it('the certificate it is bound to: OK with certificateThumbprint', async () => {
    const { body } = await introspect({ token, scopes: ['accounts'], clientCertificate: alice.certPem })
    expect(body).toMatchObject({ action: 'OK', resultCode: 'A056001', sufficient: true, subject: 'alice', certificateThumbprint: alice.x5tS256 })
  })

  it('another certificate -> UNAUTHORIZED invalid_token A065305, in a Bearer challenge', async () => {
    const { body } = await introspect({ token, clientCertificate: bob.certPem })
    expect(body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065305', certificateThumbprint: alice.x5tS256 })
    expect(body.responseContent).toBe(
      `Bearer error="invalid_token",error_description="[A065305] The client certificate does not match the one the access token is bound to.",error_uri="${uri('A065305')}"`,
    )
  })

  it('no certificate (absent, null or empty) -> UNAUTHORIZED invalid_token A065304', async () => {
    for (const clientCertificate of [undefined, null, '']) {
      const { body } = await introspect({ token, clientCertificate })
      expect(body, String(clientCertificate)).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065304' })
      expect(body.responseContent).toBe(
        `Bearer error="invalid_token",error_description="[A065304] The access token is bound to a client certificate, but no client certificate was presented.",error_uri="${uri('A065304')}"`,
      )
    }
  })

  it('a certificate that does not parse -> UNAUTHORIZED invalid_token A065307', async () => {
    for (const clientCertificate of ['not a certificate', brokenPem(), alice.derBase64, 42]) {
      const { body } = await introspect({ token, clientCertificate })
      expect(body, String(clientCertificate).slice(0, 40)).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065307' })
      expect(body.responseContent).toBe(`Bearer error="invalid_token",error_description="[A065307] The client certificate is malformed.",error_uri="${uri('A065307')}"`)
    }
  })

  it('an unbound token with a certificate, even one that does not parse: OK without certificateThumbprint', async () => {
    const unbound = (await emu.createToken({ subject: 'alice' })).accessToken
    for (const clientCertificate of [alice.certPem, 'not a certificate']) {
      const { body } = await introspect({ token: unbound, clientCertificate })
      expect(body.action).toBe('OK')
      expect(body).not.toHaveProperty('certificateThumbprint')
    }
  })

  it('the certificate is checked before DPoP: a token bound to both needs both, and the certificate failure is reported first', async () => {
    const key: DpopKeyPair = await createDpopKeyPair('ES256')
    const both = (await emu.createToken({ subject: 'alice', certificateThumbprint: alice.x5tS256, dpopKeyThumbprint: key.thumbprint })).accessToken
    const dpop = () => createDpopProof(key, { htm: 'GET', htu: RS, accessToken: both })
    const noCertificate = await introspect({ token: both, dpop: await dpop(), htm: 'GET', htu: RS })
    expect(noCertificate.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065304' })
    expect(noCertificate.body.responseContent).toMatch(/^DPoP error="invalid_token",error_description="\[A065304\]/)
    const noProof = await introspect({ token: both, clientCertificate: alice.certPem })
    expect(noProof.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065308' })
    expect((await introspect({ token: both, clientCertificate: alice.certPem, dpop: await dpop(), htm: 'GET', htu: RS })).body).toMatchObject({
      action: 'OK',
      certificateThumbprint: alice.x5tS256,
    })
  })

  it('/auth/introspection/standard reports the binding as cnf["x5t#S256"]', async () => {
    const { body } = await callApi(emu, '/auth/introspection/standard', { parameters: `token=${token}` })
    expect(JSON.parse(body.responseContent as string)).toMatchObject({ active: true, token_type: 'Bearer', cnf: { 'x5t#S256': alice.x5tS256 } })
  })
})

describe('/auth/userinfo of a certificate-bound token (A089307-A089310)', () => {
  it('OK with its certificate; none A089307, malformed A089308, another A089310, all UNAUTHORIZED invalid_token', async () => {
    const token = (await emu.createToken({ subject: 'alice', scopes: ['openid'], certificateThumbprint: alice.x5tS256 })).accessToken
    const userinfo = (clientCertificate?: unknown) => callApi(emu, '/auth/userinfo', { token, clientCertificate })
    expect((await userinfo(alice.certPem)).body).toMatchObject({ action: 'OK', resultCode: 'A091001', subject: 'alice' })
    const cases: Array<[unknown, string, string]> = [
      [undefined, 'A089307', 'The access token is bound to a client certificate, but no client certificate was presented.'],
      ['garbage', 'A089308', 'The client certificate is malformed.'],
      [bob.certPem, 'A089310', 'The client certificate does not match the one the access token is bound to.'],
    ]
    for (const [certificate, code, message] of cases) {
      const { body } = await userinfo(certificate)
      expect(body, code).toMatchObject({ action: 'UNAUTHORIZED', resultCode: code })
      expect(body.responseContent).toBe(`Bearer error="invalid_token",error_description="[${code}] ${message}",error_uri="${uri(code)}"`)
    }
  })
})

describe('/pushed_auth_req', () => {
  it('accepts clientCertificate and clientCertificatePath (recorded in emu.requests)', async () => {
    const body = {
      parameters: `response_type=code&client_id=${MTLS_CLIENT.clientId}&scope=openid`,
      clientId: String(MTLS_CLIENT.clientId),
      clientSecret: MTLS_CLIENT.clientSecret,
      clientCertificate: alice.certPem,
      clientCertificatePath: [alice.certPem, ca.certPem],
    }
    expect((await callApi(emu, '/pushed_auth_req', body)).body).toMatchObject({ action: 'CREATED' })
    expect(emu.requests.at(-1)?.body).toEqual(body)
  })
})
