import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, DEFAULT_CLIENT, startEmulator, type DpopKeyPair, type Emulator } from '@authlete-guard/emulator'
import { fixtureKeyPair } from '../../../test/fixtures/keys'
import { callApi, loadFixture, manualClock } from './helpers'

const TOKEN_URL = 'https://as.example.com/token'
const RS_URL = 'https://rs.example.com/api/me'
const seed = loadFixture('seed-token-request.json')
const rfc = loadFixture('rfc9449.json')

let emu: Emulator
let clock: ReturnType<typeof manualClock>

beforeEach(async () => {
  clock = manualClock()
  emu = await startEmulator({
    now: clock.now,
    clients: [
      { clientId: 3300001, clientSecret: 'secret', dpopRequired: false, clientIdAlias: 'app' },
      { clientId: 3300002, clientSecret: 'secret2', dpopRequired: true },
      { clientId: 3300003, clientIdAlias: 'public-app' },
    ],
  })
})
afterEach(async () => {
  await emu.close()
})

const token = (body: Record<string, unknown>, version: 'V2' | 'V3' = 'V3') => callApi(emu, '/auth/token', body, { version })
const iat = () => Math.floor(clock.now() / 1000)
const proof = (key: DpopKeyPair, extra: Partial<Parameters<typeof createDpopProof>[1]> = {}) =>
  createDpopProof(key, { htm: 'POST', htu: TOKEN_URL, iat: iat(), ...extra })
const cc = 'grant_type=client_credentials&scope=read%20write'

describe('/auth/token client_credentials and client authentication', () => {
  it('OK with clientId/clientSecret fields: Bearer token usable at introspection', async () => {
    for (const version of ['V3', 'V2'] as const) {
      const { status, body } = await token({ parameters: cc, clientId: 3300001, clientSecret: 'secret' }, version)
      expect(status).toBe(200)
      expect(body).toMatchObject({
        action: 'OK',
        resultCode: 'A052001',
        resultMessage: '[A052001] The token request (grant_type=client_credentials) was processed successfully.',
        clientId: 3300001,
        scopes: ['read', 'write'],
        grantType: 'CLIENT_CREDENTIALS',
      })
      expect(body).not.toHaveProperty('refreshToken')
      const content = JSON.parse(body.responseContent)
      expect(content).toEqual({ access_token: body.accessToken, token_type: 'Bearer', expires_in: 3600, scope: 'read write' })
      const introspection = await callApi(emu, '/auth/introspection', { token: body.accessToken, scopes: ['write'] })
      expect(introspection.body).toMatchObject({ action: 'OK', clientId: 3300001, grantType: 'CLIENT_CREDENTIALS' })
      expect(introspection.body).not.toHaveProperty('subject')
    }
  })

  it('OK with client_id/client_secret in parameters, and by alias', async () => {
    const params = await token({ parameters: `${cc}&client_id=3300001&client_secret=secret` })
    expect(params.body.action).toBe('OK')
    const alias = await token({ parameters: cc, clientId: 'app', clientSecret: 'secret' })
    expect(alias.body).toMatchObject({ action: 'OK', clientId: 3300001, clientIdAlias: 'app', clientIdAliasUsed: true })
    const defaultClient = await token({ parameters: cc, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret })
    expect(defaultClient.body.action).toBe('OK')
  })

  it('unknown client, wrong or missing secret, conflicting ids -> INVALID_CLIENT', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ parameters: cc, clientId: 999, clientSecret: 'x' }, 'A050391'],
      [{ parameters: cc }, 'A050391'],
      [{ parameters: cc, clientId: 3300001, clientSecret: 'wrong' }, 'A050392'],
      [{ parameters: cc, clientId: 3300001 }, 'A050392'],
      [{ parameters: `${cc}&client_id=3300002`, clientId: 3300001, clientSecret: 'secret' }, 'A050391'],
    ]
    for (const [body, code] of cases) {
      const { body: response } = await token(body)
      expect(response).toMatchObject({ action: 'INVALID_CLIENT', resultCode: code })
      // The emulator's own codes: no error_uri pointing at Authlete's documentation.
      expect(JSON.parse(response.responseContent)).toEqual({ error: 'invalid_client', error_description: response.resultMessage })
    }
  })

  it('public client may not use client_credentials [A052301]', async () => {
    const { body } = await token({ parameters: cc, clientId: 'public-app' })
    expect(body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A052301' })
    expect(JSON.parse(body.responseContent).error).toBe('unauthorized_client')
  })

  it('missing parameters -> INTERNAL_SERVER_ERROR; missing/invalid/unsupported/duplicate grant_type -> BAD_REQUEST, with Authlete\'s codes (reference §9)', async () => {
    expect((await token({ clientId: 3300001 })).body).toMatchObject({ action: 'INTERNAL_SERVER_ERROR', resultCode: 'A050201' })
    const cases: [string, string, string][] = [
      ['scope=read', 'invalid_request', 'A049301'],
      ['grant_type=magic', 'unsupported_grant_type', 'A049304'],
      ['grant_type=password&username=a&password=b', 'unsupported_grant_type', 'A047101'],
      ['grant_type=urn:ietf:params:oauth:grant-type:device_code', 'unsupported_grant_type', 'A047101'],
      ['grant_type=client_credentials&grant_type=client_credentials', 'invalid_request', 'A049391'],
    ]
    for (const [parameters, error, code] of cases) {
      const { body } = await token({ parameters, clientId: 3300001, clientSecret: 'secret' })
      expect(body).toMatchObject({ action: 'BAD_REQUEST', resultCode: code })
      expect(JSON.parse(body.responseContent).error).toBe(error)
    }
  })
})

