// Issue 19, point 6b: withAuth, authProxy and checkInProxy with a guard on Authlete API V2 refuse
// a route that requires a DPoP nonce (V2 has none) with ERR_INVALID_CONFIG.
import { afterAll, expect, it } from 'vitest'
import { authProxy, checkInProxy, createGuard, withAuth } from '../src/index'

// Constructed only: no Authlete call is made, so the base URL is never reached.
const v2 = createGuard({ authlete: { baseUrl: 'http://127.0.0.1:9', apiKey: '1234', apiSecret: 'secret' } })
const v3 = createGuard({ authlete: { baseUrl: 'http://127.0.0.1:9', serviceId: '1234', accessToken: 'token' } })
afterAll(() => Promise.all([v2.close(), v3.close()]))
const refused = expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringContaining('Authlete API V2 has no DPoP nonces') })

it('withAuth and authProxy: V2 guard + nonce route throws when the module loads; V3 guard takes it', () => {
  expect(() => withAuth(v2, () => new Response('ok'), { dpopNonceRequired: true })).toThrow(refused)
  expect(() => authProxy(v2, { dpopNonceRequired: true })).toThrow(refused)
  expect(typeof withAuth(v3, () => new Response('ok'), { dpopNonceRequired: true })).toBe('function')
  expect(typeof authProxy(v3, { dpopNonceRequired: true })).toBe('function')
})

it('checkInProxy (routes chosen per request) rejects before any Authlete call', async () => {
  await expect(checkInProxy(new Request('http://127.0.0.1/api/me', { headers: { authorization: 'Bearer t' } }), v2, { dpopNonceRequired: true })).rejects.toEqual(refused)
})
