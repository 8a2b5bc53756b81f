import Fastify, { type FastifyRequest } from 'fastify'
import { describe, expectTypeOf, test } from 'vitest'
import authleteGuard, { authleteGuard as named, getAuth, type AccessTokenInfo, type Guard, type ProtectHook } from '../src/index'

declare const guard: Guard

describe('@authlete-guard/fastify types', () => {
  test('request.auth is AccessTokenInfo (the contract: request.auth.subject in a protected route)', () => {
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<AccessTokenInfo>()
    const app = Fastify()
    app.get('/api/me', { preHandler: app.protect({ scopes: ['profile'] }) }, async (request) => ({ sub: request.auth.subject }))
  })

  test('getAuth narrows to AccessTokenInfo in a protected route', () => {
    const app = Fastify()
    app.get('/api/me', { preHandler: app.protect({ scopes: ['profile'] }) }, async (request) => {
      expectTypeOf(getAuth(request)).toEqualTypeOf<AccessTokenInfo>()
      expectTypeOf(getAuth(request).subject).toEqualTypeOf<string | undefined>()
      expectTypeOf(request.auth.scopes).toEqualTypeOf<string[]>()
      return { sub: request.auth.subject }
    })
  })

  test('protect() fits onRequest and preHandler, alone or in arrays, on routes with typed generics', async () => {
    const app = Fastify()
    await app.register(authleteGuard, { guard })
    await app.register(named, { guard })
    expectTypeOf(app.protect).parameter(0).toEqualTypeOf<import('../src/index').RouteOptions | undefined>()
    expectTypeOf(app.protect()).toEqualTypeOf<ProtectHook>()
    app.get('/a', { onRequest: app.protect() }, async () => 'ok')
    app.post('/b', { preHandler: [app.protect({ scopes: ['write'] })] }, async () => 'ok')
    app.get<{ Params: { id: string }; Reply: { id: string } }>(
      '/items/:id',
      { onRequest: app.protect({ scopes: ['read'] }), preHandler: app.protect() },
      async (request) => ({ id: request.params.id }),
    )
    app.route({ method: 'GET', url: '/c', onRequest: app.protect(), handler: async () => 'ok' })
    app.addHook('onRequest', app.protect())
  })

  test('the plugin requires { guard }', () => {
    const app = Fastify()
    // @ts-expect-error guard is required
    void app.register(authleteGuard, {})
  })
})
