/**
 * `authProxy` / `checkInProxy` called the way Next calls a proxy (`proxy.ts`, `middleware.ts`):
 * a `NextRequest`, the emulator as Authlete, real DPoP proofs. The forwarding response is compared
 * with what Next's own `NextResponse.next` builds, and read back the way Next's router applies it
 * (next/dist/server/lib/router-utils/resolve-routes.js). The real app is in test/e2e/next.test.ts.
 */
import { NextRequest, NextResponse } from 'next/server'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { authFromHeaders, authProxy, checkInProxy, createGuard, withoutAuthHeaders, type AccessTokenInfo, type Guard } from '../src/index'

type Emulator = Awaited<ReturnType<typeof startEmulator>>

let emu: Emulator
let key: DpopKeyPair
let guard: Guard

beforeAll(async () => {
  emu = await startEmulator({ port: 0 })
  key = await createDpopKeyPair('ES256')
  guard = createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken } })
})
afterAll(async () => {
  await guard.close()
  await emu.close()
})

const forged = {
  'x-authlete-guard-subject': 'mallory',
  'X-Authlete-Guard-Scopes': 'admin',
  'x-authlete-guard-client-id': '1',
  'x-authlete-guard-token-type': 'DPoP',
  'x-authlete-guard-expires-at': '99999999999999',
  'x-authlete-guard-acr': 'forged',
}

/** A request as Next hands it to the proxy: URL origin `localhost`, `Host` as the client sent it. */
async function signedRequest(options: { path?: string; subject?: string; scopes?: string[]; nonce?: string; headers?: Record<string, string> } = {}) {
  const path = options.path ?? '/api/me'
  const { accessToken } = await emu.createToken({ subject: options.subject ?? 'alice', scopes: options.scopes ?? ['profile'], dpopKeyThumbprint: key.thumbprint })
  const proof = await createDpopProof(key, { htm: 'GET', htu: `http://api.example.test${path}`, accessToken, ...(options.nonce ? { nonce: options.nonce } : {}) })
  return new NextRequest(`http://localhost:3000${path}`, {
    headers: { host: 'api.example.test', authorization: `DPoP ${accessToken}`, dpop: proof, accept: 'application/json', ...options.headers },
  })
}

const unsigned = (headers: Record<string, string> = {}, path = '/api/me') =>
  new NextRequest(`http://localhost:3000${path}`, { headers: { host: 'api.example.test', ...headers } })

/** The request headers the route gets, as Next's router applies a proxy response that goes on. */
function forwardedHeaders(request: Request, response: Response): Headers {
  expect(response.headers.get('x-middleware-next')).toBe('1')
  const override = response.headers.get('x-middleware-override-headers')
  if (override === null) return new Headers(request.headers)
  const headers = new Headers()
  for (const name of override.split(',').map((n) => n.trim()).filter(Boolean)) {
    const value = response.headers.get(`x-middleware-request-${name}`)
    if (value !== null) headers.set(name, value)
  }
  return headers
}

/** The headers Next adds to the client's response: all but its own `x-middleware-*`. */
const clientHeaders = (response: Response) => [...response.headers].filter(([name]) => !name.startsWith('x-middleware-'))

const authHeaderNames = (headers: Headers) => [...headers.keys()].filter((name) => name.startsWith('x-authlete-guard-'))

