/**
 * `withAuth` called the way Next.js calls a route handler: a real `Request` (or `NextRequest`)
 * and a context with a `params` Promise; the emulator as Authlete, real DPoP proofs. The answers
 * every adapter shares are pinned by the scenario table in `test/scenarios`.
 */
import { NextRequest } from 'next/server'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { authProxy, checkInProxy, createGuard, withAuth, type AccessTokenInfo, type Guard } from '../src/index'
import { unreachableUrl } from '../../../test/support/unreachable'

type Emulator = Awaited<ReturnType<typeof startEmulator>>

let emu: Emulator
let key: DpopKeyPair
let guard: Guard
const guards: Guard[] = []

beforeAll(async () => {
  emu = await startEmulator({ port: 0 })
  key = await createDpopKeyPair('ES256')
  guard = track(createGuard({ authlete: authlete() }))
})
afterAll(async () => {
  await Promise.all(guards.map((g) => g.close()))
  await emu.close()
})

function track(g: Guard): Guard {
  guards.push(g)
  return g
}
const authlete = () => ({ baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken })

async function boundToken(scopes = ['profile']) {
  const { accessToken } = await emu.createToken({ subject: 'alice', scopes, dpopKeyThumbprint: key.thumbprint })
  return accessToken
}

/** What `next start` hands a handler: URL origin `localhost:PORT` whatever the client asked for, `Host` as sent. */
async function signedRequest(options: { url?: string; host?: string; htu: string; method?: string; nonce?: string; headers?: Record<string, string>; scopes?: string[] }) {
  const accessToken = await boundToken(options.scopes)
  const method = options.method ?? 'GET'
  const proof = await createDpopProof(key, { htm: method, htu: options.htu, accessToken, ...(options.nonce ? { nonce: options.nonce } : {}) })
  return {
    accessToken,
    init: {
      method,
      headers: { host: options.host ?? 'api.example.test', authorization: `DPoP ${accessToken}`, dpop: proof, ...options.headers },
    },
    url: options.url ?? 'http://localhost:3000/api/me',
  }
}

const principal = (auth: AccessTokenInfo) => ({ sub: auth.subject, scopes: auth.scopes, tokenType: auth.tokenType })

