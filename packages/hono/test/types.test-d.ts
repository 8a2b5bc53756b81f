import { Hono, type MiddlewareHandler } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import { getAuth, protect, type AccessTokenInfo, type AuthEnv, type Guard, type RouteOptions } from '../src/index'

declare const guard: Guard

describe('@authlete-guard/hono types', () => {
  it('protect takes a guard or a guard factory and returns a Hono middleware of AuthEnv', () => {
    expectTypeOf(protect).parameters.toEqualTypeOf<[guard: Guard | (() => Guard), route?: RouteOptions]>()
    expectTypeOf(protect(guard)).toEqualTypeOf<MiddlewareHandler<AuthEnv>>()
  })

  it("c.get('auth') is the typed principal after protect", () => {
    const app = new Hono<AuthEnv>()
    app.get('/api/me', protect(guard, { scopes: ['profile'] }), (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AccessTokenInfo>()
      expectTypeOf(c.get('auth').tokenType).toEqualTypeOf<'DPoP' | 'Bearer'>()
      return c.json({ sub: c.get('auth').subject })
    })
  })

  it('typed even on an app without AuthEnv, through the middleware', () => {
    const app = new Hono()
    app.get('/api/me', protect(guard), (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AccessTokenInfo>()
      expectTypeOf(getAuth(c)).toEqualTypeOf<AccessTokenInfo>()
      return c.text('ok')
    })
  })
})