describe('authProxy: allowed', () => {
  test('the request goes on with the principal as request headers and the client headers otherwise untouched', async () => {
    const proxy = authProxy(guard, { scopes: ['profile'] })
    const request = await signedRequest()
    const response = await proxy(request)
    expect(response.status).toBe(200)
    expect(response.body).toBeNull()
    const headers = forwardedHeaders(request, response)
    for (const name of ['host', 'authorization', 'dpop', 'accept']) expect(headers.get(name)).toBe(request.headers.get(name))
    expect(headers.get('x-authlete-guard-subject')).toBe('alice')
    expect(headers.get('x-authlete-guard-scopes')).toBe('profile')
    expect(headers.get('x-authlete-guard-token-type')).toBe('DPoP')
    expect(headers.get('x-authlete-guard-client-id')).toMatch(/^\d+$/)
    expect(authFromHeaders(headers)).toMatchObject({ subject: 'alice', scopes: ['profile'], tokenType: 'DPoP' })
    expect(clientHeaders(response)).toEqual([])
  })

  test('the client\'s own x-authlete-guard-* headers are replaced or removed, never passed on', async () => {
    const proxy = authProxy(guard, { scopes: ['profile'] })
    const request = await signedRequest({ headers: forged })
    const headers = forwardedHeaders(request, await proxy(request))
    const auth = authFromHeaders(headers)!
    expect(auth).toMatchObject({ subject: 'alice', scopes: ['profile'] })
    expect(auth.clientId).not.toBe(1)
    expect(auth.expiresAt).not.toBe(99999999999999)
    expect(auth.acr).toBeUndefined()
    expect(headers.get('x-authlete-guard-acr')).toBeNull()
  })

  test('the forwarding response is the one NextResponse.next builds (Next reads it the same way)', async () => {
    const request = await signedRequest({ headers: forged })
    const result = await checkInProxy(request, guard, { scopes: ['profile'] })
    expect(result.allowed).toBe(true)
    if (!result.allowed) return
    const next = NextResponse.next({ request: { headers: result.requestHeaders }, headers: result.responseHeaders })
    expect([...result.response.headers].sort()).toEqual([...next.headers].sort())
    expect(result.response.status).toBe(next.status)
    const names = ['client-id', 'expires-at', 'scopes', 'subject', 'token-type', ...(result.auth.clientIdAlias ? ['client-id-alias'] : [])]
    expect(authHeaderNames(result.requestHeaders).sort()).toEqual(names.map((n) => `x-authlete-guard-${n}`).sort())
    expect(result.auth.subject).toBe('alice')
  })

  test('DPoP nonces: the denial carries DPoP-Nonce, and so does the client\'s response once allowed', async () => {
    const proxy = authProxy(guard, { scopes: ['profile'], dpopNonceRequired: true })
    const challenge = await proxy(await signedRequest())
    expect(challenge.status).toBe(401)
    expect(challenge.headers.get('www-authenticate')).toMatch(/error="use_dpop_nonce"/)
    const nonce = challenge.headers.get('dpop-nonce')
    expect(nonce).toBeTruthy()
    const request = await signedRequest({ nonce: nonce! })
    const response = await proxy(request)
    expect(response.headers.get('x-middleware-next')).toBe('1')
    expect(clientHeaders(response)).toEqual([['dpop-nonce', nonce]])
    expect(forwardedHeaders(request, response).get('x-authlete-guard-subject')).toBe('alice')
  })

  test('a guard factory is called once, on the first request', async () => {
    let created = 0
    const proxy = authProxy(() => (created++, guard))
    expect(created).toBe(0)
    expect((await proxy(await signedRequest())).headers.get('x-middleware-next')).toBe('1')
    expect((await proxy(await signedRequest())).headers.get('x-middleware-next')).toBe('1')
    expect(created).toBe(1)
  })
})

describe('authProxy: denied', () => {
  test('the guard\'s denial as it is (status, WWW-Authenticate, no-store, JSON body); nothing goes on to the route', async () => {
    const proxy = authProxy(guard, { scopes: ['profile'] })
    const expected = await guard.check({ method: 'GET', url: 'http://localhost:3000/api/me', headers: new Headers({ host: 'api.example.test' }) }, { scopes: ['profile'] })
    const response = await proxy(unsigned(forged))
    expect(expected.allowed).toBe(false)
    if (expected.allowed) return
    expect(response.status).toBe(401)
    expect(Object.fromEntries(response.headers)).toEqual(Object.fromEntries(new Headers(expected.headers)))
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer .*, DPoP /)
    expect(await response.text()).toBe(expected.body)
    expect(response.headers.get('x-middleware-next')).toBeNull()
  })

  test('insufficient scope -> 403, with checkInProxy giving the decision too', async () => {
    const result = await checkInProxy(await signedRequest({ scopes: ['email'] }), guard, { scopes: ['profile'] })
    expect(result.allowed).toBe(false)
    if (result.allowed) return
    expect(result.decision).toMatchObject({ status: 403, error: 'insufficient_scope' })
    expect(result.response.status).toBe(403)
    expect(await result.response.json()).toMatchObject({ error: 'insufficient_scope' })
  })
})

describe('authProxy: which requests it protects', () => {
  const never = { check: async () => { throw new Error('the guard must not be called') } } as unknown as Guard

  test.each([false, null, undefined])('routes returning %s: passed on unchecked, without any x-authlete-guard-* header', async (value) => {
    const proxy = authProxy(never, () => value)
    const request = unsigned({ ...forged, accept: 'text/html' })
    const headers = forwardedHeaders(request, await proxy(request))
    expect(authHeaderNames(headers)).toEqual([])
    expect(headers.get('accept')).toBe('text/html')
    expect(authFromHeaders(headers)).toBeUndefined()
  })

  test('routes per request (sync or async): options, true, false', async () => {
    const seen: string[] = []
    const proxy = authProxy<NextRequest>(guard, async (request) => {
      seen.push(request.nextUrl.pathname)
      if (request.nextUrl.pathname === '/api/admin') return { scopes: ['admin'] }
      return request.nextUrl.pathname.startsWith('/api/') ? true : false
    })
    expect((await proxy(await signedRequest({ path: '/api/admin' }))).status).toBe(403)
    expect((await proxy(await signedRequest({ path: '/api/items' }))).headers.get('x-middleware-next')).toBe('1')
    expect((await proxy(unsigned({}, '/api/items'))).status).toBe(401)
    expect((await proxy(unsigned({}, '/about'))).headers.get('x-middleware-next')).toBe('1')
    expect(seen).toEqual(['/api/admin', '/api/items', '/api/items', '/about'])
  })

  test('static route options are checked when the proxy module loads; options from the function on the request', async () => {
    expect(() => authProxy(never, { scope: ['profile'] } as never)).toThrow(/Unknown route option "scope"/)
    expect(() => authProxy(never, { scopes: 'profile' } as never)).toThrow(/scopes must be an array/)
    await expect(authProxy(never, () => ({ scopes: 'profile' }) as never)(unsigned())).rejects.toThrow(/scopes must be an array/)
  })
})

