import type { Context, DefaultState, Middleware } from 'koa'
import { assertGuard, resourceMetadataResponder, routeCheck } from '@authlete-guard/core'
import { fromNodeRequest } from '@authlete-guard/core/node'
import type { AccessTokenInfo, Guard, RequestLike, ResourceMetadataServeOptions, RouteOptions } from '@authlete-guard/core'

/**
 * What `protect()` adds to `ctx.state` for the middleware and route after it.
 *
 * @example
 * router.get('/api/me', protect(guard), (ctx) => { ctx.body = { sub: ctx.state.auth.subject } })
 * // or, for a whole router: new Router<AuthState>()
 */
export interface AuthState {
  /** The introspected access token. */
  auth: AccessTokenInfo
}

/**
 * The guard's view of a Koa request: the full original URL (mount prefix included) and the scheme
 * and host Koa resolved under `app.proxy`.
 *
 * @example
 * const decision = await guard.check(toRequestLike(ctx), { scopes: ['read'] })
 */
export function toRequestLike(ctx: Context): RequestLike {
  const host = ctx.host
  return fromNodeRequest(ctx.req, {
    url: ctx.originalUrl,
    frameworkOrigin: host === '' ? undefined : { protocol: ctx.protocol, host },
  })
}

const PROTECT = '@authlete-guard/koa: protect(guard)'

/**
 * Koa middleware that lets a request through only with an access token Authlete accepts for
 * `route`. Allowed: `ctx.state.auth` is set (typed through `AuthState`) and the decision's headers
 * (e.g. `DPoP-Nonce`) are on the response. Denied: the guard's status, headers and JSON body are
 * set and `next` is never called. Unexpected errors are thrown to Koa's error handling.
 * Works with Koa 2 and 3 and `@koa/router`.
 *
 * @example
 * const guard = createGuard({ authlete: authleteOptionsFromEnv() })
 * router.get('/api/me', protect(guard, { scopes: ['profile'] }), (ctx) => {
 *   ctx.body = { sub: ctx.state.auth.subject }
 * })
 */
export function protect<StateT = DefaultState>(guard: Guard, route?: RouteOptions): Middleware<StateT & AuthState> {
  assertGuard(guard, PROTECT)
  const check = routeCheck(guard, route, PROTECT) // a typo (or a nonce on Authlete API V2) fails at start-up
  return async function authleteGuard(ctx, next) {
    const decision = await check(toRequestLike(ctx))
    ctx.set(decision.headers)
    if (decision.allowed) {
      ctx.state.auth = decision.auth
      return next()
    }
    // Headers first: with Content-Type already set, Koa keeps it when the body is assigned.
    ctx.status = decision.status
    ctx.body = decision.body
  }
}

const RESOURCE_METADATA = '@authlete-guard/koa: resourceMetadata(guard)'

/**
 * Koa middleware that serves the guard's OAuth 2.0 Protected Resource Metadata (RFC 9728) at the
 * path of `guard.resourceMetadataUrl` (e.g. `/.well-known/oauth-protected-resource/mcp`) and at
 * `/.well-known/oauth-protected-resource`: `GET` and `HEAD` as cacheable `application/json` with
 * `Access-Control-Allow-Origin: *`, `OPTIONS` as a CORS preflight, other methods 405. Every other
 * request goes on (`next()`). Use it on the app (`app.use`), before the routers. The guard needs
 * `resource` and `resourceMetadata`, or this throws `ERR_INVALID_CONFIG` (at start-up).
 *
 * @example
 * const guard = createGuard({ authlete: authleteOptionsFromEnv(), resource: 'https://api.example.com/mcp', resourceMetadata: { authorization_servers: ['https://as.example.com'] } })
 * app.use(resourceMetadata(guard))
 * app.use(router.routes())
 */
export function resourceMetadata(guard: Guard, options?: ResourceMetadataServeOptions): Middleware {
  assertGuard(guard, RESOURCE_METADATA)
  const respond = resourceMetadataResponder(guard, RESOURCE_METADATA, options)
  return async function authleteResourceMetadata(ctx, next) {
    const answer = respond({ method: ctx.method, url: ctx.originalUrl })
    if (!answer) return next()
    ctx.status = answer.status
    ctx.set(answer.headers)
    // No body for HEAD and 204: Koa then keeps the Content-Length set above (HEAD) and sends nothing.
    if (answer.body !== '') ctx.body = answer.body
  }
}

// The core's list every adapter re-exports, and on Node its undici-pool guard as createGuard.
export * from '@authlete-guard/core/adapter'
export { createNodeGuard as createGuard, type NodeAuthleteOptions as AuthleteOptions, type NodeGuardOptions as GuardOptions } from '@authlete-guard/core/node'
