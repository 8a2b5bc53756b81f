// Issue: a typo or an unsafe value in the options must throw at start-up (ERR_INVALID_CONFIG),
// never silently drop the check it meant or fail later as an opaque network error.
import { describe, expect, it } from 'vitest'
import { createGuard, validateRouteOptions, type GuardOptions, type RouteOptions } from '../src'
import { createAuthorizationServer } from '../src/authorization-server'
import { useAuthleteStub } from './support/authlete-stub'
import { thrown } from './support/thrown'

const stub = useAuthleteStub()
// Options built at collection time point nowhere: those tests only construct, they never call.
const v3 = (extra: Record<string, unknown> = {}, baseUrl = 'https://us.authlete.com') => ({ baseUrl, serviceId: '715948317', accessToken: 'service-token', timeoutMs: 1000, ...extra })

describe('unknown option keys throw ERR_INVALID_CONFIG naming the key and the near miss', () => {
  it.each<[string, () => unknown, RegExp]>([
    ['route option scope (for scopes)', () => validateRouteOptions({ scope: ['admin'] } as RouteOptions), /Unknown route option "scope"\. Did you mean scopes\?/],
    ['route option acr_values', () => validateRouteOptions({ acr_values: ['x'] } as RouteOptions), /"acr_values"\. Did you mean acrValues\?/],
    ['route option max_age', () => validateRouteOptions({ max_age: 60 } as RouteOptions), /"max_age"\. Did you mean maxAge\?/],
    ['route option far from every name', () => validateRouteOptions({ zzz: 1 } as RouteOptions), /Unknown route option "zzz"\. Known options: scopes, subject/],
    ['createGuard publicURL', () => createGuard({ authlete: v3(), publicURL: 'https://a.example' } as unknown as GuardOptions), /Unknown createGuard option "publicURL"\. Did you mean publicUrl\?/],
    ['createGuard trustProxies', () => createGuard({ authlete: v3(), trustProxies: true } as unknown as GuardOptions), /Did you mean trustProxy\?/],
    ['authlete timeout', () => createGuard({ authlete: v3({ timeout: 100 }) }), /Unknown authlete option "timeout"\. Did you mean timeoutMs\?/],
    ['authlete serviceID', () => createGuard({ authlete: { ...v3(), serviceID: '1' } as never }), /Did you mean serviceId\?/],
    ['createAuthorizationServer getclaims', () => createAuthorizationServer({ authlete: v3(), getclaims: () => ({}) } as never), /Unknown createAuthorizationServer option "getclaims"\. Did you mean getClaims\?/],
    ['createAuthorizationServer dpopNonceRequire', () => createAuthorizationServer({ authlete: v3(), dpopNonceRequire: true } as never), /Did you mean dpopNonceRequired\?/],
  ])('%s', (_name, run, message) => {
    const error = thrown(run)
    expect(error.code).toBe('ERR_INVALID_CONFIG')
    expect(error.message).toMatch(message)
  })

  it('a route typo passed straight to guard.check denies with 500 (fail closed), never allows', async () => {
    const events: string[] = []
    const guard = createGuard({ authlete: v3({}, stub.url), onError: (e) => events.push(e.error.code) })
    stub.setDefault({ json: { action: 'OK', clientId: 1, expiresAt: Date.now() + 60_000, subject: 'alice', scopes: ['read'] } })
    const decision = await guard.check({ method: 'GET', url: '/api/admin', headers: { host: 'api.example.com', authorization: 'Bearer t' } }, { scope: ['admin'] } as RouteOptions)
    expect(decision.allowed).toBe(false)
    expect(!decision.allowed && decision.status).toBe(500)
    expect(events).toEqual(['ERR_INVALID_CONFIG'])
    expect(stub.calls).toHaveLength(0)
    await guard.close()
  })

  it('valid options of every kind are accepted', async () => {
    const route: RouteOptions = { scopes: ['a'], subject: 's', resources: ['https://r'], acrValues: ['x'], maxAge: 1, dpopNonceRequired: true }
    expect(validateRouteOptions(route)).toBe(route)
    const guard = createGuard({ authlete: v3({ fetch: globalThis.fetch }), publicUrl: 'https://a.example', trustProxy: 1, realm: 'api', dpopAlgs: ['ES256'], onError: () => {} })
    await guard.close()
    const as = createAuthorizationServer({ authlete: v3(), publicUrl: 'https://a.example', realm: 'as', dpopAlgs: ['EdDSA'], dpopNonceRequired: true, getClaims: () => ({}), onError: () => {} })
    await as.close()
  })
})

