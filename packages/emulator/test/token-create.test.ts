import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDpopKeyPair, DEFAULT_CLIENT, startEmulator, type Emulator } from '@authlete-guard/emulator'
import { callApi, manualClock } from './helpers'

let emu: Emulator
let clock: ReturnType<typeof manualClock>
beforeEach(async () => {
  clock = manualClock(1_700_000_000_000)
  emu = await startEmulator({ now: clock.now, accessTokenDuration: 600, clients: [{ clientId: 3300001, clientSecret: 'secret' }] })
})
afterEach(async () => {
  await emu.close()
})

describe('/auth/token/create', () => {
  it('mints a Bearer token over v3 and v2', async () => {
    for (const version of ['V3', 'V2'] as const) {
      const { status, body } = await callApi(emu, '/auth/token/create', { grantType: 'AUTHORIZATION_CODE', clientId: 3300001, subject: 'alice', scopes: ['read'] }, { version })
      expect(status).toBe(200)
      expect(body).toMatchObject({
        action: 'OK',
        resultCode: 'A109001',
        clientId: 3300001,
        subject: 'alice',
        scopes: ['read'],
        tokenType: 'Bearer',
        expiresIn: 600,
        expiresAt: 1_700_000_600_000,
        grantType: 'AUTHORIZATION_CODE',
      })
      expect(body.refreshToken).toEqual(expect.any(String))
      expect(body).not.toHaveProperty('type')
      expect((await callApi(emu, '/auth/introspection', { token: body.accessToken })).body.action).toBe('OK')
    }
  })

  it('binds to dpopKeyThumbprint (tokenType DPoP), honours accessTokenDuration and properties', async () => {
    const key = await createDpopKeyPair('ES256')
    const { body } = await callApi(emu, '/auth/token/create', {
      grantType: 'CLIENT_CREDENTIALS',
      clientId: 3300001,
      scopes: ['read'],
      accessTokenDuration: 30,
      dpopKeyThumbprint: key.thumbprint,
      resources: ['https://rs.example.com'],
      properties: [{ key: 'k', value: 'v', hidden: true }],
    })
    expect(body).toMatchObject({ action: 'OK', tokenType: 'DPoP', expiresIn: 30 })
    // dpopKeyThumbprint is an input only: Authlete's response does not echo it; nor does it have resources.
    expect(body).not.toHaveProperty('dpopKeyThumbprint')
    expect(body).not.toHaveProperty('resources')
    expect(await emu.createToken({ subject: 'alice', dpopKeyThumbprint: key.thumbprint })).not.toHaveProperty('dpopKeyThumbprint')
    expect(body).not.toHaveProperty('refreshToken')
    const introspection = await callApi(emu, '/auth/introspection', { token: body.accessToken })
    expect(introspection.body).toMatchObject({ resultCode: 'A065308', properties: [{ key: 'k', value: 'v', hidden: true }], resources: ['https://rs.example.com'] })
  })

  it('refuses unknown clients, bad grant types, a missing subject, a reused accessToken value', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ clientId: 42, subject: 'a' }, 'A109301'],
      [{ grantType: 'MAGIC', subject: 'a' }, 'A109302'],
      [{ grantType: 'AUTHORIZATION_CODE' }, 'A109303'],
      [{ subject: 'a', accessToken: 12 }, 'A109305'],
    ]
    for (const [request, code] of cases) {
      const { body } = await callApi(emu, '/auth/token/create', request)
      expect(body).toMatchObject({ action: 'BAD_REQUEST', resultCode: code })
    }
    await emu.createToken({ subject: 'a', accessToken: 'fixed-value' })
    expect((await callApi(emu, '/auth/token/create', { subject: 'a', accessToken: 'fixed-value' })).body.resultCode).toBe('A109304')
  })

  it('emu.createToken uses the same logic, defaults to DEFAULT_CLIENT and rejects refusals', async () => {
    const created = await emu.createToken({ subject: 'alice', scopes: ['x'], grantType: 'client_credentials' })
    expect(created).toMatchObject({ clientId: DEFAULT_CLIENT.clientId, grantType: 'CLIENT_CREDENTIALS', tokenType: 'Bearer' })
    expect((await emu.createToken()).grantType).toBe('CLIENT_CREDENTIALS')
    await expect(emu.createToken({ clientId: 1 })).rejects.toThrow('[A109301]')
  })
})
