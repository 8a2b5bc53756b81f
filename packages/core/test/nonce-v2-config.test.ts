// Issue 19, points 6 and 13a: what a configuration cannot do must fail at start-up, saying why.
// - `dpopNonceRequired` with Authlete API V2 (which has no DPoP nonces, reference §9) would be
//   dropped silently: validateRouteOptions(route, guard) and createAuthorizationServer refuse it.
// - A key or curve name in `dpopAlgs` (Ed25519) is refused with the JWS alg meant (EdDSA).
import { afterAll, describe, expect, it } from 'vitest'
import { createGuard, validateRouteOptions, type RouteOptions } from '../src'
import { createAuthorizationServer } from '../src/authorization-server'
import { createAuthorizationServer as createNodeAuthorizationServer, createGuard as createNodeGuard } from '../src/node'
import { thrown } from './support/thrown'

// Constructed only, never called: nothing is sent anywhere.
const V2 = { baseUrl: 'https://api.authlete.com', apiKey: '1234', apiSecret: 'api-secret' }
const V3 = { baseUrl: 'https://us.authlete.com', serviceId: '715948317', accessToken: 'service-token' }
const V2_REASON = /dpopNonceRequired cannot be enforced: Authlete API V2 has no DPoP nonces.*Use API V3/

describe('dpopNonceRequired with Authlete API V2 throws ERR_INVALID_CONFIG naming the reason', () => {
  const v2Guard = createGuard({ authlete: V2 })
  const v3Guard = createGuard({ authlete: V3 })
  const nodeV2 = createNodeGuard({ authlete: V2 })
  afterAll(() => Promise.all([v2Guard.close(), v3Guard.close(), nodeV2.close()]))

  it('validateRouteOptions(route, v2Guard) with dpopNonceRequired: true', () => {
    expect(v2Guard.authlete.apiVersion).toBe('V2')
    const error = thrown(() => validateRouteOptions({ dpopNonceRequired: true }, v2Guard))
    expect(error.code).toBe('ERR_INVALID_CONFIG')
    expect(error.message).toMatch(V2_REASON)
  })

  it('also for a route object validated before (without a guard, or with a V3 guard)', () => {
    const route: RouteOptions = { scopes: ['read'], dpopNonceRequired: true }
    expect(validateRouteOptions(route)).toBe(route)
    expect(validateRouteOptions(route, v3Guard)).toBe(route)
    expect(thrown(() => validateRouteOptions(route, v2Guard)).message).toMatch(V2_REASON)
    // ...and the V3 guard still takes the same object afterwards.
    expect(validateRouteOptions(route, v3Guard)).toBe(route)
  })

  it('a V2 guard takes routes without a required nonce; a /node V2 guard is refused alike', () => {
    expect(validateRouteOptions({ scopes: ['read'] }, v2Guard)).toEqual({ scopes: ['read'] })
    expect(validateRouteOptions({ dpopNonceRequired: false }, v2Guard)).toEqual({ dpopNonceRequired: false })
    expect(thrown(() => validateRouteOptions({ dpopNonceRequired: true }, nodeV2)).message).toMatch(V2_REASON)
  })

  it('createAuthorizationServer({ dpopNonceRequired: true }) with V2 authlete, root and /node', () => {
    for (const create of [createAuthorizationServer, createNodeAuthorizationServer]) {
      const error = thrown(() => create({ authlete: V2, dpopNonceRequired: true }))
      expect(error.code).toBe('ERR_INVALID_CONFIG')
      expect(error.message).toMatch(/^createAuthorizationServer option dpopNonceRequired cannot be enforced: Authlete API V2/)
    }
    // Not for V3, nor for V2 without the option.
    expect(createAuthorizationServer({ authlete: V3, dpopNonceRequired: true }).authlete.apiVersion).toBe('V3')
    expect(createAuthorizationServer({ authlete: V2, dpopNonceRequired: false }).authlete.apiVersion).toBe('V2')
  })
})

describe('dpopAlgs: a key or curve name is refused with the JWS alg meant', () => {
  it.each([
    ['Ed25519', 'EdDSA'],
    ['Ed448', 'EdDSA'],
    ['P-256', 'ES256'],
    ['secp256k1', 'ES256K'],
    ['es256', 'ES256'],
  ])('%s -> did you mean %s?', (name, meant) => {
    const error = thrown(() => createGuard({ authlete: V3, dpopAlgs: ['ES256', name] }))
    expect(error.code).toBe('ERR_INVALID_CONFIG')
    expect(error.message).toContain(`not ${name}.`)
    expect(error.message).toContain(`${name} is not a JWS alg name; did you mean ${meant}?`)
  })

  it('the authorization server gives the same hint; a name with no near alg gets none', () => {
    expect(thrown(() => createAuthorizationServer({ authlete: V3, dpopAlgs: ['Ed25519'] })).message).toContain('did you mean EdDSA?')
    expect(thrown(() => createGuard({ authlete: V3, dpopAlgs: ['HS256'] })).message).not.toContain('did you mean')
  })
})
