// Issue 19, point 6b: protect(v2Guard, { dpopNonceRequired: true }) throws ERR_INVALID_CONFIG at
// start-up: Authlete API V2 has no DPoP nonces, so the route's nonce could never be enforced.
// (Express, Fastify and Next have their own tests: they also run a request or take other shapes.)
import { afterAll, describe, expect, it } from 'vitest'
import * as hono from '@authlete-guard/hono'
import * as koa from '@authlete-guard/koa'

// Constructed only: no request is made, so the base URL is never reached.
const V2 = { baseUrl: 'http://127.0.0.1:9', apiKey: '1234', apiSecret: 'secret' }
const V3 = { baseUrl: 'http://127.0.0.1:9', serviceId: '1234', accessToken: 'token' }

describe.each([
  ['hono', hono.createGuard, hono.protect],
  ['koa', koa.createGuard, koa.protect],
] as const)('%s', (_name, createGuard, protect) => {
  const v2 = createGuard({ authlete: V2 })
  const v3 = createGuard({ authlete: V3 })
  afterAll(() => Promise.all([v2.close(), v3.close()]))

  it('V2 guard + nonce route throws; V3 guard takes it', () => {
    expect(() => protect(v2, { dpopNonceRequired: true })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringContaining('Authlete API V2 has no DPoP nonces') }))
    expect(typeof protect(v3, { dpopNonceRequired: true })).toBe('function')
  })
})
