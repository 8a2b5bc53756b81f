import type { headers } from 'next/headers'
import type { NextMiddleware, NextProxy, NextRequest } from 'next/server'
import { describe, expectTypeOf, test } from 'vitest'
import {
  authFromHeaders,
  authProxy,
  checkInProxy,
  withAuth,
  withoutAuthHeaders,
  type AccessTokenInfo,
  type AuthProxy,
  type DenyDecision,
  type Guard,
  type ProxiedAuth,
  type ProxyCheck,
  type RouteHandlerContext,
} from '../src/index'

declare const guard: Guard

/** What Next 16's generated `.next/types/validator.ts` checks a route module's exports against. */
type RouteHandlerConfig<Params> = {
  GET?: (request: NextRequest, context: { params: Promise<Params> }) => Promise<Response | void> | Response | void
  POST?: (request: NextRequest, context: { params: Promise<Params> }) => Promise<Response | void> | Response | void
}
/** Next 16's global `RouteContext<'/items/[id]'>`, for the route `/items/[id]`. */
interface ItemContext {
  params: Promise<{ id: string }>
}

describe('@authlete-guard/next types', () => {
  test('the handler gets the request and Next context plus auth: AccessTokenInfo', () => {
    withAuth(guard, async (request, context) => {
      expectTypeOf(request).toEqualTypeOf<Request>()
      expectTypeOf(context.auth).toEqualTypeOf<AccessTokenInfo>()
      expectTypeOf(context.auth.subject).toEqualTypeOf<string | undefined>()
      expectTypeOf(context.params).toEqualTypeOf<RouteHandlerContext['params']>()
      return Response.json({ sub: context.auth.subject })
    })
  })

  test('typed request and params through the type arguments (NextRequest, RouteContext)', () => {
    const GET = withAuth<NextRequest, ItemContext>(
      guard,
      async (request, { auth, params }) => {
        expectTypeOf(request).toEqualTypeOf<NextRequest>()
        expectTypeOf(request.nextUrl).toEqualTypeOf<NextRequest['nextUrl']>()
        expectTypeOf(auth).toEqualTypeOf<AccessTokenInfo>()
        expectTypeOf(await params).toEqualTypeOf<{ id: string }>()
        return Response.json({ id: (await params).id })
      },
      { scopes: ['items:read'] },
    )
    expectTypeOf(GET).parameters.toEqualTypeOf<[NextRequest, ItemContext]>()
    expectTypeOf(GET).returns.toEqualTypeOf<Promise<Response>>()
    expectTypeOf({ GET }).toExtend<RouteHandlerConfig<{ id: string }>>()
  })

  test('the default-typed export satisfies Next 16 route validation for static and dynamic routes', () => {
    const GET = withAuth(guard, async (_request, { auth }) => Response.json({ sub: auth.subject }))
    const POST = withAuth(guard, async () => new Response(null, { status: 204 }), { scopes: ['write'] })
    expectTypeOf({ GET, POST }).toExtend<RouteHandlerConfig<{}>>()
    expectTypeOf({ GET, POST }).toExtend<RouteHandlerConfig<{ id: string }>>()
    expectTypeOf({ GET, POST }).toExtend<RouteHandlerConfig<{ slug: string[] }>>()
  })

  test('the handler must return a Response', () => {
    // @ts-expect-error a route handler wrapped by withAuth returns a Response
    withAuth(guard, async () => ({ sub: 'x' }))
  })
})

describe('lazy guard', () => {
  test('withAuth accepts a function returning the guard', () => {
    const GET = withAuth(() => guard, async (_request, { auth }) => Response.json({ sub: auth.subject }))
    expectTypeOf(GET).parameters.toEqualTypeOf<[Request, RouteHandlerContext]>()
  })
})

describe('proxy', () => {
  test('authProxy is a Next proxy (16) and middleware (14, 15) function', () => {
    const proxy = authProxy(guard, { scopes: ['items:read'] })
    expectTypeOf(proxy).toEqualTypeOf<AuthProxy<Request>>()
    expectTypeOf(proxy).toExtend<NextProxy>()
    expectTypeOf(proxy).toExtend<NextMiddleware>()
    expectTypeOf(authProxy(() => guard)).toExtend<NextProxy>()
  })

  test('routes: options, or a function of the request (typed NextRequest when annotated) giving options or a boolean', () => {
    const proxy = authProxy(guard, (request: NextRequest) => {
      expectTypeOf(request.nextUrl.pathname).toEqualTypeOf<string>()
      return request.nextUrl.pathname.startsWith('/api/admin/') ? { scopes: ['admin'] } : true
    })
    expectTypeOf(proxy).parameters.toEqualTypeOf<[NextRequest]>()
    expectTypeOf(proxy).toExtend<NextProxy>()
    authProxy(guard, async () => null)
    authProxy(guard, () => false)
    // @ts-expect-error route options are RouteOptions (scopes, not scope)
    authProxy(guard, { scope: ['x'] })
    // @ts-expect-error a route function returns options or a boolean
    authProxy(guard, () => 'yes')
  })

  test('checkInProxy narrows on allowed', async () => {
    const result = await checkInProxy(new Request('http://localhost/'), guard)
    expectTypeOf(result).toEqualTypeOf<ProxyCheck>()
    expectTypeOf(result.response).toEqualTypeOf<Response>()
    if (result.allowed) {
      expectTypeOf(result.auth).toEqualTypeOf<AccessTokenInfo>()
      expectTypeOf(result.requestHeaders).toEqualTypeOf<Headers>()
      expectTypeOf(result.responseHeaders).toEqualTypeOf<Headers>()
    } else {
      expectTypeOf(result.decision).toEqualTypeOf<DenyDecision>()
    }
  })

  test('authFromHeaders reads request.headers and next/headers\' headers(); ProxiedAuth has AccessTokenInfo\'s field types', async () => {
    expectTypeOf(authFromHeaders(new Headers())).toEqualTypeOf<ProxiedAuth | undefined>()
    expectTypeOf(authFromHeaders).toBeCallableWith({} as Awaited<ReturnType<typeof headers>>)
    expectTypeOf<ProxiedAuth['subject']>().toEqualTypeOf<AccessTokenInfo['subject']>()
    expectTypeOf<ProxiedAuth['tokenType']>().toEqualTypeOf<'DPoP' | 'Bearer'>()
    expectTypeOf<ProxiedAuth>().not.toHaveProperty('raw')
    expectTypeOf<ProxiedAuth>().not.toHaveProperty('hiddenProperties')
    expectTypeOf(withoutAuthHeaders(new Headers())).toEqualTypeOf<Headers>()
  })
})
