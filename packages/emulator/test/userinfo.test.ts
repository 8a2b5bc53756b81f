import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type Emulator } from '@authlete-guard/emulator'
import { fixtureKeyPair } from '../../../test/fixtures/keys'
import { ALL_ALGS, callApi } from './helpers'

const USERINFO = 'https://as.example.com/userinfo'
let emu: Emulator
beforeEach(async () => {
  emu = await startEmulator({ clients: [{ clientId: 3300001, clientSecret: 's' }, { clientId: 3300009, clientSecret: 's', userInfoSignedResponse: true }] })
})
afterEach(async () => {
  await emu.close()
})

async function codeGrant(options: { clientId?: number; scopes: string[]; claims?: string[] | { userinfo: Record<string, unknown> }; dpop?: string; acr?: string }) {
  const clientId = options.clientId ?? 3300001
  const code = await emu.createAuthorizationCode({ clientId, subject: 'alice', scopes: options.scopes, claims: options.claims, acr: options.acr })
  const { body } = await callApi(emu, '/auth/token', { parameters: `grant_type=authorization_code&code=${code}`, clientId, clientSecret: 's', dpop: options.dpop, htu: 'https://as.example.com/token' })
  expect(body.action).toBe('OK')
  return body.accessToken as string
}

describe('/auth/userinfo', () => {
  it('OK with the claim names from scopes and the claims request', async () => {
    const token = await codeGrant({ scopes: ['openid', 'email', 'phone'], claims: { userinfo: { nickname: null, 'https://example.com/role': null } }, acr: 'urn:acr:1' })
    const { body } = await callApi(emu, '/auth/userinfo', { token })
    expect(body).toMatchObject({ action: 'OK', resultCode: 'A091001', subject: 'alice', clientId: 3300001, scopes: ['openid', 'email', 'phone'], token })
    // Authlete's UserInfo reply has no acr, authTime or type (reference §9), even for a token that has an acr.
    for (const member of ['acr', 'authTime', 'type']) expect(body).not.toHaveProperty(member)
    expect(body.claims).toEqual(['email', 'email_verified', 'phone_number', 'phone_number_verified', 'nickname', 'https://example.com/role'])
  })

  it('no openid scope -> FORBIDDEN insufficient_scope [A089304]; unknown token -> UNAUTHORIZED [A088302]; no token -> BAD_REQUEST [A088301]', async () => {
    const token = await codeGrant({ scopes: ['profile'] })
    const forbidden = await callApi(emu, '/auth/userinfo', { token })
    expect(forbidden.body).toMatchObject({ action: 'FORBIDDEN', resultCode: 'A089304' })
    expect(forbidden.body.responseContent).toBe(
      'Bearer error="insufficient_scope",error_description="[A089304] The access token does not cover the \'openid\' scope.",error_uri="https://docs.authlete.com/#A089304",scope="openid"',
    )
    expect((await callApi(emu, '/auth/userinfo', { token: 'nope' })).body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A088302' })
    expect((await callApi(emu, '/auth/userinfo', {})).body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A088301' })
  })

  it('expired token -> UNAUTHORIZED by its refresh token: A089301 (refreshable), A089302 (expired too), A089303 (none)', async () => {
    const clock = { now: Date.now() }
    const timed = await startEmulator({ now: () => clock.now, accessTokenDuration: 60, refreshTokenDuration: 120 })
    try {
      const refreshable = await timed.createToken({ subject: 'alice', scopes: ['openid'] })
      const refreshExpired = await timed.createToken({ subject: 'alice', scopes: ['openid'], refreshTokenDuration: 61 })
      const noRefresh = await timed.createToken({ grantType: 'CLIENT_CREDENTIALS', scopes: ['openid'] })
      clock.now += 90_000
      const cases: [string, string][] = [[refreshable.accessToken, 'A089301'], [refreshExpired.accessToken, 'A089302'], [noRefresh.accessToken, 'A089303']]
      for (const [token, code] of cases) {
        expect((await callApi(timed, '/auth/userinfo', { token })).body, code).toMatchObject({ action: 'UNAUTHORIZED', resultCode: code })
      }
    } finally {
      await timed.close()
    }
  })

  it('DPoP-bound token: no proof [A089311] invalid_token; another key [A089312] and other proof errors [A089313] invalid_dpop_proof', async () => {
    const key = await fixtureKeyPair('RS256')
    const token = await codeGrant({ scopes: ['openid', 'profile'], dpop: await createDpopProof(key, { htm: 'POST', htu: 'https://as.example.com/token' }) })
    const missing = await callApi(emu, '/auth/userinfo', { token, htu: USERINFO })
    expect(missing.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A089311' })
    expect(missing.body.responseContent).toBe(
      `DPoP error="invalid_token",error_description="[A089311] Expected a DPoP header but none was provided.",error_uri="https://docs.authlete.com/#A089311",algs="${ALL_ALGS}"`,
    )
    const other = await createDpopKeyPair('ES256')
    const wrongKey = await callApi(emu, '/auth/userinfo', { token, htu: USERINFO, dpop: await createDpopProof(other, { htm: 'GET', htu: USERINFO, accessToken: token }) })
    expect(wrongKey.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A089312' })
    expect(wrongKey.body.responseContent).toBe(
      `DPoP error="invalid_dpop_proof",error_description="[A089312] Thumbprint of the provided DPoP key does not match the expected DPoP thumbprint.",error_uri="https://docs.authlete.com/#A089312",algs="${ALL_ALGS}"`,
    )
    const noAth = await callApi(emu, '/auth/userinfo', { token, htu: USERINFO, dpop: await createDpopProof(key, { htm: 'GET', htu: USERINFO }) })
    expect(noAth.body).toMatchObject({
      action: 'UNAUTHORIZED',
      resultCode: 'A089313',
      resultMessage: "[A089313] There was an error processing the DPoP header: The DPoP proof lacks the 'ath' claim required for resource access.",
    })
    expect(noAth.body.responseContent).toMatch(/^DPoP error="invalid_dpop_proof",error_description="\[A089313\] [^"]+",error_uri="https:\/\/docs.authlete.com\/#A089313",algs="/)
    const bad = await callApi(emu, '/auth/userinfo', { token, htu: USERINFO, dpop: await createDpopProof(key, { htm: 'POST', htu: USERINFO, accessToken: token }) })
    expect(bad.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A089313', resultMessage: expect.stringContaining("'htm'") })
    const ok = await callApi(emu, '/auth/userinfo', { token, htu: USERINFO, dpop: await createDpopProof(key, { htm: 'GET', htu: USERINFO, accessToken: token }) })
    expect(ok.body).toMatchObject({ action: 'OK', subject: 'alice' })
    expect(ok.body.claims).toContain('name')
  })

  it('nonce required -> use_dpop_nonce then OK with dpopNonce', async () => {
    const key = await createDpopKeyPair('ES256')
    const token = await codeGrant({ scopes: ['openid'], dpop: await createDpopProof(key, { htm: 'POST', htu: 'https://as.example.com/token' }) })
    emu.configure({ dpopNonceRequired: true })
    const first = await callApi(emu, '/auth/userinfo', { token, htm: 'GET', htu: USERINFO, dpop: await createDpopProof(key, { htm: 'GET', htu: USERINFO, accessToken: token }) })
    expect(first.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A065316' })
    const nonce = first.body.dpopNonce
    const ok = await callApi(emu, '/auth/userinfo', { token, htm: 'GET', htu: USERINFO, dpop: await createDpopProof(key, { htm: 'GET', htu: USERINFO, accessToken: token, nonce }) })
    expect(ok.body).toMatchObject({ action: 'OK', dpopNonce: nonce })
  })

  it('V2 (Authlete 2.x has no nonces): no nonce is required or returned, whatever the setting or request says', async () => {
    const key = await createDpopKeyPair('ES256')
    const token = await codeGrant({ scopes: ['openid'], dpop: await createDpopProof(key, { htm: 'POST', htu: 'https://as.example.com/token' }) })
    emu.configure({ dpopNonceRequired: true })
    const v2 = await callApi(emu, '/auth/userinfo', { token, htm: 'GET', htu: USERINFO, dpopNonceRequired: true, dpop: await createDpopProof(key, { htm: 'GET', htu: USERINFO, accessToken: token }) }, { version: 'V2' })
    expect(v2.body).toMatchObject({ action: 'OK', subject: 'alice' })
    expect(v2.body).not.toHaveProperty('dpopNonce')
  })

  it('a proof whose typ is DPOP+JWT is accepted', async () => {
    const key = await createDpopKeyPair('ES256')
    const token = await codeGrant({ scopes: ['openid'], dpop: await createDpopProof(key, { htm: 'POST', htu: 'https://as.example.com/token' }) })
    const dpop = await createDpopProof(key, { htm: 'GET', htu: USERINFO, accessToken: token, header: { typ: 'DPOP+JWT' } })
    expect((await callApi(emu, '/auth/userinfo', { token, htu: USERINFO, dpop })).body).toMatchObject({ action: 'OK' })
  })
})

describe('/auth/userinfo/issue', () => {
  it('JSON: sub plus the collected claims (sub cannot be overridden by claims)', async () => {
    const token = await codeGrant({ scopes: ['openid', 'profile'] })
    const { body } = await callApi(emu, '/auth/userinfo/issue', { token, claims: JSON.stringify({ name: 'Alice', sub: 'mallory' }) })
    expect(body).toMatchObject({ action: 'JSON', resultCode: 'A096001' })
    expect(body).not.toHaveProperty('type')
    expect(JSON.parse(body.responseContent)).toEqual({ sub: 'alice', name: 'Alice' })
    const pairwise = await callApi(emu, '/auth/userinfo/issue', { token, sub: 'pairwise-1' })
    expect(JSON.parse(pairwise.body.responseContent)).toEqual({ sub: 'pairwise-1' })
  })

  it('JWT when the client wants signed UserInfo', async () => {
    const token = await codeGrant({ clientId: 3300009, scopes: ['openid'] })
    const { body } = await callApi(emu, '/auth/userinfo/issue', { token, claims: '{"email":"a@example.com"}' })
    expect(body.action).toBe('JWT')
    const [header, payload, signature] = (body.responseContent as string).split('.')
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toMatchObject({ alg: 'ES256', typ: 'JWT' })
    expect(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())).toMatchObject({ sub: 'alice', email: 'a@example.com', aud: '3300009', iss: emu.url })
    expect(signature).toMatch(/^[A-Za-z0-9_-]{86}$/)
  })

  it('errors: unknown token -> UNAUTHORIZED, claims not an object -> INTERNAL_SERVER_ERROR [A094201], no token -> BAD_REQUEST', async () => {
    const token = await codeGrant({ scopes: ['openid'] })
    expect((await callApi(emu, '/auth/userinfo/issue', { token: 'nope' })).body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A094391' })
    expect((await callApi(emu, '/auth/userinfo/issue', { token, claims: '[1]' })).body).toMatchObject({ action: 'INTERNAL_SERVER_ERROR', resultCode: 'A094201' })
    expect((await callApi(emu, '/auth/userinfo/issue', { token, claims: '{bad' })).body.action).toBe('INTERNAL_SERVER_ERROR')
    expect((await callApi(emu, '/auth/userinfo/issue', {})).body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A094291' })
  })

  it('takes no DPoP proof (not an issue parameter) and never answers dpopNonce', async () => {
    const key = await createDpopKeyPair('ES256')
    const token = await codeGrant({ scopes: ['openid'], dpop: await createDpopProof(key, { htm: 'POST', htu: 'https://as.example.com/token' }) })
    emu.configure({ dpopNonceRequired: true })
    const { body } = await callApi(emu, '/auth/userinfo/issue', { token, claims: '{}', dpop: 'not-a-proof' })
    expect(body).toMatchObject({ action: 'JSON', resultCode: 'A096001' })
    expect(body).not.toHaveProperty('dpopNonce')
  })
})
