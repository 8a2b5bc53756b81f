import { createHmac } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SignJWT, importJWK } from 'jose'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair, type Emulator } from '@authlete-guard/emulator'
import { ALL_ALGS, callApi, craftJwt, loadFixture, manualClock } from './helpers'

const HTU = 'https://rs.example.com/api/me'
const rfc = loadFixture('rfc9449.json')

let emu: Emulator
let clock: ReturnType<typeof manualClock>

beforeEach(async () => {
  clock = manualClock()
  emu = await startEmulator({ now: clock.now })
})
afterEach(async () => {
  await emu.close()
})

const introspect = (body: Record<string, unknown>, version: 'V2' | 'V3' = 'V3') => callApi(emu, '/auth/introspection', body, { version })

async function boundToken(key: DpopKeyPair, scopes = ['read']) {
  const { accessToken } = await emu.createToken({ subject: 'alice', scopes, dpopKeyThumbprint: key.thumbprint })
  return accessToken
}

async function proofFor(key: DpopKeyPair, accessToken: string, extra: Partial<Parameters<typeof createDpopProof>[1]> = {}) {
  return createDpopProof(key, { htm: 'GET', htu: HTU, accessToken, iat: Math.floor(clock.now() / 1000), ...extra })
}

describe('/auth/introspection with Bearer tokens', () => {
  it('answers OK with the token details on v3 and v2 paths', async () => {
    const created = await emu.createToken({ subject: 'alice', scopes: ['read', 'write'], properties: [{ key: 'tenant', value: 't1' }] })
    for (const version of ['V3', 'V2'] as const) {
      const { status, body } = await introspect({ token: created.accessToken, scopes: ['read'] }, version)
      expect(status).toBe(200)
      expect(body).toMatchObject({
        type: 'introspectionResponse',
        action: 'OK',
        resultCode: 'A056001',
        resultMessage: '[A056001] The access token is valid.',
        responseContent: 'Bearer',
        subject: 'alice',
        scopes: ['read', 'write'],
        clientId: 5550002002,
        clientIdAlias: 'emulator-client',
        existent: true,
        usable: true,
        sufficient: true,
        refreshable: true,
        expiresAt: created.expiresAt,
        properties: [{ key: 'tenant', value: 't1' }],
        grantType: 'AUTHORIZATION_CODE',
      })
      expect(body).not.toHaveProperty('dpopNonce')
    }
  })

  it('unknown token -> UNAUTHORIZED invalid_token', async () => {
    const { body } = await introspect({ token: 'nope' })
    expect(body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A056301', existent: false, usable: false, clientId: 0, expiresAt: 0 })
    expect(body.responseContent).toBe(
      'Bearer error="invalid_token",error_description="[A056301] The access token does not exist.",error_uri="https://docs.authlete.com/#A056301"',
    )
  })

  it('missing token -> BAD_REQUEST invalid_request', async () => {
    const { body } = await introspect({})
    expect(body.action).toBe('BAD_REQUEST')
    expect(body.responseContent).toMatch(/^Bearer error="invalid_request",error_description="\[A056201\]/)
  })

  it('expired token (via the injected clock) -> UNAUTHORIZED invalid_token', async () => {
    const { accessToken, expiresAt } = await emu.createToken({ subject: 'alice', accessTokenDuration: 60 })
    clock.advance(59_000)
    expect((await introspect({ token: accessToken })).body.action).toBe('OK')
    clock.set(expiresAt)
    const { body } = await introspect({ token: accessToken })
    expect(body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A056302', existent: true, usable: false })
    expect(body.responseContent).toContain('error="invalid_token"')
  })

  it('insufficient scope -> FORBIDDEN with scope="..."', async () => {
    const { accessToken } = await emu.createToken({ subject: 'alice', scopes: ['read'] })
    const { body } = await introspect({ token: accessToken, scopes: ['read', 'write'] })
    expect(body).toMatchObject({ action: 'FORBIDDEN', resultCode: 'A056303', sufficient: false, existent: true })
    expect(body.responseContent).toBe(
      'Bearer error="insufficient_scope",error_description="[A056303] The access token does not cover the required scopes.",error_uri="https://docs.authlete.com/#A056303",scope="read write"',
    )
  })

  it('subject mismatch -> FORBIDDEN', async () => {
    const { accessToken } = await emu.createToken({ subject: 'alice' })
    expect((await introspect({ token: accessToken, subject: 'alice' })).body.action).toBe('OK')
    const { body } = await introspect({ token: accessToken, subject: 'bob' })
    expect(body).toMatchObject({ action: 'FORBIDDEN', resultCode: 'A056304' })
  })

  it('resources not covered -> FORBIDDEN', async () => {
    const { accessToken } = await emu.createToken({ subject: 'alice', resources: ['https://rs.example.com'] })
    expect((await introspect({ token: accessToken, resources: ['https://rs.example.com'] })).body.action).toBe('OK')
    const { body } = await introspect({ token: accessToken, resources: ['https://other.example.com'] })
    expect(body).toMatchObject({ action: 'FORBIDDEN', resultCode: 'A056305', accessTokenResources: ['https://rs.example.com'] })
  })

  it('acrValues and maxAge (RFC 9470) -> UNAUTHORIZED insufficient_user_authentication', async () => {
    const authTime = Math.floor(clock.now() / 1000) - 600
    const { accessToken } = await emu.createToken({ subject: 'alice', acr: 'urn:mace:incommon:iap:silver', authTime })
    expect((await introspect({ token: accessToken, acrValues: ['urn:mace:incommon:iap:silver'], maxAge: 3600 })).body.action).toBe('OK')
    const acr = await introspect({ token: accessToken, acrValues: ['gold'] })
    expect(acr.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A056306' })
    expect(acr.body.responseContent).toContain('error="insufficient_user_authentication"')
    expect(acr.body.responseContent).toContain('acr_values="gold"')
    const maxAge = await introspect({ token: accessToken, maxAge: 60 })
    expect(maxAge.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A056307' })
    expect(maxAge.body.responseContent).toContain('max_age="60"')
  })
})

describe('/auth/introspection with DPoP-bound tokens (RFC 9449 §4.3, §7)', () => {
  it.each(['ES256', 'ES384', 'ES512', 'ES256K', 'RS256', 'RS512', 'PS256', 'PS384', 'EdDSA'] as const)('accepts a valid %s proof', async (alg) => {
    const key = await createDpopKeyPair(alg)
    const token = await boundToken(key)
    const { body } = await introspect({ token, dpop: await proofFor(key, token), htm: 'GET', htu: HTU, scopes: ['read'] })
    expect(body).toMatchObject({ action: 'OK', resultMessage: '[A056001] The access token is valid.', subject: 'alice' })
    expect(body.responseContent).toBe(`DPoP algs="${ALL_ALGS}"`)
  })

  it('accepts an Ed448 key and a proof made with jose', async () => {
    const ed448 = await createDpopKeyPair('EdDSA', { crv: 'Ed448' })
    const token = await boundToken(ed448)
    expect((await introspect({ token, dpop: await proofFor(ed448, token), htm: 'GET', htu: HTU })).body.action).toBe('OK')

    const key = await createDpopKeyPair('ES256')
    const joseToken = await boundToken(key)
    const joseProof = await new SignJWT({ htm: 'GET', htu: HTU, ath: (await import('@authlete-guard/emulator')).computeAth(joseToken) })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk as never })
      .setJti('jose-1')
      .setIssuedAt(Math.floor(clock.now() / 1000))
      .sign(key.privateKey)
    expect((await introspect({ token: joseToken, dpop: joseProof, htm: 'GET', htu: HTU })).body.action).toBe('OK')
  })

  it('verifies the RFC 9449 §7.1 example proof under a fixed clock', async () => {
    const example = rfc.rs_request_example
    const fixed = await startEmulator({ now: () => example.fixed_now_for_tests * 1000 })
    try {
      const created = await fixed.createToken({ subject: 'someone@example.com', accessToken: example.access_token, dpopKeyThumbprint: example.expected_jkt })
      expect(created.accessToken).toBe(example.access_token)
      expect(created.tokenType).toBe('DPoP')
      const ok = await callApi(fixed, '/auth/introspection', { token: example.access_token, dpop: example.dpop_proof, htm: example.method, htu: example.url })
      expect(ok.body).toMatchObject({ action: 'OK', subject: 'someone@example.com' })
      // Same proof replayed -> rejected; a wrong htm -> rejected (proves the vector is really checked).
      const replay = await callApi(fixed, '/auth/introspection', { token: example.access_token, dpop: example.dpop_proof, htm: 'GET', htu: example.url })
      expect(replay.body.resultCode).toBe('A065317')
      // The token-endpoint example has no ath: refused as a resource-access proof.
      const noAth = await callApi(fixed, '/auth/introspection', { token: example.access_token, dpop: rfc.token_request_example.dpop_proof, htm: 'POST', htu: 'https://server.example.com/token' })
      expect(noAth.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065314' })
    } finally {
      await fixed.close()
    }
  })

  it('the RFC 9449 example proof fails once the clock moves past the iat window', async () => {
    const example = rfc.rs_request_example
    const late = await startEmulator({ now: () => (example.fixed_now_for_tests + 301) * 1000 })
    try {
      await late.createToken({ subject: 's', accessToken: example.access_token, dpopKeyThumbprint: example.expected_jkt })
      const { body } = await callApi(late, '/auth/introspection', { token: example.access_token, dpop: example.dpop_proof, htm: 'GET', htu: example.url })
      expect(body.resultCode).toBe('A065312')
    } finally {
      await late.close()
    }
  })

  it('bound token without a proof -> UNAUTHORIZED [A065308] in the DPoP scheme', async () => {
    const key = await createDpopKeyPair('ES256')
    const token = await boundToken(key)
    const { body } = await introspect({ token, htm: 'GET', htu: HTU })
    expect(body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065308', resultMessage: '[A065308] Expected a DPoP header but none was provided.', existent: true })
    expect(body.responseContent).toBe(
      `DPoP error="invalid_token",error_description="[A065308] Expected a DPoP header but none was provided.",error_uri="https://docs.authlete.com/#A065308",algs="${ALL_ALGS}"`,
    )
  })

  it('proof signed by another key -> UNAUTHORIZED [A065309] invalid_token', async () => {
    const key = await createDpopKeyPair('ES256')
    const other = await createDpopKeyPair('ES256')
    const token = await boundToken(key)
    const { body } = await introspect({ token, dpop: await proofFor(other, token), htm: 'GET', htu: HTU })
    expect(body).toMatchObject({
      action: 'UNAUTHORIZED',
      resultCode: 'A065309',
      resultMessage: '[A065309] Thumbprint of the provided DPoP key does not match the expected DPoP thumbprint.',
    })
    expect(body.responseContent).toMatch(/^DPoP error="invalid_token",error_description="\[A065309\]/)
  })

  describe('each proof check fails with invalid_dpop_proof', () => {
    let key: DpopKeyPair
    let token: string
    beforeEach(async () => {
      key = await createDpopKeyPair('ES256')
      token = await boundToken(key)
    })
    const expectProofError = async (dpop: unknown, code: string, request: Record<string, unknown> = {}) => {
      const { status, body } = await introspect({ token, dpop, htm: 'GET', htu: HTU, ...request })
      expect(status).toBe(200)
      expect(body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: code })
      expect(body.responseContent).toMatch(new RegExp(`^DPoP error="invalid_dpop_proof",error_description="\\[${code}\\] [^"]+",error_uri="https://docs.authlete.com/#${code}",algs="${ALL_ALGS}"$`))
    }
    const iat = () => Math.floor(clock.now() / 1000)
    const claims = () => ({ jti: 'x1', htm: 'GET', htu: HTU, iat: iat() })

    it('alg none (hand-crafted)', async () => {
      await expectProofError(craftJwt({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk }, claims()), 'A065303')
    })
    it('HS256 with a symmetric jwk (hand-crafted)', async () => {
      const k = Buffer.from('secret-secret-secret-secret-secr').toString('base64url')
      const unsigned = craftJwt({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k } }, claims()).slice(0, -1)
      const signature = createHmac('sha256', Buffer.from(k, 'base64url')).update(unsigned).digest('base64url')
      await expectProofError(`${unsigned}.${signature}`, 'A065303')
    })
    it('jwk with private key members', async () => {
      const privateJwk = key.privateKey.export({ format: 'jwk' })
      await expectProofError(await proofFor(key, token, { header: { jwk: privateJwk } }), 'A065305')
    })
    it('wrong typ', async () => {
      await expectProofError(await proofFor(key, token, { header: { typ: 'JWT' } }), 'A065302')
      await expectProofError(await proofFor(key, token, { header: { typ: undefined } }), 'A065302')
    })
    it('missing jwk', async () => {
      await expectProofError(await proofFor(key, token, { header: { jwk: undefined } }), 'A065304')
    })
    it('jwk that does not fit alg, and an RSA key below 2048 bits', async () => {
      const rsa = await createDpopKeyPair('RS256')
      await expectProofError(await proofFor(key, token, { header: { jwk: rsa.publicJwk } }), 'A065304')
      const weak = await createDpopKeyPair('RS256', { modulusLength: 1024 })
      const weakToken = await boundToken(weak)
      const { body } = await introspect({ token: weakToken, dpop: await proofFor(weak, weakToken), htm: 'GET', htu: HTU })
      expect(body.resultCode).toBe('A065304')
    })
    it('two JWTs: comma-joined, space-joined, dot-joined; not a string', async () => {
      const a = await proofFor(key, token)
      const b = await proofFor(key, token)
      await expectProofError(`${a}, ${b}`, 'A065301')
      await expectProofError(`${a},${b}`, 'A065301')
      await expectProofError(`${a} ${b}`, 'A065301')
      await expectProofError(`${a}.${b}`, 'A065301')
      await expectProofError([a], 'A065301')
      await expectProofError('not-a-jwt', 'A065301')
    })
    it('bad signature: signed by another key, tampered payload', async () => {
      const other = await createDpopKeyPair('ES256')
      await expectProofError(await proofFor(other, token, { header: { jwk: key.publicJwk } }), 'A065306')
      const [h, , s] = (await proofFor(key, token)).split('.')
      const tampered = Buffer.from(JSON.stringify({ ...claims(), htm: 'POST' })).toString('base64url')
      await expectProofError(`${h}.${tampered}.${s}`, 'A065306')
    })
    it('missing jti / iat, or htu of a wrong type', async () => {
      await expectProofError(await proofFor(key, token, { claims: { jti: undefined } }), 'A065307')
      await expectProofError(await proofFor(key, token, { claims: { iat: undefined } }), 'A065307')
      await expectProofError(await proofFor(key, token, { claims: { htu: 42 } }), 'A065307')
    })
    it('wrong htm', async () => {
      await expectProofError(await proofFor(key, token, { htm: 'POST' }), 'A065310')
      await expectProofError(await proofFor(key, token, { htm: 'get' }), 'A065310')
    })
    it('wrong htu (path, host, trailing slash, scheme)', async () => {
      await expectProofError(await proofFor(key, token, { htu: 'https://rs.example.com/api/other' }), 'A065311')
      await expectProofError(await proofFor(key, token, { htu: 'https://evil.example.com/api/me' }), 'A065311')
      await expectProofError(await proofFor(key, token, { htu: `${HTU}/` }), 'A065311')
      await expectProofError(await proofFor(key, token, { htu: 'http://rs.example.com/api/me' }), 'A065311')
      await expectProofError(await proofFor(key, token), 'A065311', { htu: undefined })
    })
    it('htu compared after normalisation (case, default port, query, fragment)', async () => {
      const dpop = await proofFor(key, token, { htu: 'HTTPS://RS.Example.com:443/api/me?ignored=1#frag' })
      const { body } = await introspect({ token, dpop, htm: 'GET', htu: 'https://rs.example.com/api/me?q=2' })
      expect(body.action).toBe('OK')
    })
    it('stale iat (> 300 s old) and future iat (> 60 s ahead); inside the window is fine', async () => {
      await expectProofError(await proofFor(key, token, { iat: iat() - 301 }), 'A065312')
      await expectProofError(await proofFor(key, token, { iat: iat() + 61 }), 'A065313')
      expect((await introspect({ token, dpop: await proofFor(key, token, { iat: iat() - 299 }), htm: 'GET', htu: HTU })).body.action).toBe('OK')
      expect((await introspect({ token, dpop: await proofFor(key, token, { iat: iat() + 59 }), htm: 'GET', htu: HTU })).body.action).toBe('OK')
    })
    it('missing ath and ath of another token', async () => {
      await expectProofError(await createDpopProof(key, { htm: 'GET', htu: HTU, iat: iat() }), 'A065314')
      await expectProofError(await proofFor(key, 'some-other-token'), 'A065315')
    })
    it('replayed jti', async () => {
      const dpop = await proofFor(key, token)
      expect((await introspect({ token, dpop, htm: 'GET', htu: HTU })).body.action).toBe('OK')
      await expectProofError(dpop, 'A065317')
      // Same jti for another htu is a different proof.
      const elsewhere = await proofFor(key, token, { jti: JSON.parse(Buffer.from(dpop.split('.')[1] ?? '', 'base64url').toString()).jti, htu: 'https://rs.example.com/api/other' })
      expect((await introspect({ token, dpop: elsewhere, htm: 'GET', htu: 'https://rs.example.com/api/other' })).body.action).toBe('OK')
    })
  })

  it('unbound token with a valid proof is accepted; with an invalid proof refused', async () => {
    const key = await createDpopKeyPair('ES256')
    const { accessToken } = await emu.createToken({ subject: 'alice' })
    const ok = await introspect({ token: accessToken, dpop: await proofFor(key, accessToken), htm: 'GET', htu: HTU })
    expect(ok.body.action).toBe('OK')
    const bad = await introspect({ token: accessToken, dpop: await proofFor(key, accessToken, { htm: 'POST' }), htm: 'GET', htu: HTU })
    expect(bad.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065310' })
    expect(bad.body.responseContent).toMatch(/^DPoP error="invalid_dpop_proof"/)
  })

  it('insufficient scope on a bound token uses the DPoP scheme', async () => {
    const key = await createDpopKeyPair('ES256')
    const token = await boundToken(key, ['read'])
    const { body } = await introspect({ token, dpop: await proofFor(key, token), htm: 'GET', htu: HTU, scopes: ['admin'] })
    expect(body.action).toBe('FORBIDDEN')
    expect(body.responseContent).toBe(
      `DPoP error="insufficient_scope",error_description="[A056303] The access token does not cover the required scopes.",error_uri="https://docs.authlete.com/#A056303",scope="admin",algs="${ALL_ALGS}"`,
    )
  })
})

describe('DPoP nonces', () => {
  it('service setting: missing and wrong nonce -> use_dpop_nonce with dpopNonce; the issued nonce -> OK with dpopNonce', async () => {
    emu.configure({ dpopNonceRequired: true })
    const key = await createDpopKeyPair('ES256')
    const token = await boundToken(key)
    const missing = await introspect({ token, dpop: await proofFor(key, token), htm: 'GET', htu: HTU })
    expect(missing.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065316' })
    expect(missing.body.responseContent).toMatch(/^DPoP error="use_dpop_nonce",error_description="\[A065316\] /)
    const nonce = missing.body.dpopNonce
    expect(typeof nonce).toBe('string')
    const wrong = await introspect({ token, dpop: await proofFor(key, token, { nonce: 'wrong' }), htm: 'GET', htu: HTU })
    expect(wrong.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065316', dpopNonce: nonce })
    const ok = await introspect({ token, dpop: await proofFor(key, token, { nonce }), htm: 'GET', htu: HTU })
    expect(ok.body).toMatchObject({ action: 'OK', dpopNonce: nonce })
    // Bound token without proof still reports the nonce to use.
    expect((await introspect({ token, htm: 'GET', htu: HTU })).body).toMatchObject({ resultCode: 'A065308', dpopNonce: nonce })
    // A Bearer request gets no nonce.
    const bearer = await emu.createToken({ subject: 'bob' })
    expect((await introspect({ token: bearer.accessToken })).body).not.toHaveProperty('dpopNonce')
  })

  it('nonces expire after dpopNonceDuration; a new one is issued', async () => {
    emu.configure({ dpopNonceRequired: true, dpopNonceDuration: 60 })
    const key = await createDpopKeyPair('ES256')
    const token = await boundToken(key)
    const first = (await introspect({ token, dpop: await proofFor(key, token), htm: 'GET', htu: HTU })).body.dpopNonce as string
    clock.advance(59_000)
    expect((await introspect({ token, dpop: await proofFor(key, token, { nonce: first }), htm: 'GET', htu: HTU })).body.action).toBe('OK')
    clock.advance(2_000)
    const expired = await introspect({ token, dpop: await proofFor(key, token, { nonce: first }), htm: 'GET', htu: HTU })
    expect(expired.body.resultCode).toBe('A065316')
    expect(expired.body.dpopNonce).not.toBe(first)
    const ok = await introspect({ token, dpop: await proofFor(key, token, { nonce: expired.body.dpopNonce }), htm: 'GET', htu: HTU })
    expect(ok.body.action).toBe('OK')
  })

  it('per-request dpopNonceRequired forces the check', async () => {
    const key = await createDpopKeyPair('PS256')
    const token = await boundToken(key)
    expect((await introspect({ token, dpop: await proofFor(key, token), htm: 'GET', htu: HTU })).body).not.toHaveProperty('dpopNonce')
    const forced = await introspect({ token, dpop: await proofFor(key, token), htm: 'GET', htu: HTU, dpopNonceRequired: true })
    expect(forced.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065316' })
    const ok = await introspect({ token, dpop: await proofFor(key, token, { nonce: forced.body.dpopNonce }), htm: 'GET', htu: HTU, dpopNonceRequired: true })
    expect(ok.body.action).toBe('OK')
  })
})
