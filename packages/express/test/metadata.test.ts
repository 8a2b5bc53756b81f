/**
 * `authorizationServerMetadata(as)`: the discovery document from Authlete's `/service/configuration`
 * (the emulator) served by a real Express app on 127.0.0.1 at the two well-known paths, with
 * `Cache-Control`, CORS, HEAD, OPTIONS, 405 and a fail-closed 500.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express5 from 'express'
import express4 from 'express4'
import { request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { GuardErrorEvent } from '@authlete-guard/core'
import { SERVER_ERROR_BODY } from '@authlete-guard/core/authorization-server'
import { startEmulator, type Emulator } from '@authlete-guard/emulator'
import { authorizationServerMetadata, createAuthorizationServer, type AuthorizationServer } from '../src/index'

let emu: Emulator
let as: AuthorizationServer
const events: GuardErrorEvent[] = []
const servers: Server[] = []

beforeAll(async () => {
  emu = await startEmulator({ issuer: 'https://as.example.com', pushedAuthReqEndpoint: 'https://as.example.com/par' })
  as = createAuthorizationServer({
    authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken, timeoutMs: 2000 },
    metadataTtlMs: 0, // every request asks Authlete, so faults show
    onError: (event) => events.push(event),
  })
})
afterAll(async () => {
  for (const server of servers) server.closeAllConnections()
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  await as.close()
  await emu.close()
})
beforeEach(() => {
  events.length = 0
  emu.faults.clear()
})

async function serve(app: express5.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1')
  servers.push(server)
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
] as const)('%s', (_name, express) => {
  let base: string
  beforeAll(async () => {
    const app = express()
    app.use(authorizationServerMetadata(as))
    app.get('/api/hello', (_req, res) => res.json({ hello: true }))
    base = await serve(app as unknown as express5.Express)
  })
  const call = async (path: string, method = 'GET', headers: Record<string, string> = {}) => {
    const reply = await request(`${base}${path}`, { method, headers })
    return { status: reply.statusCode, headers: reply.headers, text: await reply.body.text() }
  }

  it.each(PATHS)('GET %s -> 200 application/json: the document Authlete gives, cacheable, readable from any origin', async (path) => {
    const { status, headers, text } = await call(path)
    expect(status).toBe(200)
    expect(headers['content-type']).toBe('application/json')
    expect(headers['cache-control']).toBe('public, max-age=3600')
    expect(headers['access-control-allow-origin']).toBe('*')
    expect(headers.etag).toBeUndefined()
    expect(JSON.parse(text)).toMatchObject({
      issuer: 'https://as.example.com',
      authorization_endpoint: 'https://as.example.com/authorize',
      token_endpoint: 'https://as.example.com/token',
      pushed_authorization_request_endpoint: 'https://as.example.com/par',
      response_types_supported: ['code'],
      grant_types_supported: expect.arrayContaining(['client_credentials']),
      token_endpoint_auth_methods_supported: expect.arrayContaining(['client_secret_basic']),
      dpop_signing_alg_values_supported: expect.arrayContaining(['ES256']),
    })
    expect(emu.requests.at(-1)).toMatchObject({ method: 'GET', apiPath: '/service/configuration' })
  })

  it('HEAD -> 200 with the headers and Content-Length of the GET, no body', async () => {
    const get = await call(PATHS[0]!)
    const head = await call(PATHS[0]!, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.text).toBe('')
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.text)))
    expect(head.headers['content-type']).toBe('application/json')
  })

  it('OPTIONS -> 204 CORS preflight (the MCP client\'s MCP-Protocol-Version header allowed); Authlete not called', async () => {
    emu.requests.length = 0
    const { status, headers, text } = await call(PATHS[1]!, 'OPTIONS', { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'mcp-protocol-version' })
    expect(status).toBe(204)
    expect(text).toBe('')
    expect(headers['access-control-allow-origin']).toBe('*')
    expect(headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS')
    expect(headers['access-control-allow-headers']).toBe('MCP-Protocol-Version')
    expect(emu.requests).toHaveLength(0)
  })

  it('another method -> 405 with Allow', async () => {
    const { status, headers } = await call(PATHS[0]!, 'POST')
    expect(status).toBe(405)
    expect(headers.allow).toBe('GET, HEAD, OPTIONS')
  })

  it('other paths go on to the app', async () => {
    expect(JSON.parse((await call('/api/hello')).text)).toEqual({ hello: true })
    expect((await call('/.well-known/oauth-protected-resource')).status).toBe(404)
  })

  it('Authlete failing -> 500 server_error, no-store, nothing about the cause; reported to onError', async () => {
    emu.faults.inject({ type: 'status', status: 500, body: { resultCode: 'A001101', resultMessage: 'internal-detail' } }, { times: 1, path: '/service/configuration' })
    const { status, headers, text } = await call(PATHS[0]!)
    expect(status).toBe(500)
    expect(text).toBe(SERVER_ERROR_BODY)
    expect(headers['cache-control']).toBe('no-store')
    expect(text).not.toContain('internal-detail')
    expect(events).toEqual([expect.objectContaining({ operation: 'metadata', method: 'GET', path: PATHS[0], error: expect.objectContaining({ code: 'ERR_AUTHLETE_HTTP_STATUS' }) })])
    emu.faults.inject({ type: 'reply', body: { resultCode: 'A001202' } }, { times: 1, path: '/service/configuration' })
    expect((await call(PATHS[1]!)).status).toBe(500)
  })
})

describe('options', () => {
  it('maxAgeSeconds sets Cache-Control; a bad value or a missing server throws ERR_INVALID_CONFIG at start-up', async () => {
    const app = express5()
    app.use(authorizationServerMetadata(as, { maxAgeSeconds: 60 }))
    const base = await serve(app)
    expect((await request(`${base}${PATHS[0]}`)).headers['cache-control']).toBe('public, max-age=60')
    expect(() => authorizationServerMetadata(as, { maxAgeSeconds: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }))
    expect(() => authorizationServerMetadata(undefined as unknown as AuthorizationServer)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }))
  })
})