describe('authFromHeaders', () => {
  // Cast: only the fields the proxy passes on matter here (the core may add more).
  const auth = {
    subject: 'José 山田 100% \ud800',
    clientId: 4211,
    clientIdAlias: 'my app',
    clientIdAliasUsed: true,
    clientEntityId: undefined,
    scopes: ['openid', 'items:read', 'odd scope'],
    expiresAt: 1_900_000_000_000,
    tokenType: 'Bearer',
    resources: ['https://api.example.com/a b', 'urn:x'],
    requestedResources: [],
    authorizationDetails: undefined,
    properties: { visible: 'v' },
    hiddenProperties: { secret: 's' },
    certificateThumbprint: undefined,
    acr: 'urn:mace:incommon:iap:silver',
    authTime: 1_700_000_000,
    grantType: 'AUTHORIZATION_CODE',
    raw: { action: 'OK' },
  } as unknown as AccessTokenInfo
  const fixed = (value: AccessTokenInfo) => ({ check: async () => ({ allowed: true as const, auth: value, headers: {} }) }) as unknown as Guard

  test('gives back every field the proxy passes on, whatever the characters (visible ASCII stays readable)', async () => {
    const result = await checkInProxy(unsigned(), fixed(auth))
    if (!result.allowed) throw new Error('allowed expected')
    expect(authFromHeaders(result.requestHeaders)).toEqual({
      subject: 'José 山田 100% \ufffd',
      clientId: 4211,
      clientIdAlias: 'my app',
      scopes: ['openid', 'items:read', 'odd scope'],
      resources: ['https://api.example.com/a b', 'urn:x'],
      tokenType: 'Bearer',
      expiresAt: 1_900_000_000_000,
      acr: 'urn:mace:incommon:iap:silver',
      authTime: 1_700_000_000,
    })
    expect(result.requestHeaders.get('x-authlete-guard-scopes')).toBe('openid items:read odd%20scope')
    expect(result.requestHeaders.get('x-authlete-guard-acr')).toBe('urn:mace:incommon:iap:silver')
    // Nothing of properties, hidden properties or the raw response leaves the proxy.
    expect([...result.requestHeaders].map(([, value]) => value).join(' ')).not.toMatch(/secret|visible|AUTHORIZATION_CODE/)
  })

  test('a client-credentials token: no subject header, an empty scope list', async () => {
    const result = await checkInProxy(unsigned(), fixed({ ...auth, subject: undefined, scopes: [], clientIdAlias: undefined, acr: undefined, authTime: undefined, resources: [] }))
    if (!result.allowed) throw new Error('allowed expected')
    expect(authHeaderNames(result.requestHeaders).sort()).toEqual(['x-authlete-guard-client-id', 'x-authlete-guard-expires-at', 'x-authlete-guard-token-type'])
    expect(authFromHeaders(result.requestHeaders)).toEqual({ subject: undefined, clientId: 4211, clientIdAlias: undefined, scopes: [], resources: [], tokenType: 'Bearer', expiresAt: 1_900_000_000_000, acr: undefined, authTime: undefined })
  })

  test('undefined without the proxy\'s headers, or with values it does not write', () => {
    const base = { 'x-authlete-guard-token-type': 'DPoP', 'x-authlete-guard-client-id': '7', 'x-authlete-guard-expires-at': '1900000000000' }
    expect(authFromHeaders(new Headers(base))).toMatchObject({ clientId: 7, tokenType: 'DPoP', scopes: [] })
    expect(authFromHeaders(new Headers())).toBeUndefined()
    expect(authFromHeaders(new Headers({ 'x-authlete-guard-subject': 'mallory' }))).toBeUndefined()
    for (const [name, value] of [
      ['x-authlete-guard-token-type', 'MAC'],
      ['x-authlete-guard-client-id', '07'],
      ['x-authlete-guard-client-id', 'seven'],
      ['x-authlete-guard-expires-at', ''],
      ['x-authlete-guard-auth-time', '1.0'],
      ['x-authlete-guard-subject', 'bad%zzencoding'],
      ['x-authlete-guard-scopes', 'a %E0%A4%A'],
    ] as const) {
      expect(authFromHeaders(new Headers({ ...base, [name]: value })), `${name}: ${value}`).toBeUndefined()
    }
  })
})

describe('withoutAuthHeaders', () => {
  test('a copy without x-authlete-guard-* (any case); the input is left as it is', () => {
    const input = new Headers({ ...forged, authorization: 'DPoP x', 'x-authlete-guardian': 'kept' })
    const copy = withoutAuthHeaders(input)
    expect([...copy.keys()].sort()).toEqual(['authorization', 'x-authlete-guardian'])
    expect(input.get('x-authlete-guard-subject')).toBe('mallory')
  })
})
