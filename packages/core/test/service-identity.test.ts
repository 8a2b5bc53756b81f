// Guards of different Authlete services may share one introspection cache and one replay store
// (a shared `store` object, Redis): every key carries the service, so one service's token is never
// allowed from the cache by another service's guard, and one service's proofs never use up
// another's share. Two emulators play two services on one Authlete host: a router on 127.0.0.1
// sends `/api/{serviceId}/...` to the emulator of that service.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { createAuthleteClient, createGuard, createMemoryReplayStore, type AuthleteClient, type CachedIntrospection, type GuardOptions, type IntrospectionCacheStore, type RequestLike } from '../src'
import { createAuthleteClient as createNodeClient, createGuard as createNodeGuard } from '../src/node'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
const ORIGIN = 'https://api.example.com'
let serviceA: Emulator
let serviceB: Emulator
let router: http.Server
let host: string // the one Authlete host both services live on
let key: DpopKeyPair

/** Forwards each API call to the emulator of the service id in its path. */
function startRouter(byServiceId: Map<string, Emulator>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const target = byServiceId.get(/^\/api\/(\d+)\//.exec(req.url ?? '')?.[1] ?? '')
    if (!target) return void res.writeHead(404).end()
    const upstream = http.request(`${target.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    req.pipe(upstream)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

beforeAll(async () => {
  ;[serviceA, serviceB, key] = await Promise.all([
    startEmulator({ serviceId: '1001', accessToken: 'service-a-credential' }),
    startEmulator({ serviceId: '2002', accessToken: 'service-b-credential' }),
    createDpopKeyPair('ES256'),
  ])
  router = await startRouter(new Map([['1001', serviceA], ['2002', serviceB]]))
  host = `http://127.0.0.1:${(router.address() as AddressInfo).port}`
})
afterAll(async () => {
  router?.closeAllConnections()
  await new Promise((resolve) => router?.close(resolve))
  await Promise.all([serviceA?.close(), serviceB?.close()])
})

const introspections = (emu: Emulator) => emu.requests.filter((r) => r.apiPath === '/auth/introspection').length
const guardOf = (emu: Emulator, options: Partial<GuardOptions> = {}) =>
  createGuard({ authlete: { baseUrl: host, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: ORIGIN, ...options })
const dpopRequest = async (token: string): Promise<RequestLike> => ({
  method: 'GET',
  url: '/api/me',
  headers: { host: 'internal', authorization: `DPoP ${token}`, dpop: await createDpopProof(key, { htm: 'GET', htu: `${ORIGIN}/api/me`, accessToken: token }) },
})
/** One cache store for every guard, as one Redis would be. */
const sharedCacheStore = (): IntrospectionCacheStore => {
  const entries = new Map<string, CachedIntrospection>()
  return { get: async (k) => entries.get(k), set: async (k, entry) => void entries.set(k, entry) }
}

describe('two services, one Authlete host, one shared cache store', () => {
  it('service B\'s guard asks its own Authlete service for service A\'s token and answers 401; the cache never serves it', async () => {
    const store = sharedCacheStore()
    const [a, b] = [guardOf(serviceA, { cache: { store } }), guardOf(serviceB, { cache: { store } })]
    const token = (await serviceA.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })).accessToken
    expect((await a.check(await dpopRequest(token))).allowed).toBe(true)
    const hit = await a.check(await dpopRequest(token))
    expect(hit.allowed && hit.auth.source).toBe('cache') // the entry is in the shared store
    const [aCalls, bCalls] = [introspections(serviceA), introspections(serviceB)]

    const atB = await b.check(await dpopRequest(token))
    expect(!atB.allowed && [atB.status, atB.error]).toEqual([401, 'invalid_token'])
    expect([introspections(serviceA) - aCalls, introspections(serviceB) - bCalls]).toEqual([0, 1])
    await Promise.all([a.close(), b.close()])
  })
  it('one DPoP key used with both services: its share of a shared replay store is per service', async () => {
    const replay = createMemoryReplayStore({ maxEntriesPerOwner: 2 })
    const [a, b] = [guardOf(serviceA, { replay }), guardOf(serviceB, { replay })]
    const [tokenA, tokenB] = await Promise.all([serviceA, serviceB].map(async (emu) => (await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })).accessToken))
    const statuses = async (guard: typeof a, token: string) => {
      const result: number[] = []
      for (let i = 0; i < 3; i++) {
        const d = await guard.check(await dpopRequest(token))
        result.push(d.allowed ? 200 : d.status)
      }
      return result
    }
    expect(await statuses(a, tokenA!)).toEqual([200, 200, 429])
    expect(await statuses(b, tokenB!)).toEqual([200, 200, 429])
    await Promise.all([a.close(), b.close()])
  })
})

describe('AuthleteClient.service', () => {
  const v3 = (serviceId: string, baseUrl = 'https://us.authlete.com') => ({ baseUrl, serviceId, accessToken: 'credential-zz9' })
  const v2 = (apiKey: string) => ({ baseUrl: 'https://api.authlete.com', apiKey, apiSecret: 'secret-zz9' })
  it.each([
    ['root entry (fetch)', createAuthleteClient],
    ['/node (undici pool)', createNodeClient as typeof createAuthleteClient],
  ])('%s: base URL, API version and service id (v3) or API key (v2); no secret', async (_name, create) => {
    const clients = [create(v3('715948317')), create(v3('715948318')), create(v3('715948317', 'https://jp.authlete.com/')), create(v2('12345')), create(v2('12346'))]
    expect(clients.map((c) => c.service)).toEqual([
      'https://us.authlete.com V3 715948317',
      'https://us.authlete.com V3 715948318',
      'https://jp.authlete.com V3 715948317',
      'https://api.authlete.com V2 12345',
      'https://api.authlete.com V2 12346',
    ])
    for (const client of clients) expect(client.service).not.toMatch(/zz9/)
    await Promise.all(clients.map((c) => c.close()))
  })

  const custom = (extra: Partial<AuthleteClient> = {}): AuthleteClient => ({ baseUrl: 'https://us.authlete.com', apiVersion: 'V3', call: async () => ({}) as never, close: async () => {}, ...extra })
  it.each([
    ['a cache.store', { cache: { store: sharedCacheStore() } }],
    ['a replay store', { replay: createMemoryReplayStore() }],
  ])('a custom client without service, with %s that other guards may share: ERR_INVALID_CONFIG naming the fix', (_name, options) => {
    for (const create of [createGuard, createNodeGuard as typeof createGuard]) {
      let error: { code?: string; message?: string } | undefined
      try {
        create({ authlete: custom(), ...options })
      } catch (e) {
        error = e as typeof error
      }
      expect(error?.code).toBe('ERR_INVALID_CONFIG')
      expect(error?.message).toMatch(/set service on the client/)
    }
  })
  it('a custom client without service is fine with the guard\'s own stores (cache: true, the default replay store), and with service set', () => {
    expect(() => createGuard({ authlete: custom(), cache: true })).not.toThrow()
    expect(() => createGuard({ authlete: custom({ service: 'https://us.authlete.com V3 1' }), cache: { store: sharedCacheStore() }, replay: createMemoryReplayStore() })).not.toThrow()
    expect(() => createGuard({ authlete: custom({ service: '' }) })).toThrow(/authlete.service must be a non-empty string/)
  })
})
