// Issue 19, point 6b: app.protect({ dpopNonceRequired: true }) with a guard on Authlete API V2
// (which has no DPoP nonces) throws ERR_INVALID_CONFIG when the route is declared.
import Fastify from 'fastify'
import { afterAll, expect, it } from 'vitest'
import authleteGuard, { createGuard } from '../src/index'

// Constructed only: no request is made, so the base URL is never reached.
const v2 = createGuard({ authlete: { baseUrl: 'http://127.0.0.1:9', apiKey: '1234', apiSecret: 'secret' } })
const v3 = createGuard({ authlete: { baseUrl: 'http://127.0.0.1:9', serviceId: '1234', accessToken: 'token' } })
afterAll(() => Promise.all([v2.close(), v3.close()]))

it.each([
  { version: 'V2', guard: v2, throws: true },
  { version: 'V3', guard: v3, throws: false },
])('a nonce route with a $version guard: throws $throws', async ({ guard, throws }) => {
  const app = Fastify()
  await app.register(authleteGuard, { guard })
  const declare = () => app.get('/nonce', { onRequest: app.protect({ dpopNonceRequired: true }) }, async () => 'ok')
  if (throws) expect(declare).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringContaining('Authlete API V2 has no DPoP nonces') }))
  else expect(declare).not.toThrow()
  await app.close()
})
