import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DPOP_ALGORITHMS, startEmulator, type Emulator } from '@authlete-guard/emulator'
import { callApi } from './helpers'

let emu: Emulator
beforeEach(async () => {
  emu = await startEmulator()
})
afterEach(async () => {
  await emu.close()
})

const getConfiguration = (target: Emulator, version: 'V2' | 'V3', query = '') =>
  callApi(target, `/service/configuration${query}`, undefined, { version, method: 'GET' })

describe('GET /service/configuration: the discovery document of the service', () => {
  it.each(['V3', 'V2'] as const)('%s: issuer, endpoints under it, and what the emulator supports (RFC 8414 §2)', async (version) => {
    const { status, body, headers } = await getConfiguration(emu, version)
    expect(status).toBe(200)
    expect(headers.get('content-type')).toMatch(/^application\/json/)
    expect(body).toEqual({
      issuer: emu.url,
      authorization_endpoint: `${emu.url}/authorize`,
      token_endpoint: `${emu.url}/token`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      code_challenge_methods_supported: ['plain', 'S256'],
      dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
      // RFC 8705 §3.3: the emulator issues certificate-bound tokens (Authlete's service setting tlsClientCertificateBoundAccessTokens on).
      tls_client_certificate_bound_access_tokens: true,
    })
    expect(emu.requests.at(-1)).toMatchObject({ method: 'GET', apiPath: '/service/configuration', version, reply: { status: 200 } })
  })

  it('the issuer and every endpoint URL come from the options; unset optional endpoints stay out', async () => {
    const configured = await startEmulator({
      issuer: 'https://as.example.com',
      authorizationEndpoint: 'https://as.example.com/oauth/authorize',
      tokenEndpoint: 'https://as.example.com/oauth/token',
      pushedAuthReqEndpoint: 'https://as.example.com/oauth/par',
      userInfoEndpoint: 'https://as.example.com/userinfo',
      introspectionEndpoint: 'https://as.example.com/introspect',
      revocationEndpoint: 'https://as.example.com/revoke',
    })
    try {
      expect((await getConfiguration(configured, 'V3')).body).toMatchObject({
        issuer: 'https://as.example.com',
        authorization_endpoint: 'https://as.example.com/oauth/authorize',
        token_endpoint: 'https://as.example.com/oauth/token',
        pushed_authorization_request_endpoint: 'https://as.example.com/oauth/par',
        userinfo_endpoint: 'https://as.example.com/userinfo',
        introspection_endpoint: 'https://as.example.com/introspect',
        revocation_endpoint: 'https://as.example.com/revoke',
      })
    } finally {
      await configured.close()
    }
    const plain = (await getConfiguration(emu, 'V3')).body
    for (const member of ['pushed_authorization_request_endpoint', 'userinfo_endpoint', 'introspection_endpoint', 'revocation_endpoint']) {
      expect(plain).not.toHaveProperty(member)
    }
  })

  it('configure() moves the issuer (and the endpoints under it) at run time, e.g. once the app listens', async () => {
    emu.configure({ issuer: 'http://127.0.0.1:3999/', pushedAuthReqEndpoint: 'http://127.0.0.1:3999/par' })
    expect((await getConfiguration(emu, 'V3')).body).toMatchObject({
      issuer: 'http://127.0.0.1:3999/',
      authorization_endpoint: 'http://127.0.0.1:3999/authorize',
      token_endpoint: 'http://127.0.0.1:3999/token',
      pushed_authorization_request_endpoint: 'http://127.0.0.1:3999/par',
    })
    expect(() => emu.configure({ tokenEndpoint: '/token' })).toThrow(TypeError)
    expect(() => emu.configure({ issuer: 'https://as.example.com/#x' })).toThrow(TypeError)
  })

  it('startEmulator refuses an issuer or endpoint that is not an absolute http(s) URL', async () => {
    await expect(startEmulator({ issuer: 'as.example.com' })).rejects.toThrow(/issuer must be an absolute http\(s\) URL/)
    await expect(startEmulator({ revocationEndpoint: 'ftp://as.example.com/revoke' })).rejects.toThrow(/revocationEndpoint/)
  })

  it('pretty=true formats the JSON (Authlete\'s `pretty` parameter); the document is the same', async () => {
    const pretty = await getConfiguration(emu, 'V3', '?pretty=true')
    const compact = await getConfiguration(emu, 'V3')
    expect(pretty.text).toContain('\n  "issuer": ')
    expect(compact.text).not.toContain('\n')
    expect(pretty.body).toEqual(compact.body)
  })

  it('credentials as for every API: wrong ones -> 401 A001202; another service id -> 401', async () => {
    const v3 = await callApi(emu, '/service/configuration', undefined, { method: 'GET', authorization: 'Bearer wrong' })
    expect(v3.status).toBe(401)
    expect(v3.body.resultCode).toBe('A001202')
    const v2 = await callApi(emu, '/service/configuration', undefined, { method: 'GET', version: 'V2', authorization: null })
    expect(v2.status).toBe(401)
    const other = await fetch(`${emu.url}/api/999/service/configuration`, { headers: { authorization: `Bearer ${emu.accessToken}` } })
    expect(other.status).toBe(401)
  })

  it('GET only: POST -> 405 A001293 with Allow: GET (and the POST APIs still say Allow: POST)', async () => {
    const post = await callApi(emu, '/service/configuration', {})
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET')
    expect(post.body).toEqual({ resultCode: 'A001293', resultMessage: '[A001293] The HTTP method is not allowed for this API; use GET.' })
    const get = await callApi(emu, '/auth/introspection', undefined, { method: 'GET' })
    expect(get.headers.get('allow')).toBe('POST')
    expect(get.body.resultMessage).toBe('[A001293] The HTTP method is not allowed for this API; use POST.')
  })

  it('`patch` (RFC 6902) is not emulated: refused with 400 A001295, never answered unpatched', async () => {
    const patched = await getConfiguration(emu, 'V3', `?patch=${encodeURIComponent('[{"op":"remove","path":"/issuer"}]')}`)
    expect(patched.status).toBe(400)
    expect(patched.body.resultCode).toBe('A001295')
  })

  it('faults apply to it like to any API', async () => {
    emu.faults.inject({ type: 'status', status: 503 }, { times: 1, path: '/service/configuration' })
    expect((await getConfiguration(emu, 'V3')).status).toBe(503)
    expect((await getConfiguration(emu, 'V3')).status).toBe(200)
  })
})