describe('withAuth', () => {
  test('a plain Request, no context argument: the handler runs with auth', async () => {
    const GET = withAuth(guard, async (_request, { auth }) => Response.json(principal(auth)), { scopes: ['profile'] })
    const { url, init } = await signedRequest({ htu: 'http://api.example.test/api/me' })
    const response = await (GET as (request: Request) => Promise<Response>)(new Request(url, init))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ sub: 'alice', scopes: ['profile'], tokenType: 'DPoP' })
  })

  test('a NextRequest reaches the handler as is, with Next context (params) passed through plus auth', async () => {
    let seen: { request?: unknown; params?: unknown; context?: object } = {}
    const params = Promise.resolve({ id: '42' })
    const context = { params }
    const GET = withAuth<NextRequest, { params: Promise<{ id: string }> }>(guard, async (request, ctx) => {
      seen = { request, params: ctx.params, context: ctx }
      return Response.json({ id: (await ctx.params).id, path: request.nextUrl.pathname, sub: ctx.auth.subject })
    }, { scopes: ['profile'] })
    const { url, init } = await signedRequest({ url: 'http://localhost:3000/api/items/42', htu: 'http://api.example.test/api/items/42' })
    const request = new NextRequest(url, init)
    const response = await GET(request, context)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ id: '42', path: '/api/items/42', sub: 'alice' })
    expect(seen.request).toBe(request)
    expect(seen.params).toBe(params)
    expect(context).not.toHaveProperty('auth') // Next's own object is not mutated
  })

  test('htu is built from the Host header, not from the localhost URL next start puts in request.url', async () => {
    const GET = withAuth(guard, async (_request, { auth }) => Response.json(principal(auth)), { scopes: ['profile'] })
    const wrong = await signedRequest({ htu: 'http://localhost:3000/api/me' })
    expect((await GET(new Request(wrong.url, wrong.init), { params: Promise.resolve({}) })).status).toBe(401)
    const right = await signedRequest({ host: 'api.example.test:8080', htu: 'http://api.example.test:8080/api/me' })
    expect((await GET(new Request(right.url, right.init), { params: Promise.resolve({}) })).status).toBe(200)
  })

  test('behind a proxy: X-Forwarded-Proto/Host count only with the guard trustProxy', async () => {
    const trusting = track(createGuard({ authlete: authlete(), trustProxy: true }))
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' }
    for (const [g, status] of [[trusting, 200], [guard, 401]] as const) {
      const GET = withAuth(g, async (_request, { auth }) => Response.json(principal(auth)), { scopes: ['profile'] })
      const { url, init } = await signedRequest({ host: 'internal:3000', htu: 'https://api.example.com/api/me', headers: forwarded })
      expect((await GET(new Request(url, init), { params: Promise.resolve({}) })).status).toBe(status)
    }
  })

  test('a denial is the guard decision as a Response (status, headers, JSON body); the handler never runs', async () => {
    let runs = 0
    const GET = withAuth(guard, async () => new Response(String(++runs)), { scopes: ['admin'] })
    // The same input checked by the guard directly (its own fresh proof: a proof's jti is single-use).
    const direct = await signedRequest({ htu: 'http://api.example.test/api/me' })
    const directRequest = new Request(direct.url, direct.init)
    const expected = await guard.check({ method: 'GET', url: directRequest.url, headers: directRequest.headers }, { scopes: ['admin'] })
    const { url, init } = await signedRequest({ htu: 'http://api.example.test/api/me' })
    const response = await GET(new Request(url, init), { params: Promise.resolve({}) })
    expect(expected.allowed).toBe(false)
    if (expected.allowed) return
    expect(response.status).toBe(403)
    expect(response.status).toBe(expected.status)
    for (const [name, value] of Object.entries(expected.headers)) expect(response.headers.get(name)).toBe(value)
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' })
    expect(runs).toBe(0)
  })

  test('Authlete unreachable: 500, the handler never runs', async () => {
    let runs = 0
    const down = track(createGuard({ authlete: { ...authlete(), baseUrl: await unreachableUrl() } }))
    const GET = withAuth(down, async () => new Response(String(++runs)))
    const { url, init } = await signedRequest({ htu: 'http://api.example.test/api/me' })
    const response = await GET(new Request(url, init), { params: Promise.resolve({}) })
    expect(response.status).toBe(500)
    expect(runs).toBe(0)
  })

  test('DPoP-Nonce is added to the handler response, even to one with immutable headers', async () => {
    const GET = withAuth(guard, async () => Response.redirect('https://example.com/next', 302), { dpopNonceRequired: true })
    const first = await signedRequest({ htu: 'http://api.example.test/api/me' })
    const challenge = await GET(new Request(first.url, first.init), { params: Promise.resolve({}) })
    expect(challenge.status).toBe(401)
    const nonce = challenge.headers.get('dpop-nonce')
    expect(nonce).toBeTruthy()
    const second = await signedRequest({ htu: 'http://api.example.test/api/me', nonce: nonce! })
    const response = await GET(new Request(second.url, second.init), { params: Promise.resolve({}) })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('https://example.com/next')
    expect(response.headers.get('dpop-nonce')).toBeTruthy()
  })

  test('a guard factory is called once, on the first request, not when the route module loads', async () => {
    let created = 0
    const GET = withAuth(() => (created++, guard), async (_request, { auth }) => Response.json(principal(auth)))
    expect(created).toBe(0)
    const { url, init } = await signedRequest({ htu: 'http://api.example.test/api/me' })
    expect((await GET(new Request(url, init), { params: Promise.resolve({}) })).status).toBe(200)
    const again = await signedRequest({ htu: 'http://api.example.test/api/me' })
    expect((await GET(new Request(again.url, again.init), { params: Promise.resolve({}) })).status).toBe(200)
    expect(created).toBe(1)
  })

  test('one guard factory given to two handlers and the proxy is called once: they share its guard', async () => {
    let created = 0
    const getGuard = () => (created++, guard)
    const handler = async (_request: Request, { auth }: { auth: AccessTokenInfo }) => Response.json(principal(auth))
    const routes = [withAuth(getGuard, handler), withAuth(getGuard, handler, { scopes: ['profile'] })]
    const proxy = authProxy(getGuard)
    for (const GET of routes) {
      const { url, init } = await signedRequest({ htu: 'http://api.example.test/api/me' })
      expect((await GET(new Request(url, init), { params: Promise.resolve({}) })).status).toBe(200)
    }
    const { url, init } = await signedRequest({ htu: 'http://api.example.test/api/me' })
    expect((await proxy(new Request(url, init))).headers.get('x-middleware-next')).toBe('1')
    expect(created).toBe(1)
  })

  test('a missing guard fails when the module loads (ERR_INVALID_CONFIG), not on the first request; checkInProxy rejects it', async () => {
    const refused = expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringMatching(/^@authlete-guard\/next: (withAuth|authProxy|checkInProxy)\(.*guard\) needs a guard/) })
    expect(() => withAuth(undefined as unknown as Guard, async () => new Response('x'))).toThrow(refused)
    expect(() => authProxy({} as Guard)).toThrow(refused)
    await expect(checkInProxy(new Request('http://localhost:3000/api/me'), undefined as unknown as Guard)).rejects.toEqual(refused)
  })
})

describe('route options', () => {
  test('are checked when the route module loads, not on the first request', () => {
    const guard = { check: async () => { throw new Error('never called') } } as never
    expect(() => withAuth(guard, async () => new Response('x'), { scopes: 'profile' as never })).toThrow(/scopes must be an array/)
    expect(() => withAuth(guard, async () => new Response('x'), { scopes: ['profile'] })).not.toThrow()
  })
})
