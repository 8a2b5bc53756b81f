import type { NextRequest } from 'next/server'
import { describe, expectTypeOf, test } from 'vitest'
import { withAuth, type AccessTokenInfo, type Guard, type RouteHandlerContext } from '../src/index'

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
