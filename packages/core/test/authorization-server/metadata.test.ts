/**
 * `as.metadata()`: the discovery document from Authlete's `/service/configuration` (GET; V2 and V3
 * paths), against the emulator over real HTTP on 127.0.0.1, with the root entry's fetch client and
 * the /node undici client. Kept `metadataTtlMs` in the process; failures are coded and never kept.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { startEmulator, type Emulator } from '@authlete-guard/emulator'
import type { AuthleteClient, GuardErrorEvent } from '../../src'
import {
  authorizationServerMetadataPaths,
  authorizationServerMetadataResponder,
  createAuthorizationServer,
  DEFAULT_METADATA_TTL_MS,
  type AuthorizationServer,
  type AuthorizationServerOptions,
} from '../../src/authorization-server'
import { createNodeAuthorizationServer } from '../../src/node'

let emu: Emulator
const servers: AuthorizationServer[] = []

beforeEach(async () => {
  emu = await startEmulator({ issuer: 'https://as.example.com', tokenEndpoint: 'https://as.example.com/oauth/token' })
})
afterEach(async () => {
  vi.useRealTimers()
  for (const as of servers.splice(0)) await as.close()
  await emu.close()
})

type Version = 'V2' | 'V3'
const authlete = (version: Version, extra: Record<string, unknown> = {}) =>
  version === 'V3'
    ? { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken, timeoutMs: 2000, ...extra }
    : { baseUrl: emu.url, apiKey: emu.apiKey, apiSecret: emu.apiSecret, timeoutMs: 2000, ...extra }

const CLIENTS = {
  'root (fetch)': (options: AuthorizationServerOptions) => createAuthorizationServer(options),
  '/node (undici)': (options: AuthorizationServerOptions) => createNodeAuthorizationServer(options),
}
const cases = (['V3', 'V2'] as const).flatMap((version) => Object.entries(CLIENTS).map(([name, create]) => [version, name, create] as const))

function server(create: (options: AuthorizationServerOptions) => AuthorizationServer, options: AuthorizationServerOptions): AuthorizationServer {
  const as = create(options)
  servers.push(as)
  return as
}

const configurationCalls = () => emu.requests.filter((r) => r.apiPath === '/service/configuration')

describe.each(cases)('Authlete API %s, %s client', (version, _name, create) => {
  it('GETs /service/configuration on the version\'s path with its credentials and no body; resolves with the document', async () => {
    const as = server(create, { authlete: authlete(version) })
    const document = await as.metadata()
    expect(document).toMatchObject({
      issuer: 'https://as.example.com',
      authorization_endpoint: 'https://as.example.com/authorize',
      token_endpoint: 'https://as.example.com/oauth/token',
      dpop_signing_alg_values_supported: expect.arrayContaining(['ES256']),
    })
    const [call] = configurationCalls()
    expect(call).toMatchObject({ method: 'GET', version, path: version === 'V3' ? `/api/${emu.serviceId}/service/configuration` : '/api/service/configuration', body: '' })
    expect(call!.headers.authorization).toMatch(version === 'V3' ? /^Bearer / : /^Basic /)
    expect(call!.headers['content-type']).toBeUndefined()
  })

  it('keeps the document metadataTtlMs (one Authlete call for many, concurrent ones too); each caller gets its own copy', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const as = server(create, { authlete: authlete(version) })
    const [first, second] = await Promise.all([as.metadata(), as.metadata()])
    first!.issuer = 'mutated'
    expect((await as.metadata()).issuer).toBe('https://as.example.com')
    expect(second).not.toBe(first)
    expect(configurationCalls()).toHaveLength(1)
    emu.configure({ issuer: 'https://as2.example.com' })
    vi.setSystemTime(Date.now() + DEFAULT_METADATA_TTL_MS - 1)
    expect((await as.metadata()).issuer).toBe('https://as.example.com')
    vi.setSystemTime(Date.now() + 2)
    expect((await as.metadata()).issuer).toBe('https://as2.example.com')
    expect(configurationCalls()).toHaveLength(2)
  })

  it('metadataTtlMs: 0 asks Authlete every time', async () => {
    const as = server(create, { authlete: authlete(version), metadataTtlMs: 0 })
    await as.metadata()
    await as.metadata()
    expect(configurationCalls()).toHaveLength(2)
  })

  it.each([
    ['HTTP 503', { type: 'status', status: 503 }, 'ERR_AUTHLETE_HTTP_STATUS'],
    ['not JSON', { type: 'garbage' }, 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['a JSON array', { type: 'reply', body: [{ issuer: 'https://as.example.com' }] }, 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['an object without issuer', { type: 'reply', body: { resultCode: 'A001101', resultMessage: 'x' } }, 'ERR_AUTHLETE_INVALID_RESPONSE'],
    ['a reset connection', { type: 'reset' }, 'ERR_AUTHLETE_UNREACHABLE'],
    ['no answer within timeoutMs', { type: 'hang' }, 'ERR_AUTHLETE_TIMEOUT'],
  ] as const)('%s -> rejects with the coded error, and the failure is not kept', async (_what, fault, code) => {
    const as = server(create, { authlete: authlete(version, { timeoutMs: 300 }) })
    emu.faults.inject(fault, { times: 1, path: '/service/configuration' })
    await expect(as.metadata()).rejects.toMatchObject({ name: 'AuthleteGuardError', code })
    expect((await as.metadata()).issuer).toBe('https://as.example.com')
  })
})

describe('reporting and configuration', () => {
  it('a failure serving a request goes to onError (operation metadata, the request\'s method and path); a direct call only rejects', async () => {
    const events: GuardErrorEvent[] = []
    const as = server(createAuthorizationServer, { authlete: authlete('V3'), onError: (event) => events.push(event) })
    emu.faults.inject({ type: 'status', status: 500 }, { path: '/service/configuration' })
    await expect(as.metadata()).rejects.toMatchObject({ code: 'ERR_AUTHLETE_HTTP_STATUS' })
    expect(events).toHaveLength(0)
    await expect(as.metadata({ method: 'GET', url: '/.well-known/oauth-authorization-server?x=1', headers: {} })).rejects.toMatchObject({ code: 'ERR_AUTHLETE_HTTP_STATUS' })
    expect(events).toEqual([expect.objectContaining({ operation: 'metadata', method: 'GET', path: '/.well-known/oauth-authorization-server', error: expect.objectContaining({ status: 500 }) })])
  })

  it.each([-1, 1.5, '60000', 86_400_001])('metadataTtlMs %j -> ERR_INVALID_CONFIG at start-up', (metadataTtlMs) => {
    expect(() => createAuthorizationServer({ authlete: authlete('V3'), metadataTtlMs: metadataTtlMs as number })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringContaining('metadataTtlMs must be a whole number') }))
  })

  it('a client of your own without get(): metadata() rejects ERR_INVALID_CONFIG (the endpoints keep working)', async () => {
    const own: AuthleteClient = { baseUrl: emu.url, apiVersion: 'V3', call: async <T>() => ({}) as T, close: async () => {} }
    const as = server(createAuthorizationServer, { authlete: own })
    await expect(as.metadata()).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG', message: expect.stringContaining('get()') })
  })
})

describe('where the document is served (RFC 8414 §3, OpenID Connect Discovery §4)', () => {
  it('authorizationServerMetadataPaths: the root paths, plus the path forms of an issuer with a path', () => {
    expect(authorizationServerMetadataPaths('https://as.example.com')).toEqual(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])
    expect(authorizationServerMetadataPaths('https://as.example.com/tenant/')).toEqual([
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server/tenant',
      '/.well-known/openid-configuration/tenant',
      '/tenant/.well-known/openid-configuration',
    ])
  })

  it('the responder answers an issuer\'s path forms and leaves other well-known paths to the app', async () => {
    emu.configure({ issuer: 'https://as.example.com/tenant' })
    const respond = authorizationServerMetadataResponder(server(createAuthorizationServer, { authlete: authlete('V3') }))
    const get = (url: string) => respond({ method: 'GET', url, headers: {} })
    for (const url of ['/.well-known/oauth-authorization-server/tenant', '/tenant/.well-known/openid-configuration', '/.well-known/openid-configuration']) {
      expect(await get(url), url).toMatchObject({ status: 200, headers: { 'Content-Type': 'application/json' } })
    }
    expect(await get('/.well-known/oauth-authorization-server/other')).toBeUndefined()
    expect(await get('/other/.well-known/openid-configuration')).toBeUndefined()
    expect(await get('/api/me')).toBeUndefined()
    expect(() => authorizationServerMetadataResponder(server(createAuthorizationServer, { authlete: authlete('V3') }), { maxAgeSeconds: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }))
  })
})
