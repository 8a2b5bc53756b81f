import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, DEFAULT_CLIENT, REQUEST_URI_PREFIX, startEmulator, type Emulator } from '@authlete-guard/emulator'
import { callApi } from './helpers'

const PAR = 'https://as.example.com/par'
const base = 'response_type=code&client_id=3300001&redirect_uri=https%3A%2F%2Fapp%2Fcb&scope=openid'
let emu: Emulator
beforeEach(async () => {
  emu = await startEmulator({ clients: [{ clientId: 3300001, clientSecret: 'secret', redirectUris: ['https://app/cb'] }] })
})
afterEach(async () => {
  await emu.close()
})
const par = (body: Record<string, unknown>) => callApi(emu, '/pushed_auth_req', body)

describe('/pushed_auth_req', () => {
  it('CREATED with request_uri; the request is kept', async () => {
    for (const version of ['V3', 'V2'] as const) {
      const { body } = await callApi(emu, '/pushed_auth_req', { parameters: base, clientId: 3300001, clientSecret: 'secret' }, { version })
      expect(body).toMatchObject({ action: 'CREATED', resultCode: 'A245001' })
      // Authlete's PAR reply names no client and has no `type`.
      for (const member of ['clientId', 'clientIdAlias', 'clientIdAliasUsed', 'type']) expect(body).not.toHaveProperty(member)
      expect(body.requestUri.startsWith(REQUEST_URI_PREFIX)).toBe(true)
      expect(JSON.parse(body.responseContent)).toEqual({ expires_in: 600, request_uri: body.requestUri })
      expect(emu.getPushedAuthorizationRequest(body.requestUri)?.parameters).toMatchObject({ response_type: 'code', scope: 'openid' })
    }
  })

  it('client authentication failures -> UNAUTHORIZED invalid_client (unknown client A247307, client_id mismatch A247303)', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ parameters: base, clientId: 3300001, clientSecret: 'bad' }, 'A245302'],
      [{ parameters: 'response_type=code&client_id=1' }, 'A247307'],
      [{ parameters: base, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret }, 'A247303'],
    ]
    for (const [body, code] of cases) {
      const { body: response } = await par(body)
      expect(response).toMatchObject({ action: 'UNAUTHORIZED', resultCode: code })
      expect(JSON.parse(response.responseContent).error).toBe('invalid_client')
    }
  })

  it('bad authorization requests -> BAD_REQUEST; too large -> PAYLOAD_TOO_LARGE; no parameters -> INTERNAL_SERVER_ERROR', async () => {
    const cases: [string, string][] = [
      ['client_id=3300001&redirect_uri=https%3A%2F%2Fapp%2Fcb', 'A245303'],
      ['response_type=code&client_id=3300001&redirect_uri=https%3A%2F%2Fevil%2Fcb', 'A245304'],
      [`${base}&request_uri=urn:x`, 'A248301'],
    ]
    for (const [parameters, code] of cases) {
      const { body } = await par({ parameters, clientSecret: 'secret' })
      expect(body).toMatchObject({ action: 'BAD_REQUEST', resultCode: code })
    }
    expect((await par({ parameters: `${base}&x=${'a'.repeat(70_000)}`, clientSecret: 'secret' })).body.action).toBe('PAYLOAD_TOO_LARGE')
    expect((await par({ clientId: 3300001, clientSecret: 'secret' })).body.action).toBe('INTERNAL_SERVER_ERROR')
  })

  it('RFC 8707 resource parameters: a malformed one or one outside requestableResources -> BAD_REQUEST invalid_target; an allowed one -> CREATED', async () => {
    await emu.close()
    emu = await startEmulator({ clients: [{ clientId: 3300001, clientSecret: 'secret', redirectUris: ['https://app/cb'], requestableResources: ['https://api.example.com/mcp'] }] })
    const resource = (value: string) => `${base}&resource=${encodeURIComponent(value)}`
    for (const value of ['/mcp', 'https://api.example.com/mcp#x', 'https://other.example.com/mcp']) {
      const { body } = await par({ parameters: resource(value), clientSecret: 'secret' })
      expect(body.action, value).toBe('BAD_REQUEST')
      expect(JSON.parse(String(body.responseContent)).error, value).toBe('invalid_target')
    }
    expect((await par({ parameters: resource('https://api.example.com/mcp'), clientSecret: 'secret' })).body.action).toBe('CREATED')
  })

  it('DPoP proof: its key becomes dpop_jkt; a bad proof or a mismatching dpop_jkt -> BAD_REQUEST invalid_dpop_proof; nonces', async () => {
    const key = await createDpopKeyPair('ES256')
    const ok = await par({ parameters: base, clientId: 3300001, clientSecret: 'secret', dpop: await createDpopProof(key, { htm: 'POST', htu: PAR }), htm: 'POST', htu: PAR })
    expect(ok.body.action).toBe('CREATED')
    expect(emu.getPushedAuthorizationRequest(ok.body.requestUri)?.dpopJkt).toBe(key.thumbprint)

    const bad = await par({ parameters: base, clientSecret: 'secret', dpop: await createDpopProof(key, { htm: 'POST', htu: `${PAR}2` }), htu: PAR })
    expect(bad.body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A254301', resultMessage: expect.stringContaining("'htu'") })
    expect(JSON.parse(bad.body.responseContent)).toMatchObject({ error: 'invalid_dpop_proof', error_uri: 'https://docs.authlete.com/#A254301' })

    const other = await createDpopKeyPair('ES256')
    const mismatch = await par({ parameters: `${base}&dpop_jkt=${other.thumbprint}`, clientSecret: 'secret', dpop: await createDpopProof(key, { htm: 'POST', htu: PAR }), htu: PAR })
    expect(mismatch.body.resultCode).toBe('A245308')
    expect(JSON.parse(mismatch.body.responseContent)).not.toHaveProperty('error_uri')

    const nonce = await par({ parameters: base, clientSecret: 'secret', dpop: await createDpopProof(key, { htm: 'POST', htu: PAR }), htu: PAR, dpopNonceRequired: true })
    expect(nonce.body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A350308', dpopNonce: expect.any(String) })
    expect(JSON.parse(nonce.body.responseContent)).toMatchObject({ error: 'use_dpop_nonce', error_uri: 'https://docs.authlete.com/#A350308' })
  })

  it('V2 (Authlete 2.x has no nonces): dpopNonceRequired, asked or set, is ignored and no dpopNonce is returned', async () => {
    emu.configure({ dpopNonceRequired: true })
    const key = await createDpopKeyPair('ES256')
    const body = { parameters: base, clientSecret: 'secret', dpop: await createDpopProof(key, { htm: 'POST', htu: PAR }), htu: PAR, dpopNonceRequired: true }
    const v2 = await callApi(emu, '/pushed_auth_req', body, { version: 'V2' })
    expect(v2.body).toMatchObject({ action: 'CREATED' })
    expect(v2.body).not.toHaveProperty('dpopNonce')
    const v3 = await par({ ...body, dpop: await createDpopProof(key, { htm: 'POST', htu: PAR }) })
    expect(v3.body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A350308', dpopNonce: expect.any(String) })
  })
})
