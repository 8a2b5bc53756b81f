import { denialResponse, fromFetchRequest, routeCheck, withDecisionHeaders } from '@authlete-guard/core'
import type { AccessTokenInfo, Guard, GuardFactory, RouteOptions } from '@authlete-guard/core'

/**
 * The second argument Next.js passes to an App Router route handler: `params` is a Promise of
 * the dynamic segments (Next 15 and later). Pass Next's own `RouteContext<'/route/[id]'>` as the
 * `Context` type argument of `withAuth` for precise params.
 */
export interface RouteHandlerContext {
  params: Promise<Record<string, string | string[] | undefined>>
}

/** The context a protected handler receives: Next's own context plus the introspected token. */
export type AuthContext<Context = RouteHandlerContext> = Context & { auth: AccessTokenInfo }

/** A route handler that runs only with an access token Authlete accepted. */
export type AuthRouteHandler<Req extends Request = Request, Context = RouteHandlerContext> = (
  request: Req,
  context: AuthContext<Context>,
) => Response | Promise<Response>

/** What `withAuth` returns: an App Router route handler (`export const GET = ...`). */
export type RouteHandler<Req extends Request = Request, Context = RouteHandlerContext> = (
  request: Req,
  context: Context,
) => Promise<Response>

/**
 * Protects an App Router route handler. The handler runs only when Authlete accepts the access
 * token (Bearer or DPoP) for `routeOptions`, and receives Next's context (`params`) plus `auth`.
 * A denial is answered with the guard's status, headers (`WWW-Authenticate`, `DPoP-Nonce`, ...)
 * and JSON body. On success the decision's headers (`DPoP-Nonce`) are added to the handler's
 * response. Works with `NextRequest` and with a plain `Request`, in the Node.js runtime and in the
 * edge runtime (`export const runtime = 'edge'`): it and the core use only `fetch`, `Request`,
 * `Response` and Web Crypto.
 *
 * `guard` may also be a function returning the guard (`GuardFactory`): it is called once, on the
 * first request, so `next build` (which evaluates route modules) does not need the Authlete
 * environment variables, and the guard it returns is shared by every handler (and `authProxy`)
 * given that same function.
 *
 * `htu` is built by the guard from the `Host` header (not from `request.url`, which `next start`
 * rewrites to `localhost`), `publicUrl` and `trustProxy`: behind a proxy or on Vercel set one of
 * them on the guard (see the README).
 *
 * @example
 * // app/api/items/[id]/route.ts
 * import { createGuard, authleteOptionsFromEnv, withAuth } from '@authlete-guard/next'
 * const guard = createGuard({ authlete: authleteOptionsFromEnv() })
 *
 * export const GET = withAuth(guard, async (request, { auth, params }) => {
 *   const { id } = await params
 *   return Response.json({ id, sub: auth.subject })
 * }, { scopes: ['items:read'] })
 *
 * @example
 * // Created on the first request, so `next build` runs without AUTHLETE_* in its environment.
 * export const GET = withAuth(() => createGuard({ authlete: authleteOptionsFromEnv() }), async (_request, { auth }) => Response.json({ sub: auth.subject }))
 */
export function withAuth<Req extends Request = Request, Context = RouteHandlerContext>(
  guard: Guard | GuardFactory,
  handler: AuthRouteHandler<Req, Context>,
  routeOptions?: RouteOptions,
): RouteHandler<Req, Context> {
  // A missing guard or a typo (or a nonce on Authlete API V2) fails when the module loads.
  const check = routeCheck(guard, routeOptions, '@authlete-guard/next: withAuth(guard)')
  return async function authleteGuardRouteHandler(request, context) {
    const decision = await check(fromFetchRequest(request))
    if (!decision.allowed) return denialResponse(decision)
    const response = await handler(request, { ...context, auth: decision.auth } as AuthContext<Context>)
    return withDecisionHeaders(response, decision)
  }
}