describe('unsafe values throw ERR_INVALID_CONFIG at start-up', () => {
  it.each<[string, Partial<Record<string, unknown>>, RegExp]>([
    ['timeoutMs above the largest timer delay (2^31-1 ms)', v3({ timeoutMs: 2_147_483_648 }), /timeoutMs .* at most 2147483647/],
    ['timeoutMs not a number', v3({ timeoutMs: '100' }), /timeoutMs/],
    ['v3 access token with CR/LF', v3({ accessToken: 'abc\r\nX-Injected: 1' }), /accessToken must be printable ASCII/],
    ['v3 access token with a trailing newline', v3({ accessToken: 'abc\n' }), /stray newline/],
    ['v3 access token with a space', v3({ accessToken: 'ab c' }), /accessToken/],
    ['v3 service id with CR/LF', v3({ serviceId: '1\r\n' }), /serviceId must be the numeric service id/],
    ['v2 apiKey containing ":" (HTTP Basic splits there)', { baseUrl: 'https://api.authlete.com', apiKey: 'a:b', apiSecret: 's' }, /apiKey .*":"/],
    ['v2 apiSecret with CR/LF', { baseUrl: 'https://api.authlete.com', apiKey: '1', apiSecret: 's\r\n' }, /apiSecret must be printable ASCII/],
    ['v2 apiKey with a line break', { baseUrl: 'https://api.authlete.com', apiKey: '1\n', apiSecret: 's' }, /apiKey/],
  ])('%s', (_name, authlete, message) => {
    const error = thrown(() => createGuard({ authlete: authlete as unknown as GuardOptions['authlete'] }))
    expect(error.code).toBe('ERR_INVALID_CONFIG')
    expect(error.message).toMatch(message)
    // Never echo a credential back.
    expect(error.message).not.toMatch(/abc|service-token/)
  })

  it.each([['none'], ['HS256'], ['HS512'], ['ES256K1'], ['Ed25519']])('dpopAlgs %s: only the asymmetric algorithms Authlete verifies', (alg) => {
    const error = thrown(() => createGuard({ authlete: v3(), dpopAlgs: ['ES256', alg] }))
    expect(error.code).toBe('ERR_INVALID_CONFIG')
    expect(error.message).toContain(`not ${alg}`)
  })

  it('the same dpopAlgs rule holds for the authorization server', () => {
    expect(thrown(() => createAuthorizationServer({ authlete: v3(), dpopAlgs: ['none'] })).code).toBe('ERR_INVALID_CONFIG')
  })

  it('connections and dispatcher are options of the Node client: the root entry says where they belong', () => {
    for (const key of ['connections', 'dispatcher']) {
      const error = thrown(() => createGuard({ authlete: v3({ [key]: 4 }) }))
      expect(error.code).toBe('ERR_INVALID_CONFIG')
      expect(error.message).toBe(`authlete.${key} is an option of the Node client: create the guard with createNodeGuard from @authlete-guard/core/node (the Express, Fastify, Koa and NestJS adapters' createGuard is that one).`)
    }
  })

  it('a serviceId without an access token names the V3 options, not apiSecret', () => {
    const error = thrown(() => createGuard({ authlete: { baseUrl: 'https://us.authlete.com', serviceId: '715948317' } }))
    expect(error.message).toBe('Authlete API v3 needs authlete.accessToken.')
  })
})
