/**
 * RFC 8707 resource indicators: `resource` parameters at `/auth/token` become the token's
 * `accessTokenResources` (seen through introspection); `invalid_target` for a malformed one or one
 * outside the client's `requestableResources`; `/auth/token/create` takes `resources` too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '@authlete-guard/emulator'
import { callApi } from './helpers'

const MCP = 'https://api.example.com/mcp'
const OTHER = 'https://other.example.com/api'

let emu: Emulator
beforeEach(async () => {
  emu = await startEmulator({
    clients: [
      { clientId: 3300001, clientSecret: 'secret' },
      { clientId: 3300002, clientSecret: 'secret2', requestableResources: [MCP] },
      { clientId: 3300003, clientSecret: 'secret3', requestableResources: [] },
    ],
  })
})
afterEach(async () => {
  await emu.close()
})

const form = (...resources: string[]) => ['grant_type=client_credentials&scope=read', ...resources.map((r) => `resource=${encodeURIComponent(r)}`)].join('&')
const token = (parameters: string, clientId = 3300001, clientSecret = 'secret') => callApi(emu, '/auth/token', { parameters, clientId, clientSecret })
const introspect = (accessToken: string) => callApi(emu, '/auth/introspection', { token: accessToken })

async function expectInvalidTarget(parameters: string, code: string, clientId?: number, clientSecret?: string) {
  const { body } = await token(parameters, clientId, clientSecret)
  expect(body).toMatchObject({ action: 'BAD_REQUEST', resultCode: code })
  expect(JSON.parse(body.responseContent)).toEqual({ error: 'invalid_target', error_description: body.resultMessage })
  expect(body).not.toHaveProperty('accessToken')
}

describe('RFC 8707 resource at /auth/token (client_credentials)', () => {
  it.each(['V3', 'V2'] as const)('%s: several resource parameters become the token\'s accessTokenResources', async (version) => {
    const { body } = await callApi(emu, '/auth/token', { parameters: form(MCP, OTHER, MCP), clientId: 3300001, clientSecret: 'secret' }, { version })
    expect(body).toMatchObject({ action: 'OK', resources: [MCP, OTHER], accessTokenResources: [MCP, OTHER] })
    const introspection = await introspect(body.accessToken)
    expect(introspection.body).toMatchObject({ action: 'OK', resources: [MCP, OTHER], accessTokenResources: [MCP, OTHER] })
  })

  it('a client without requestableResources may ask for any resource; none asked: no audience', async () => {
    expect((await token(form('urn:example:resource'))).body).toMatchObject({ action: 'OK', accessTokenResources: ['urn:example:resource'] })
    const unbound = await token(form())
    expect(unbound.body.action).toBe('OK')
    expect((await introspect(unbound.body.accessToken)).body).not.toHaveProperty('accessTokenResources')
  })

  it.each([
    ['relative', '/mcp'],
    ['with a fragment', `${MCP}#tools`],
    ['not a URI', 'api.example.com'],
    ['with a space', 'https://api.example.com/a b'],
  ])('a resource that is not an absolute URI without a fragment (%s) -> invalid_target, A049392', async (_what, resource) => {
    await expectInvalidTarget(form(MCP, resource), 'A049392')
  })

  it('outside the client\'s requestableResources -> invalid_target, A049393 naming it; inside -> OK', async () => {
    await expectInvalidTarget(form(MCP, OTHER), 'A049393', 3300002, 'secret2')
    const { body } = await token(form(OTHER), 3300002, 'secret2')
    expect(body.resultMessage).toBe(`[A049393] The resource '${OTHER}' is not one the client may request.`)
    expect((await token(form(MCP), 3300002, 'secret2')).body).toMatchObject({ action: 'OK', accessTokenResources: [MCP] })
    // Asking for no resource stays allowed.
    expect((await token(form(), 3300002, 'secret2')).body.action).toBe('OK')
  })

  it('an empty requestableResources allows none', async () => {
    await expectInvalidTarget(form(MCP), 'A049393', 3300003, 'secret3')
  })
})

describe('RFC 8707 §2.2 resource with a code or a refresh token: narrows the grant', () => {
  const codeForm = (code: string, ...resources: string[]) => [`grant_type=authorization_code&code=${code}`, ...resources.map((r) => `resource=${encodeURIComponent(r)}`)].join('&')

  it('a code without resources takes the requested ones (they are checked against the client)', async () => {
    const code = await emu.createAuthorizationCode({ clientId: 3300001, subject: 'alice', scopes: ['read'] })
    const { body } = await token(codeForm(code, MCP))
    expect(body).toMatchObject({ action: 'OK', accessTokenResources: [MCP] })
    expect((await introspect(body.accessToken)).body).toMatchObject({ subject: 'alice', accessTokenResources: [MCP] })
    const refused = await emu.createAuthorizationCode({ clientId: 3300002, subject: 'alice' })
    await expectInvalidTarget(codeForm(refused, OTHER), 'A049393', 3300002, 'secret2')
  })

  it('a code with resources: a subset narrows; one outside -> invalid_target A049394 (the code stays unused)', async () => {
    const code = await emu.createAuthorizationCode({ clientId: 3300001, subject: 'alice', resources: [MCP, OTHER] })
    await expectInvalidTarget(codeForm(code, 'https://third.example.com/'), 'A049394')
    const { body } = await token(codeForm(code, OTHER))
    expect(body).toMatchObject({ action: 'OK', accessTokenResources: [OTHER] })
  })

  it('refresh: none requested keeps the grant\'s; a subset narrows; one outside -> invalid_target', async () => {
    const code = await emu.createAuthorizationCode({ clientId: 3300001, subject: 'alice', resources: [MCP, OTHER] })
    const first = (await token(codeForm(code))).body
    expect(first.accessTokenResources).toEqual([MCP, OTHER])
    const refresh = (refreshToken: string, ...resources: string[]) => token([`grant_type=refresh_token&refresh_token=${refreshToken}`, ...resources.map((r) => `resource=${encodeURIComponent(r)}`)].join('&'))
    await expectInvalidTarget(`grant_type=refresh_token&refresh_token=${first.refreshToken}&resource=${encodeURIComponent('https://third.example.com/')}`, 'A049394')
    const kept = (await refresh(first.refreshToken)).body
    expect(kept).toMatchObject({ action: 'OK', accessTokenResources: [MCP, OTHER] })
    const narrowed = (await refresh(kept.refreshToken, MCP)).body
    expect((await introspect(narrowed.accessToken)).body.accessTokenResources).toEqual([MCP])
  })
})

describe('/auth/token/create resources (audience-bound tokens minted directly)', () => {
  it('resources become the token\'s accessTokenResources, whatever the client\'s requestableResources', async () => {
    const { body } = await callApi(emu, '/auth/token/create', { grantType: 'CLIENT_CREDENTIALS', clientId: 3300003, scopes: ['read'], resources: [MCP] })
    expect(body.action).toBe('OK')
    expect((await introspect(body.accessToken)).body).toMatchObject({ action: 'OK', resources: [MCP], accessTokenResources: [MCP] })
    const created = await emu.createToken({ subject: 'alice', resources: [MCP, OTHER] })
    expect((await introspect(created.accessToken)).body.accessTokenResources).toEqual([MCP, OTHER])
  })

  it.each([[['/mcp']], [[`${MCP}#x`]], [[42]], ['https://api.example.com/mcp']])('a bad resources value %j -> BAD_REQUEST A109305', async (resources) => {
    const { body } = await callApi(emu, '/auth/token/create', { subject: 'alice', resources })
    expect(body).toMatchObject({ action: 'BAD_REQUEST', resultCode: 'A109305' })
  })
})
