import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '@authlete-guard/emulator'
import { callApi } from './helpers'

let emu: Emulator
beforeEach(async () => {
  emu = await startEmulator({ clients: [{ clientId: 3300001, clientSecret: 'secret' }, { clientId: 3300002, clientSecret: 'secret2' }] })
})
afterEach(async () => {
  await emu.close()
})

async function grant() {
  const code = await emu.createAuthorizationCode({ clientId: 3300001, subject: 'alice', scopes: ['read'] })
  const { body } = await callApi(emu, '/auth/token', { parameters: `grant_type=authorization_code&code=${code}`, clientId: 3300001, clientSecret: 'secret' })
  return body as { accessToken: string; refreshToken: string }
}

describe('/auth/revocation', () => {
  it('revoking an access token: OK, then introspection says invalid_token and the refresh token is dead too', async () => {
    const { accessToken, refreshToken } = await grant()
    expect((await callApi(emu, '/auth/introspection', { token: accessToken })).body.action).toBe('OK')
    const { body } = await callApi(emu, '/auth/revocation', { parameters: `token=${accessToken}&token_type_hint=access_token`, clientId: 3300001, clientSecret: 'secret' })
    expect(body).toMatchObject({ action: 'OK', resultCode: 'A113001' })
    expect(body).not.toHaveProperty('type')
    const after = await callApi(emu, '/auth/introspection', { token: accessToken })
    expect(after.body).toMatchObject({ action: 'UNAUTHORIZED', resultCode: 'A057302', existent: false })
    expect(after.body.responseContent).toContain('error="invalid_token"')
    const refreshed = await callApi(emu, '/auth/token', { parameters: `grant_type=refresh_token&refresh_token=${refreshToken}`, clientId: 3300001, clientSecret: 'secret' })
    expect(refreshed.body.resultCode).toBe('A053305')
  })

  it('revoking by refresh token (credentials in parameters, v2 path)', async () => {
    const { accessToken, refreshToken } = await grant()
    const { body } = await callApi(emu, '/auth/revocation', { parameters: `token=${refreshToken}&client_id=3300001&client_secret=secret` }, { version: 'V2' })
    expect(body.action).toBe('OK')
    expect((await callApi(emu, '/auth/introspection', { token: accessToken })).body.action).toBe('UNAUTHORIZED')
  })

  it("another client's token is left alone (still OK, RFC 7009 §2.2); bad client -> INVALID_CLIENT [A114311]; no token -> BAD_REQUEST; no parameters [A113201]", async () => {
    const { accessToken } = await grant()
    const foreign = await callApi(emu, '/auth/revocation', { parameters: `token=${accessToken}`, clientId: 3300002, clientSecret: 'secret2' })
    expect(foreign.body.action).toBe('OK')
    expect((await callApi(emu, '/auth/introspection', { token: accessToken })).body.action).toBe('OK')
    const badClient = await callApi(emu, '/auth/revocation', { parameters: `token=${accessToken}`, clientId: 3300001, clientSecret: 'nope' })
    expect(badClient.body).toMatchObject({ action: 'INVALID_CLIENT', resultCode: 'A114311' })
    expect(JSON.parse(badClient.body.responseContent).error).toBe('invalid_client')
    const unknownClient = await callApi(emu, '/auth/revocation', { parameters: `token=${accessToken}`, clientId: 42, clientSecret: 'x' })
    expect(unknownClient.body).toMatchObject({ action: 'INVALID_CLIENT', resultCode: 'A114311' })
    expect((await callApi(emu, '/auth/revocation', { parameters: '', clientId: 3300001, clientSecret: 'secret' })).body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A113391' })
    expect((await callApi(emu, '/auth/revocation', { clientId: 3300001 })).body).toMatchObject({ action: 'INTERNAL_SERVER_ERROR', resultCode: 'A113201' })
  })
})

describe('/auth/introspection/standard (RFC 7662)', () => {
  it('active token with cnf.jkt; unknown token inactive; missing token BAD_REQUEST', async () => {
    const created = await emu.createToken({ clientId: 3300001, subject: 'alice', scopes: ['a', 'b'], dpopKeyThumbprint: 'jkt-value' })
    const { body } = await callApi(emu, '/auth/introspection/standard', { parameters: `token=${created.accessToken}` })
    expect(body).toMatchObject({ action: 'OK', resultCode: 'A145001' })
    expect(JSON.parse(body.responseContent)).toMatchObject({ active: true, sub: 'alice', scope: 'a b', client_id: '3300001', token_type: 'DPoP', cnf: { jkt: 'jkt-value' }, exp: Math.floor(created.expiresAt / 1000) })
    const unknown = await callApi(emu, '/auth/introspection/standard', { parameters: 'token=nope' })
    expect(JSON.parse(unknown.body.responseContent)).toEqual({ active: false })
    // No token: Authlete's A145302 (reference §9), not /auth/introspection's A057301.
    expect((await callApi(emu, '/auth/introspection/standard', { parameters: '' })).body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A145302' })
  })
})
