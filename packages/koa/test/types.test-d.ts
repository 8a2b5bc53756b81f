import Koa, { type DefaultState, type Middleware } from 'koa'
import Router from '@koa/router'
import { describe, expectTypeOf, it } from 'vitest'
import { createGuard, protect, type AccessTokenInfo, type AuthState, type Guard, type RouteOptions } from '../src/index'

declare const guard: Guard

describe('@authlete-guard/koa types', () => {
  it('protect returns a Koa Middleware whose state carries auth', () => {
    expectTypeOf(protect).parameters.toEqualTypeOf<[guard: Guard, route?: RouteOptions]>()
    expectTypeOf(protect(guard)).toEqualTypeOf<Middleware<DefaultState & AuthState>>()
    expectTypeOf<AuthState['auth']>().toEqualTypeOf<AccessTokenInfo>()
  })

  it('ctx.state.auth is typed in the route after protect on @koa/router', () => {
    const router = new Router()
    router.get('/api/me', protect(guard, { scopes: ['profile'] }), (ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<AccessTokenInfo>()
      expectTypeOf(ctx.state.auth.subject).toEqualTypeOf<string | undefined>()
      ctx.body = { sub: ctx.state.auth.subject }
    })
    router.post('/api/items', protect(guard, { scopes: ['write'] }), (ctx) => {
      expectTypeOf(ctx.state.auth.tokenType).toEqualTypeOf<'DPoP' | 'Bearer'>()
    })
  })

  it('keeps an application state type', () => {
    interface AppState { requestId: string }
    const router = new Router<AppState>()
    router.get('/x', protect<AppState>(guard), (ctx) => {
      expectTypeOf(ctx.state.requestId).toEqualTypeOf<string>()
      expectTypeOf(ctx.state.auth).toEqualTypeOf<AccessTokenInfo>()
    })
  })

  it('works as app-level middleware', () => {
    const app = new Koa<AuthState>()
    app.use(protect(guard))
    app.use((ctx) => {
      expectTypeOf(ctx.state.auth.scopes).toEqualTypeOf<string[]>()
    })
  })

  it('route options are checked', () => {
    // @ts-expect-error scopes is a string array
    protect(guard, { scopes: 'profile' })
  })

  it('one install is enough: createGuard is re-exported', () => {
    expectTypeOf(createGuard).returns.toEqualTypeOf<Guard>()
  })
})
