import { createHmac } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SignJWT, importJWK } from 'jose'
import { createDpopKeyPair, createDpopProof, DEFAULT_CLIENT, jwkThumbprint, startEmulator, type DpopKeyPair, type Emulator } from '@authlete-guard/emulator'
import { fixtureKeyPair } from '../../../test/fixtures/keys'
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
        action: 'OK',
        resultCode: 'A056001',
        resultMessage: '[A056001] The access token is valid.',
        // Authlete fills responseContent even on OK, with this literal.
        responseContent: 'Bearer error="invalid_request"',
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
      // Authlete's reply declares no `type` member.
      expect(body).not.toHaveProperty('type')
    }
  })

  it('unknown token -> UNAUTHORIZED invalid_token [A057302]', async () => {
    const { body } = await introspect({ token: 'nope' })
    expect(body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A057302', existent: false, usable: false, clientId: 0, expiresAt: 0 })
    expect(body.responseContent).toBe(
      'Bearer error="invalid_token",error_description="[A057302] The access token does not exist.",error_uri="https://docs.authlete.com/#A057302"',
    )
  })

  it('missing token -> BAD_REQUEST invalid_request [A057301]', async () => {
    for (const request of [{}, { token: '' }]) {
      const { body } = await introspect(request)
      expect(body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A057301' })
      expect(body.responseContent).toBe(
        'Bearer error="invalid_request",error_description="[A057301] The request does not contain a valid access token.",error_uri="https://docs.authlete.com/#A057301"',
      )
    }
  })

  it('expired token with a usable refresh token -> [A065301] once, then deleted ([A057302]); the refresh token still works', async () => {
    const created = await emu.createToken({ subject: 'alice', scopes: ['read'], accessTokenDuration: 60 })
    clock.advance(59_000)
    expect((await introspect({ token: created.accessToken })).body.action).toBe('OK')
    clock.set(created.expiresAt)
    const { body } = await introspect({ token: created.accessToken })
    expect(body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065301', existent: true, usable: false, refreshable: true })
    expect(body.responseContent).toBe(
      'Bearer error="invalid_token",error_description="[A065301] The access token has expired but it can be refreshed using the corresponding refresh token.",error_uri="https://docs.authlete.com/#A065301"',
    )
    const again = await introspect({ token: created.accessToken })
    expect(again.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A057302', existent: false })
    const refreshed = await callApi(emu, '/auth/token', {
      parameters: `grant_type=refresh_token&refresh_token=${created.refreshToken}`,
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
    })
    expect(refreshed.body).toMatchObject({ action: 'OK', resultCode: 'A053001' })
  })

  it('expired token whose refresh token expired too -> [A065302], then the whole grant is gone', async () => {
    const created = await emu.createToken({ subject: 'alice', accessTokenDuration: 60, refreshTokenDuration: 30 })
    clock.set(created.expiresAt)
    const { body } = await introspect({ token: created.accessToken })
    expect(body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065302', existent: true, refreshable: false })
    expect(body.responseContent).toMatch(/^Bearer error="invalid_token",error_description="\[A065302\] [^"]+",error_uri="https:\/\/docs.authlete.com\/#A065302"$/)
    expect((await introspect({ token: created.accessToken })).body.resultCode).toBe('A057302')
    const standard = await callApi(emu, '/auth/introspection/standard', { parameters: `token=${created.refreshToken}&token_type_hint=refresh_token` })
    expect(JSON.parse(standard.body.responseContent)).toEqual({ active: false })
  })

  it('expired token without a refresh token -> [A065303], then [A057302]', async () => {
    const { accessToken, expiresAt } = await emu.createToken({ grantType: 'CLIENT_CREDENTIALS', scopes: ['read'], accessTokenDuration: 60 })
    clock.set(expiresAt + 1)
    const { body } = await introspect({ token: accessToken })
    expect(body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065303', resultMessage: '[A065303] The access token has expired.', refreshable: false })
    expect((await introspect({ token: accessToken })).body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A057302', existent: false })
  })

  it('insufficient scope -> FORBIDDEN [A064302] naming the missing scope, with scope="<required scopes>"', async () => {
    const { accessToken } = await emu.createToken({ subject: 'alice', scopes: ['read'] })
    const { body } = await introspect({ token: accessToken, scopes: ['read', 'write'] })
    expect(body).toMatchObject({ action: 'FORBIDDEN', resultCode: 'A064302', sufficient: false, existent: true })
    expect(body.responseContent).toBe(
      `Bearer error="insufficient_scope",error_description="[A064302] The access token does not cover the required scope 'write'.",error_uri="https://docs.authlete.com/#A064302",scope="read write"`,
    )
  })

  it('subject mismatch -> FORBIDDEN invalid_request [A066302]', async () => {
    const { accessToken } = await emu.createToken({ subject: 'alice' })
    expect((await introspect({ token: accessToken, subject: 'alice' })).body.action).toBe('OK')
    const { body } = await introspect({ token: accessToken, subject: 'bob' })
    expect(body).toMatchObject({ action: 'FORBIDDEN', resultCode: 'A066302' })
    expect(body.responseContent).toMatch(/^Bearer error="invalid_request",error_description="\[A066302\] [^"]+",error_uri="https:\/\/docs.authlete.com\/#A066302"$/)
  })

  it('resources not covered -> FORBIDDEN with the emulator\'s own code: no error_uri', async () => {
    const { accessToken } = await emu.createToken({ subject: 'alice', resources: ['https://rs.example.com'] })
    expect((await introspect({ token: accessToken, resources: ['https://rs.example.com'] })).body.action).toBe('OK')
    const { body } = await introspect({ token: accessToken, resources: ['https://other.example.com'] })
    expect(body).toMatchObject({ action: 'FORBIDDEN', resultCode: 'A056305', accessTokenResources: ['https://rs.example.com'] })
    expect(body.responseContent).toBe('Bearer error="insufficient_scope",error_description="[A056305] The access token does not cover the required resources."')
  })

  it('acrValues [A341302] and maxAge [A340301] -> FORBIDDEN insufficient_user_authentication, as Authlete answers', async () => {
    const authTime = Math.floor(clock.now() / 1000) - 900
    const { accessToken } = await emu.createToken({ subject: 'alice', acr: 'urn:mace:incommon:iap:silver', authTime })
    expect((await introspect({ token: accessToken, acrValues: ['urn:mace:incommon:iap:silver'], maxAge: 3600 })).body.action).toBe('OK')
    const acr = await introspect({ token: accessToken, acrValues: ['gold', 'platinum'] })
    expect(acr.body).toMatchObject({ action: 'FORBIDDEN', resultCode: 'A341302' })
    expect(acr.body.responseContent).toBe(
      `Bearer error="insufficient_user_authentication",error_description="[A341302] The authentication context class 'urn:mace:incommon:iap:silver' is insufficient.",error_uri="https://docs.authlete.com/#A341302",acr_values="gold platinum"`,
    )
    const maxAge = await introspect({ token: accessToken, maxAge: 600 })
    expect(maxAge.body).toMatchObject({ action: 'FORBIDDEN', resultCode: 'A340301' })
    expect(maxAge.body.responseContent).toBe(
      'Bearer error="insufficient_user_authentication",error_description="[A340301] The authentication time is too old.",error_uri="https://docs.authlete.com/#A340301",max_age="600"',
    )
  })
})

describe('/auth/introspection with DPoP-bound tokens (RFC 9449 §4.3, §7)', () => {
  it.each(['ES256', 'ES384', 'ES512', 'ES256K', 'RS256', 'RS512', 'PS256', 'PS384', 'EdDSA'] as const)('accepts a valid %s proof', async (alg) => {
    const key = await fixtureKeyPair(alg)
    const token = await boundToken(key)
    const { body } = await introspect({ token, dpop: await proofFor(key, token), htm: 'GET', htu: HTU, scopes: ['read'] })
    expect(body).toMatchObject({ action: 'OK', resultMessage: '[A056001] The access token is valid.', subject: 'alice' })
    expect(body.responseContent).toBe('Bearer error="invalid_request"')
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
      expect(noAth.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065310', resultMessage: expect.stringContaining("'ath'") })
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
      expect(body).toMatchObject({ resultCode: 'A065310', resultMessage: expect.stringContaining("'iat'") })
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
    /** A proof error: Authlete's own code, or A065310 "error processing the DPoP header" with `detail`. */
    const expectProofError = async (dpop: unknown, code: string, detail?: string, request: Record<string, unknown> = {}) => {
      const { status, body } = await introspect({ token, dpop, htm: 'GET', htu: HTU, ...request })
      expect(status).toBe(200)
      expect(body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: code })
      if (detail !== undefined) expect(body.resultMessage).toBe(`[A065310] There was an error processing the DPoP header: ${detail}`)
      const description = body.resultMessage.replace(/"/g, "'")
      expect(body.responseContent).toBe(
        `DPoP error="invalid_dpop_proof",error_description="${description}",error_uri="https://docs.authlete.com/#${code}",algs="${ALL_ALGS}"`,
      )
    }
    const iat = () => Math.floor(clock.now() / 1000)
    const claims = () => ({ jti: 'x1', htm: 'GET', htu: HTU, iat: iat() })

    it('alg none and HS256 -> [A065311] (symmetric or none)', async () => {
      await expectProofError(craftJwt({ typ: 'dpop+jwt', alg: 'none', jwk: key.publicJwk }, claims()), 'A065311')
      const k = Buffer.from('secret-secret-secret-secret-secr').toString('base64url')
      const unsigned = craftJwt({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k } }, claims()).slice(0, -1)
      const signature = createHmac('sha256', Buffer.from(k, 'base64url')).update(unsigned).digest('base64url')
      await expectProofError(`${unsigned}.${signature}`, 'A065311')
    })
    it('no alg -> [A065313]; an unknown asymmetric alg -> [A065310]', async () => {
      await expectProofError(await proofFor(key, token, { header: { alg: undefined } }), 'A065313')
      await expectProofError(craftJwt({ typ: 'dpop+jwt', alg: 'RSA-OAEP', jwk: key.publicJwk }, claims(), 'c2ln'), 'A065310', "The 'alg' header of the DPoP proof is not an allowed asymmetric algorithm.")
    })
    it('missing jwk -> [A065312]', async () => {
      await expectProofError(await proofFor(key, token, { header: { jwk: undefined } }), 'A065312')
    })
    it('jwk with private key members', async () => {
      const privateJwk = key.privateKey.export({ format: 'jwk' })
      await expectProofError(await proofFor(key, token, { header: { jwk: privateJwk } }), 'A065310', "The 'jwk' header of the DPoP proof contains private key material.")
    })
    it('wrong typ', async () => {
      const detail = "The 'typ' header of the DPoP proof is not 'dpop+jwt'."
      await expectProofError(await proofFor(key, token, { header: { typ: 'JWT' } }), 'A065310', detail)
      await expectProofError(await proofFor(key, token, { header: { typ: undefined } }), 'A065310', detail)
      await expectProofError(await proofFor(key, token, { header: { typ: ['dpop+jwt'] } }), 'A065310', detail)
    })
    it('typ is a media type, compared case-insensitively (RFC 7515 §4.1.9), as the guard compares it', async () => {
      for (const typ of ['DPOP+JWT', 'DPoP+JWT', 'dpop+JWT']) {
        const { body } = await introspect({ token, dpop: await proofFor(key, token, { header: { typ } }), htm: 'GET', htu: HTU })
        expect(body, typ).toMatchObject({ action: 'OK', resultCode: 'A056001' })
      }
    })
    it('jwk that does not fit alg, and an RSA key below 2048 bits', async () => {
      const detail = "The 'jwk' header of the DPoP proof is invalid, too weak or does not fit 'alg'."
      const rsa = await fixtureKeyPair('RS256')
      await expectProofError(await proofFor(key, token, { header: { jwk: rsa.publicJwk } }), 'A065310', detail)
      const weak = await fixtureKeyPair('RS256', { modulusLength: 1024 })
      const weakToken = await boundToken(weak)
      const { body } = await introspect({ token: weakToken, dpop: await proofFor(weak, weakToken), htm: 'GET', htu: HTU })
      expect(body.resultMessage).toBe(`[A065310] There was an error processing the DPoP header: ${detail}`)
    })
    it('RSA size is the modulus without leading zero octets, times 8 (as the guard measures it)', async () => {
      const padded = async (bits: number, octets: number) => {
        const made = await fixtureKeyPair('RS256', { modulusLength: bits })
        const n = Buffer.from(made.publicJwk.n ?? '', 'base64url')
        const publicJwk = { ...made.publicJwk, n: Buffer.concat([Buffer.alloc(octets - n.length), n]).toString('base64url') }
        return { ...made, publicJwk, thumbprint: jwkThumbprint(publicJwk) }
      }
      const verdict = async (made: DpopKeyPair) => {
        const madeToken = await boundToken(made)
        return (await introspect({ token: madeToken, dpop: await proofFor(made, madeToken), htm: 'GET', htu: HTU })).body
      }
      // A 2048-bit key whose n carries a leading zero octet (257 octets) is a 2048-bit key.
      expect(await verdict(await padded(2048, 257))).toMatchObject({ action: 'OK' })
      // A 2040-bit key zero-padded to 256 octets is still 255 octets of modulus: too weak.
      expect(await verdict(await padded(2040, 256))).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065310' })
      // A 2047-bit modulus is 256 octets but a 2047-bit number: refused, as the guard refuses it.
      expect(await verdict(await fixtureKeyPair('RS256', { modulusLength: 2047 }))).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065310' })
    })
    it('two JWTs: comma-joined, space-joined, dot-joined; not a string', async () => {
      const detail = 'The DPoP header is not a single JWT in compact serialization.'
      const a = await proofFor(key, token)
      const b = await proofFor(key, token)
      for (const dpop of [`${a}, ${b}`, `${a},${b}`, `${a} ${b}`, `${a}.${b}`, [a], 'not-a-jwt']) await expectProofError(dpop, 'A065310', detail)
    })
    it('bad signature: signed by another key, tampered payload', async () => {
      const detail = 'The signature of the DPoP proof is invalid.'
      const other = await createDpopKeyPair('ES256')
      await expectProofError(await proofFor(other, token, { header: { jwk: key.publicJwk } }), 'A065310', detail)
      const [h, , s] = (await proofFor(key, token)).split('.')
      const tampered = Buffer.from(JSON.stringify({ ...claims(), htm: 'POST' })).toString('base64url')
      await expectProofError(`${h}.${tampered}.${s}`, 'A065310', detail)
    })
    it('missing jti / iat, or htu of a wrong type', async () => {
      const detail = 'The DPoP proof lacks a mandatory claim (jti, htm, htu or iat) or has one of a wrong type.'
      await expectProofError(await proofFor(key, token, { claims: { jti: undefined } }), 'A065310', detail)
      await expectProofError(await proofFor(key, token, { claims: { iat: undefined } }), 'A065310', detail)
      await expectProofError(await proofFor(key, token, { claims: { htu: 42 } }), 'A065310', detail)
    })
    it('wrong htm', async () => {
      const detail = "The 'htm' claim of the DPoP proof does not match the HTTP method of the request."
      await expectProofError(await proofFor(key, token, { htm: 'POST' }), 'A065310', detail)
      await expectProofError(await proofFor(key, token, { htm: 'get' }), 'A065310', detail)
    })
    it('wrong htu (path, host, trailing slash, scheme)', async () => {
      const detail = "The 'htu' claim of the DPoP proof does not match the URL of the request."
      await expectProofError(await proofFor(key, token, { htu: 'https://rs.example.com/api/other' }), 'A065310', detail)
      await expectProofError(await proofFor(key, token, { htu: 'https://evil.example.com/api/me' }), 'A065310', detail)
      await expectProofError(await proofFor(key, token, { htu: `${HTU}/` }), 'A065310', detail)
      await expectProofError(await proofFor(key, token, { htu: 'http://rs.example.com/api/me' }), 'A065310', detail)
      await expectProofError(await proofFor(key, token), 'A065310', detail, { htu: undefined })
    })
    it('htu compared after normalisation (case, default port, query, fragment)', async () => {
      const dpop = await proofFor(key, token, { htu: 'HTTPS://RS.Example.com:443/api/me?ignored=1#frag' })
      const { body } = await introspect({ token, dpop, htm: 'GET', htu: 'https://rs.example.com/api/me?q=2' })
      expect(body.action).toBe('OK')
    })
    it('stale iat (> 300 s old) and future iat (> 60 s ahead); inside the window is fine', async () => {
      await expectProofError(await proofFor(key, token, { iat: iat() - 301 }), 'A065310', "The 'iat' claim of the DPoP proof is too old.")
      await expectProofError(await proofFor(key, token, { iat: iat() + 61 }), 'A065310', "The 'iat' claim of the DPoP proof is too far in the future.")
      expect((await introspect({ token, dpop: await proofFor(key, token, { iat: iat() - 299 }), htm: 'GET', htu: HTU })).body.action).toBe('OK')
      expect((await introspect({ token, dpop: await proofFor(key, token, { iat: iat() + 59 }), htm: 'GET', htu: HTU })).body.action).toBe('OK')
    })
    it('missing ath and ath of another token', async () => {
      await expectProofError(await createDpopProof(key, { htm: 'GET', htu: HTU, iat: iat() }), 'A065310', "The DPoP proof lacks the 'ath' claim required for resource access.")
      await expectProofError(await proofFor(key, 'some-other-token'), 'A065310', "The 'ath' claim of the DPoP proof does not match the hash of the access token.")
    })
    it('replayed jti -> the emulator\'s own A065317, without error_uri', async () => {
      const dpop = await proofFor(key, token)
      expect((await introspect({ token, dpop, htm: 'GET', htu: HTU })).body.action).toBe('OK')
      const { body } = await introspect({ token, dpop, htm: 'GET', htu: HTU })
      expect(body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065317' })
      expect(body.responseContent).toBe(
        `DPoP error="invalid_dpop_proof",error_description="[A065317] The 'jti' of the DPoP proof has already been used.",algs="${ALL_ALGS}"`,
      )
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
      `DPoP error="insufficient_scope",error_description="[A064302] The access token does not cover the required scope 'admin'.",error_uri="https://docs.authlete.com/#A064302",scope="admin",algs="${ALL_ALGS}"`,
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
    // Authlete's code for a missing nonce at introspection is unknown: the emulator's own, without error_uri.
    expect(missing.body.responseContent).toBe(
      `DPoP error="use_dpop_nonce",error_description="[A065316] The DPoP proof does not contain a valid server-issued nonce.",algs="${ALL_ALGS}"`,
    )
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
    const key = await fixtureKeyPair('PS256')
    const token = await boundToken(key)
    expect((await introspect({ token, dpop: await proofFor(key, token), htm: 'GET', htu: HTU })).body).not.toHaveProperty('dpopNonce')
    const forced = await introspect({ token, dpop: await proofFor(key, token), htm: 'GET', htu: HTU, dpopNonceRequired: true })
    expect(forced.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065316' })
    const ok = await introspect({ token, dpop: await proofFor(key, token, { nonce: forced.body.dpopNonce }), htm: 'GET', htu: HTU, dpopNonceRequired: true })
    expect(ok.body.action).toBe('OK')
  })
})

describe('DPoP nonces are Authlete 3.0 only: API V2 paths neither require nor return them', () => {
  it('service setting on: V2 accepts a proof without nonce and never returns dpopNonce; V3 still requires it', async () => {
    emu.configure({ dpopNonceRequired: true })
    const key = await createDpopKeyPair('ES256')
    const token = await boundToken(key)
    const v2 = await introspect({ token, dpop: await proofFor(key, token), htm: 'GET', htu: HTU }, 'V2')
    expect(v2.body).toMatchObject({ action: 'OK', resultCode: 'A056001' })
    expect(v2.body).not.toHaveProperty('dpopNonce')
    // Denials on V2 carry no nonce either.
    const denied = await introspect({ token, htm: 'GET', htu: HTU }, 'V2')
    expect(denied.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065308' })
    expect(denied.body).not.toHaveProperty('dpopNonce')
    const v3 = await introspect({ token, dpop: await proofFor(key, token), htm: 'GET', htu: HTU }, 'V3')
    expect(v3.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065316', dpopNonce: expect.any(String) })
  })

  it('a V2 request\'s dpopNonceRequired (not a V2 parameter) has no effect', async () => {
    const key = await createDpopKeyPair('ES256')
    const token = await boundToken(key)
    const v2 = await introspect({ token, dpop: await proofFor(key, token), htm: 'GET', htu: HTU, dpopNonceRequired: true }, 'V2')
    expect(v2.body).toMatchObject({ action: 'OK' })
    expect(v2.body).not.toHaveProperty('dpopNonce')
  })
})

describe('rejectReplayedProofs (whether Authlete refuses a reused jti is unknown)', () => {
  it('default true: emu.settings says so and a reused proof is refused', async () => {
    expect(emu.settings.rejectReplayedProofs).toBe(true)
    const key = await createDpopKeyPair('ES256')
    const token = await boundToken(key)
    const dpop = await proofFor(key, token)
    expect((await introspect({ token, dpop, htm: 'GET', htu: HTU })).body.action).toBe('OK')
    expect((await introspect({ token, dpop, htm: 'GET', htu: HTU })).body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065317' })
  })

  it('false: the same proof is accepted again and again; configure() turns the check back on', async () => {
    const lenient = await startEmulator({ now: clock.now, rejectReplayedProofs: false })
    try {
      expect(lenient.settings.rejectReplayedProofs).toBe(false)
      const key = await createDpopKeyPair('ES256')
      const { accessToken: token } = await lenient.createToken({ subject: 'alice', dpopKeyThumbprint: key.thumbprint })
      const dpop = await proofFor(key, token)
      for (let i = 0; i < 3; i++) {
        expect((await callApi(lenient, '/auth/introspection', { token, dpop, htm: 'GET', htu: HTU })).body.action).toBe('OK')
      }
      // Every other check still applies.
      expect((await callApi(lenient, '/auth/introspection', { token, dpop, htm: 'POST', htu: HTU })).body.resultCode).toBe('A065310')
      lenient.configure({ rejectReplayedProofs: true })
      expect((await callApi(lenient, '/auth/introspection', { token, dpop, htm: 'GET', htu: HTU })).body.action).toBe('OK')
      expect((await callApi(lenient, '/auth/introspection', { token, dpop, htm: 'GET', htu: HTU })).body.resultCode).toBe('A065317')
    } finally {
      await lenient.close()
    }
  })
})
