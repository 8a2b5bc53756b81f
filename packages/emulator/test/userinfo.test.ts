import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type Emulator } from '@authlete-guard/emulator'
import { ALL_ALGS, callApi } from './helpers'

const USERINFO = 'https://as.example.com/userinfo'
let emu: Emulator
beforeEach(async () => {
  emu = await startEmulator({ clients: [{ clientId: 3300001, clientSecret: 's' }, { clientId: 3300009, clientSecret: 's', userInfoSignedResponse: true }] })
})
afterEach(async () => {
  await emu.close()
})

async function codeGrant(options: { clientId?: number; scopes: string[]; claims?: string[] | { userinfo: Record<string, unknown> }; dpop?: string }) {
  const clientId = options.clientId ?? 3300001
  const code = await emu.createAuthorizationCode({ clientId, subject: 'alice', scopes: options.scopes, claims: options.claims })
  const { body } = await callApi(emu, '/auth/token', { parameters: `grant_type=authorization_code&code=${code}`, clientId, clientSecret: 's', dpop: options.dpop, htu: 'https://as.example.com/token' })
  expect(body.action).toBe('OK')
  return body.accessToken as string
}

describe('/auth/userinfo', () => {
  it('OK with the claim names from scopes and the claims request', async () => {
    const token = await codeGrant({ scopes: ['openid', 'email', 'phone'], claims: { userinfo: { nickname: null, 'https://example.com/role': null } } })
    const { body } = await callApi(emu, '/auth/userinfo', { token })
    expect(body).toMatchObject({ type: 'userInfoResponse', action: 'OK', resultCode: 'A091001', subject: 'alice', clientId: 3300001, scopes: ['openid', 'email', 'phone'], token })
    expect(body.claims).toEqual(['email', 'email_verified', 'phone_number', 'phone_number_verified', 'nickname', 'https://example.com/role'])
  })

  it('no openid scope -> FORBIDDEN insufficient_scope; unknown token -> UNAUTHORIZED; no token -> BAD_REQUEST', async () => {
    const token = await codeGrant({ scopes: ['profile'] })
    const forbidden = await callApi(emu, '/auth/userinfo', { token })
    expect(forbidden.body).toMatchObject({ action: 'FORBIDDEN', resultCode: 'A091303' })
    expect(forbidden.body.responseContent).toBe(
      // An emulator code (Authlete's is unknown): no error_uri.
      'Bearer error="insufficient_scope",error_description="[A091303] The access token does not cover the \'openid\' scope.",scope="openid"',
    )
    expect((await callApi(emu, '/auth/userinfo', { token: 'nope' })).body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A091301' })
    expect((await callApi(emu, '/auth/userinfo', {})).body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A091201' })
  })

  it('DPoP-bound token: no proof [A089311] invalid_token; another key [A089312] and other proof errors [A089313] invalid_dpop_proof', async () => {
    const key = await createDpopKeyPair('RS256')
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
})

describe('/auth/userinfo/issue', () => {
  it('JSON: sub plus the collected claims (sub cannot be overridden by claims)', async () => {
    const token = await codeGrant({ scopes: ['openid', 'profile'] })
    const { body } = await callApi(emu, '/auth/userinfo/issue', { token, claims: JSON.stringify({ name: 'Alice', sub: 'mallory' }) })
    expect(body).toMatchObject({ type: 'userInfoIssueResponse', action: 'JSON', resultCode: 'A096001' })
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

  it('errors: unknown token -> UNAUTHORIZED, claims not an object -> INTERNAL_SERVER_ERROR, no token -> BAD_REQUEST', async () => {
    const token = await codeGrant({ scopes: ['openid'] })
    expect((await callApi(emu, '/auth/userinfo/issue', { token: 'nope' })).body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A091301' })
    expect((await callApi(emu, '/auth/userinfo/issue', { token, claims: '[1]' })).body).toMatchObject({ action: 'INTERNAL_SERVER_ERROR', resultCode: 'A092201' })
    expect((await callApi(emu, '/auth/userinfo/issue', { token, claims: '{bad' })).body.action).toBe('INTERNAL_SERVER_ERROR')
    expect((await callApi(emu, '/auth/userinfo/issue', {})).body.action).toBe('BAD_REQUEST')
  })
})