describe('/auth/token with DPoP (RFC 9449 §5)', () => {
  it.each(['ES256', 'RS256', 'PS256', 'EdDSA'] as const)('a %s proof binds the token: token_type DPoP, introspection needs the key', async (alg) => {
    const key = await fixtureKeyPair(alg)
    const { body } = await token({ parameters: cc, clientId: 3300001, clientSecret: 'secret', dpop: await proof(key), htm: 'POST', htu: TOKEN_URL })
    expect(body.action).toBe('OK')
    expect(JSON.parse(body.responseContent).token_type).toBe('DPoP')
    // Authlete's token response names no key: the binding shows only through introspection.
    expect(body).not.toHaveProperty('dpopKeyThumbprint')
    const accessToken = body.accessToken as string
    const standard = await callApi(emu, '/auth/introspection/standard', { parameters: `token=${accessToken}` })
    expect(JSON.parse(standard.body.responseContent).cnf).toEqual({ jkt: key.thumbprint })
    const noProof = await callApi(emu, '/auth/introspection', { token: accessToken })
    expect(noProof.body.resultCode).toBe('A065308')
    const dpop = await createDpopProof(key, { htm: 'GET', htu: RS_URL, accessToken, iat: iat() })
    expect((await callApi(emu, '/auth/introspection', { token: accessToken, dpop, htm: 'GET', htu: RS_URL })).body.action).toBe('OK')
  })

  it('htm defaults to POST; no ath is required at the token endpoint', async () => {
    const key = await createDpopKeyPair('ES256')
    const { body } = await token({ parameters: cc, clientId: 3300001, clientSecret: 'secret', dpop: await proof(key), htu: TOKEN_URL })
    expect(body.action).toBe('OK')
  })

  it('bad proofs -> BAD_REQUEST invalid_dpop_proof: [A254301] with what was wrong, [A254303] without a jwk', async () => {
    const key = await createDpopKeyPair('ES256')
    const cases: [string, string, string][] = [
      [await proof(key, { htu: 'https://as.example.com/other' }), 'A254301', "There was a problem processing the DPoP header: The 'htu' claim of the DPoP proof does not match the URL of the request."],
      [await proof(key, { htm: 'GET' }), 'A254301', "There was a problem processing the DPoP header: The 'htm' claim of the DPoP proof does not match the HTTP method of the request."],
      [await proof(key, { header: { typ: 'jwt' } }), 'A254301', "There was a problem processing the DPoP header: The 'typ' header of the DPoP proof is not 'dpop+jwt'."],
      [await proof(key, { iat: iat() - 1000 }), 'A254301', "There was a problem processing the DPoP header: The 'iat' claim of the DPoP proof is too old."],
      [await proof(key, { header: { alg: 'none' } }), 'A254301', "There was a problem processing the DPoP header: The algorithm of the DPoP proof is symmetric or 'none'."],
      [await proof(key, { header: { jwk: undefined } }), 'A254303', "The DPoP proof does not contain a 'jwk' header."],
    ]
    for (const [dpop, code, message] of cases) {
      const { body } = await token({ parameters: cc, clientId: 3300001, clientSecret: 'secret', dpop, htm: 'POST', htu: TOKEN_URL })
      expect(body).toMatchObject({ action: 'BAD_REQUEST', resultCode: code, resultMessage: `[${code}] ${message}` })
      expect(JSON.parse(body.responseContent)).toEqual({
        error: 'invalid_dpop_proof',
        error_description: `[${code}] ${message}`.replace(/"/g, "'"),
        error_uri: `https://docs.authlete.com/#${code}`,
      })
    }
  })

  it('nonce required: missing/wrong -> BAD_REQUEST use_dpop_nonce with dpopNonce; the nonce -> OK with dpopNonce', async () => {
    emu.configure({ dpopNonceRequired: true })
    const key = await createDpopKeyPair('ES256')
    const first = await token({ parameters: cc, clientId: 3300001, clientSecret: 'secret', dpop: await proof(key), htm: 'POST', htu: TOKEN_URL })
    expect(first.body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A254307' })
    expect(JSON.parse(first.body.responseContent)).toMatchObject({ error: 'use_dpop_nonce', error_uri: 'https://docs.authlete.com/#A254307' })
    const nonce = first.body.dpopNonce
    expect(nonce).toEqual(expect.any(String))
    const wrong = await token({ parameters: cc, clientId: 3300001, clientSecret: 'secret', dpop: await proof(key, { nonce: 'x' }), htm: 'POST', htu: TOKEN_URL })
    expect(JSON.parse(wrong.body.responseContent).error).toBe('use_dpop_nonce')
    const ok = await token({ parameters: cc, clientId: 3300001, clientSecret: 'secret', dpop: await proof(key, { nonce }), htm: 'POST', htu: TOKEN_URL })
    expect(ok.body).toMatchObject({ action: 'OK', dpopNonce: nonce })
    // Every outcome carries the nonce, even a client error.
    expect((await token({ parameters: cc, clientId: 1 })).body).toMatchObject({ action: 'INVALID_CLIENT', dpopNonce: nonce })
  })

  it('V2 (Authlete 2.x has no nonces): the service setting and a request\'s dpopNonceRequired are ignored, no dpopNonce', async () => {
    emu.configure({ dpopNonceRequired: true })
    const key = await createDpopKeyPair('ES256')
    for (const dpopNonceRequired of [undefined, true]) {
      const { body } = await token({ parameters: cc, clientId: 3300001, clientSecret: 'secret', dpop: await proof(key), htm: 'POST', htu: TOKEN_URL, dpopNonceRequired }, 'V2')
      expect(body).toMatchObject({ action: 'OK', resultCode: 'A052001' })
      expect(body).not.toHaveProperty('dpopNonce')
    }
    const denied = await token({ parameters: cc, clientId: 1 }, 'V2')
    expect(denied.body.action).toBe('INVALID_CLIENT')
    expect(denied.body).not.toHaveProperty('dpopNonce')
    // The same request on V3 still needs the nonce.
    const v3 = await token({ parameters: cc, clientId: 3300001, clientSecret: 'secret', dpop: await proof(key), htm: 'POST', htu: TOKEN_URL })
    expect(v3.body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A254307', dpopNonce: expect.any(String) })
  })

  it('a proof whose typ differs only in case (DPOP+JWT) is accepted, as the guard accepts it', async () => {
    const key = await createDpopKeyPair('ES256')
    const { body } = await token({ parameters: cc, clientId: 3300001, clientSecret: 'secret', dpop: await proof(key, { header: { typ: 'DPOP+JWT' } }), htm: 'POST', htu: TOKEN_URL })
    expect(body).toMatchObject({ action: 'OK' })
    expect(JSON.parse(body.responseContent).token_type).toBe('DPoP')
  })

  it('a dpopRequired client without a proof -> BAD_REQUEST invalid_dpop_proof', async () => {
    const { body } = await token({ parameters: cc, clientId: 3300002, clientSecret: 'secret2' })
    expect(body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A050393' })
    expect(JSON.parse(body.responseContent).error).toBe('invalid_dpop_proof')
    const key = await createDpopKeyPair('ES256')
    const ok = await token({ parameters: cc, clientId: 3300002, clientSecret: 'secret2', dpop: await proof(key), htu: TOKEN_URL })
    expect(ok.body.action).toBe('OK')
  })

  it('accepts the seed document token request (RS256) under its fixed clock', async () => {
    const fixed = await startEmulator({ now: () => seed.fixed_now_for_tests * 1000, clients: [{ clientId: 4400001, clientIdAlias: 's6BhdRkqt3' }] })
    try {
      await fixed.createAuthorizationCode({ clientId: 's6BhdRkqt3', subject: 'alice', scopes: ['read'], code: 'SplxlOBeZQQYbYS6WxSbIA', redirectUri: 'https://client.example.org/cb' })
      const { body } = await callApi(fixed, '/auth/token', seed.expected_authlete_token_request)
      expect(body).toMatchObject({ action: 'OK', resultCode: 'A050001', subject: 'alice', scopes: ['read'], clientIdAliasUsed: true })
      expect(body).not.toHaveProperty('dpopKeyThumbprint')
      expect(body.resultMessage).toBe(seed.example_authlete_token_response.resultMessage)
      const standard = await callApi(fixed, '/auth/introspection/standard', { parameters: `token=${body.accessToken}` })
      expect(JSON.parse(standard.body.responseContent).cnf).toEqual({ jkt: seed.decoded_proof.jwk_thumbprint })
      const content = JSON.parse(body.responseContent)
      expect(content).toMatchObject({ access_token: body.accessToken, token_type: 'DPoP', scope: 'read', refresh_token: body.refreshToken })
      // The same request again: the proof is a replay.
      const again = await callApi(fixed, '/auth/token', seed.expected_authlete_token_request)
      expect(again.body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A065317' })
    } finally {
      await fixed.close()
    }
  })

  it('rejectReplayedProofs: false accepts the seed proof twice (the second request fails on the used code instead)', async () => {
    const fixed = await startEmulator({ now: () => seed.fixed_now_for_tests * 1000, rejectReplayedProofs: false, clients: [{ clientId: 4400001, clientIdAlias: 's6BhdRkqt3' }] })
    try {
      await fixed.createAuthorizationCode({ clientId: 's6BhdRkqt3', subject: 'alice', scopes: ['read'], code: 'SplxlOBeZQQYbYS6WxSbIA', redirectUri: 'https://client.example.org/cb' })
      expect((await callApi(fixed, '/auth/token', seed.expected_authlete_token_request)).body.action).toBe('OK')
      const again = await callApi(fixed, '/auth/token', seed.expected_authlete_token_request)
      expect(again.body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A050305' })
    } finally {
      await fixed.close()
    }
  })

  it('the seed proof is refused outside its iat window and with another htu', async () => {
    const late = await startEmulator({ now: () => (seed.fixed_now_for_tests + 3600) * 1000, clients: [{ clientId: 4400001, clientIdAlias: 's6BhdRkqt3' }] })
    try {
      const { body } = await callApi(late, '/auth/token', seed.expected_authlete_token_request)
      expect(body).toMatchObject({ resultCode: 'A254301', resultMessage: expect.stringContaining("'iat'") })
      const otherHtu = await callApi(late, '/auth/token', { ...seed.expected_authlete_token_request, htu: 'https://as.example.com/token2' })
      expect(otherHtu.body).toMatchObject({ resultCode: 'A254301', resultMessage: expect.stringContaining("'htu'") })
    } finally {
      await late.close()
    }
  })

  it('accepts the RFC 9449 §4.1 token request proof under its fixed clock', async () => {
    const fixed = await startEmulator({ now: () => 1562262616_000 })
    try {
      const { body } = await callApi(fixed, '/auth/token', {
        parameters: cc,
        clientId: DEFAULT_CLIENT.clientId,
        clientSecret: DEFAULT_CLIENT.clientSecret,
        dpop: rfc.token_request_example.dpop_proof,
        htm: 'POST',
        htu: rfc.token_request_example.url,
      })
      expect(body).toMatchObject({ action: 'OK', resultCode: 'A052001' })
      const standard = await callApi(fixed, '/auth/introspection/standard', { parameters: `token=${body.accessToken}` })
      expect(JSON.parse(standard.body.responseContent).cnf).toEqual({ jkt: rfc.rs_request_example.expected_jkt })
    } finally {
      await fixed.close()
    }
  })
})

describe('/auth/token authorization_code', () => {
  const exchange = (code: string, extra = '') =>
    token({ parameters: `grant_type=authorization_code&code=${code}&redirect_uri=${encodeURIComponent('https://app/cb')}${extra}`, clientId: 3300001, clientSecret: 'secret' })

  it('exchanges a code once; a replay fails and revokes what it issued', async () => {
    const code = await emu.createAuthorizationCode({ clientId: 3300001, subject: 'alice', scopes: ['openid', 'read'], redirectUri: 'https://app/cb' })
    const { body } = await exchange(code)
    expect(body).toMatchObject({ action: 'OK', resultCode: 'A050001', subject: 'alice', grantType: 'AUTHORIZATION_CODE', scopes: ['openid', 'read'] })
    expect(body.refreshToken).toEqual(expect.any(String))
    expect(JSON.parse(body.responseContent)).toEqual({
      access_token: body.accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'openid read',
      refresh_token: body.refreshToken,
    })
    const replay = await exchange(code)
    expect(replay.body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A050305' })
    expect(JSON.parse(replay.body.responseContent).error).toBe('invalid_grant')
    expect((await callApi(emu, '/auth/introspection', { token: body.accessToken })).body.action).toBe('UNAUTHORIZED')
  })

  it('wrong redirect_uri [A050309], unknown code, another client, expired code [A050305], missing code [A048315]', async () => {
    const code = await emu.createAuthorizationCode({ clientId: 3300001, subject: 'alice', redirectUri: 'https://app/cb' })
    const wrongRedirect = await token({ parameters: `grant_type=authorization_code&code=${code}&redirect_uri=https%3A%2F%2Fevil%2Fcb`, clientId: 3300001, clientSecret: 'secret' })
    expect(wrongRedirect.body.resultCode).toBe('A050309')
    // Authlete's own codes: the error body links its documentation.
    expect(JSON.parse(wrongRedirect.body.responseContent)).toMatchObject({ error: 'invalid_grant', error_uri: 'https://docs.authlete.com/#A050309' })
    expect((await exchange('unknown')).body.resultCode).toBe('A050305')
    const foreign = await emu.createAuthorizationCode({ subject: 'alice' })
    expect((await exchange(foreign)).body.resultCode).toBe('A050305')
    const shortLived = await emu.createAuthorizationCode({ clientId: 3300001, subject: 'alice', duration: 10 })
    clock.advance(11_000)
    expect((await exchange(shortLived)).body.resultCode).toBe('A050305')
    const missing = await token({ parameters: 'grant_type=authorization_code', clientId: 3300001, clientSecret: 'secret' })
    expect(missing.body.resultCode).toBe('A048315')
  })

  it('PKCE S256', async () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
    const challenge = createHash('sha256').update(verifier).digest('base64url')
    const code = await emu.createAuthorizationCode({ clientId: 3300001, subject: 'alice', codeChallenge: challenge })
    expect((await exchange(code)).body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A050312' })
    expect((await exchange(code, '&code_verifier=wrong')).body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A050315' })
    expect((await exchange(code, `&code_verifier=${verifier}`)).body.action).toBe('OK')
  })

  it('dpop_jkt of the authorization request must match the proof key', async () => {
    const key = await createDpopKeyPair('ES256')
    const other = await createDpopKeyPair('ES256')
    const code = await emu.createAuthorizationCode({ clientId: 3300001, subject: 'alice', dpopJkt: key.thumbprint })
    const params = `grant_type=authorization_code&code=${code}`
    const mismatch = await token({ parameters: params, clientId: 3300001, clientSecret: 'secret', dpop: await proof(other), htu: TOKEN_URL })
    expect(mismatch.body.resultCode).toBe('A050316')
    const ok = await token({ parameters: params, clientId: 3300001, clientSecret: 'secret', dpop: await proof(key), htu: TOKEN_URL })
    expect(ok.body.action).toBe('OK')
  })
})

describe('/auth/token refresh_token', () => {
  async function dpopGrant(key: DpopKeyPair) {
    const code = await emu.createAuthorizationCode({ clientId: 3300001, subject: 'alice', scopes: ['read', 'write'] })
    const { body } = await token({ parameters: `grant_type=authorization_code&code=${code}`, clientId: 3300001, clientSecret: 'secret', dpop: await proof(key), htu: TOKEN_URL })
    expect(body.action).toBe('OK')
    return body as { accessToken: string; refreshToken: string }
  }
  const refresh = async (refreshToken: string, dpop?: string, extra = '') =>
    token({ parameters: `grant_type=refresh_token&refresh_token=${refreshToken}${extra}`, clientId: 3300001, clientSecret: 'secret', dpop, htu: TOKEN_URL })

  it('a DPoP-bound grant refreshes only with a proof by the same key; the new token stays bound', async () => {
    const key = await createDpopKeyPair('EdDSA')
    const other = await createDpopKeyPair('EdDSA')
    const grant = await dpopGrant(key)
    expect((await refresh(grant.refreshToken)).body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A053392' })
    const wrongKey = await refresh(grant.refreshToken, await proof(other))
    expect(wrongKey.body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A053311' })
    expect(JSON.parse(wrongKey.body.responseContent)).toEqual({ error: 'invalid_dpop_proof', error_description: wrongKey.body.resultMessage, error_uri: 'https://docs.authlete.com/#A053311' })
    const ok = await refresh(grant.refreshToken, await proof(key), '&scope=read')
    expect(ok.body).toMatchObject({ action: 'OK', resultCode: 'A053001', scopes: ['read'], grantType: 'REFRESH_TOKEN' })
    expect(ok.body).not.toHaveProperty('dpopKeyThumbprint')
    expect(JSON.parse(ok.body.responseContent).token_type).toBe('DPoP')
    expect(ok.body.refreshToken).not.toBe(grant.refreshToken)
    // The old pair is gone.
    expect((await callApi(emu, '/auth/introspection', { token: grant.accessToken })).body.resultCode).toBe('A057302')
    expect((await refresh(grant.refreshToken, await proof(key))).body.resultCode).toBe('A053305')
  })

  it('scope beyond the grant -> invalid_scope; unknown / expired refresh token -> invalid_grant', async () => {
    const code = await emu.createAuthorizationCode({ clientId: 3300001, subject: 'alice', scopes: ['read'] })
    const grant = (await token({ parameters: `grant_type=authorization_code&code=${code}`, clientId: 3300001, clientSecret: 'secret' })).body
    const wide = await refresh(grant.refreshToken, undefined, '&scope=admin')
    expect(wide.body.resultCode).toBe('A053393')
    expect(JSON.parse(wide.body.responseContent).error).toBe('invalid_scope')
    expect((await refresh('unknown')).body.resultCode).toBe('A053305')
    expect((await token({ parameters: 'grant_type=refresh_token', clientId: 3300001, clientSecret: 'secret' })).body.resultCode).toBe('A053391')
    clock.advance(86_400_000)
    expect((await refresh(grant.refreshToken)).body.resultCode).toBe('A053305')
  })
})
