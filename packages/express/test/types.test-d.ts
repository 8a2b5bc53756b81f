import express, { type Request, type RequestHandler } from 'express'
import { describe, expectTypeOf, it } from 'vitest'
import { createGuard, getAuth, protect, type AccessTokenInfo, type Guard, type RouteOptions } from '../src/index'

declare const guard: Guard

describe('@authlete-guard/express types', () => {
  it('protect returns an Express RequestHandler usable in app.get', () => {
    expectTypeOf(protect).parameters.toEqualTypeOf<[guard: Guard, route?: RouteOptions]>()
    expectTypeOf(protect(guard)).toEqualTypeOf<RequestHandler>()
    const app = express()
    app.get('/api/me', protect(guard, { scopes: ['profile'] }), (req, res) => {
      expectTypeOf(req.auth).toEqualTypeOf<AccessTokenInfo>()
      res.json({ sub: req.auth.subject }) // the contract compiles as written
    })
  })

  it('req.auth is the core AccessTokenInfo on every Express Request (declaration merging)', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<AccessTokenInfo>()
    expectTypeOf<Request['auth']['subject']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<Request['auth']['tokenType']>().toEqualTypeOf<'DPoP' | 'Bearer'>()
    expectTypeOf<Request['auth']['scopes']>().toEqualTypeOf<string[]>()
  })

  it('getAuth gives the token typed non-null', () => {
    expectTypeOf(getAuth).parameters.toEqualTypeOf<[req: Request]>()
    expectTypeOf(getAuth).returns.toEqualTypeOf<AccessTokenInfo>()
  })

  it('route options are checked', () => {
    // @ts-expect-error scopes is a string array
    protect(guard, { scopes: 'profile' })
    // @ts-expect-error unknown option
    protect(guard, { scope: ['profile'] })
  })

  it('one install is enough: createGuard is re-exported', () => {
    expectTypeOf(createGuard).returns.toEqualTypeOf<Guard>()
  })
})
