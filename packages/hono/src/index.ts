import type { Context, MiddlewareHandler } from 'hono'
import { AuthleteGuardError, denialResponse, fromFetchRequest, resourceMetadataFetchResponder, routeCheck, withDecisionHeaders } from '@authlete-guard/core'
import type { AccessTokenInfo, Guard, GuardFactory, RequestLike, ResourceMetadataServeOptions, RouteOptions } from '@authlete-guard/core'

/**
 * The Hono environment `protect()` gives the handlers after it: `c.get('auth')` is the introspected
 * token, typed.
 *
 * @example
 * const app = new Hono<AuthEnv>()
 * app.get('/api/me', protect(guard), (c) => c.json({ sub: c.get('auth').subject }))
 */
export type AuthEnv = { Variables: { auth: AccessTokenInfo } }

/**
 * The guard's view of a Hono request: the fetch `Request` as the runtime handed it over. `htu`
 * comes from the guard's `publicUrl` / `trustProxy`, else the `Host` header with the URL's own
 * scheme; Hono has no peer address of its own, so a `trustProxy` predicate is asked about `''`.
 *
 * @example
 * const decision = await guard.check(toRequestLike(c), { scopes: ['read'] })
 */
export function toRequestLike(c: Context): RequestLike {
  // On Workers, Deno.serve, Bun.serve and @hono/node-server the URL's scheme is the connection's own
  // (https when the client used TLS), unlike `next start`, where a client header sets it.
  return { ...fromFetchRequest(c.req.raw), encrypted: c.req.url.startsWith('https:') }
}

/**
 * Hono middleware that lets a request through only with an access token Authlete accepts for
 * `route` (Bearer or DPoP). Allowed: `c.get('auth')` is the token and the decision's headers
 * (`DPoP-Nonce`) are on the response. Denied: the guard's status, headers (`WWW-Authenticate`,
 * `DPoP-Nonce`, no-store) and JSON body, and the handler never runs. Runs wherever Hono does:
 * Cloudflare Workers, Deno, Bun, Node, the Next.js edge.
 *
 * `guard` may be a function returning the guard (`GuardFactory`): it is called once, on the first
 * request, and the guard it returns is shared by every route given that same function.
 *
 * @example
 * import { Hono } from 'hono'
 * import { authleteOptionsFromEnv, createGuard, protect, type AuthEnv } from '@authlete-guard/hono'
 *
 * const guard = createGuard({ authlete: authleteOptionsFromEnv() })
 * const app = new Hono<AuthEnv>()
 * app.get('/api/me', protect(guard, { scopes: ['profile'] }), (c) => c.json({ sub: c.get('auth').subject }))
 */
export function protect(guard: Guard | GuardFactory, route?: RouteOptions): MiddlewareHandler<AuthEnv> {
  // A typo (or a nonce on Authlete API V2) fails at start-up. A factory is called on the first
  // request (on Workers the credentials exist only inside one), once, its guard shared (`lazyGuard`).
  const check = routeCheck(guard, route, '@authlete-guard/hono: protect(guard)')
  return async function authleteGuard(c, next) {
    const decision = await check(toRequestLike(c))
    if (!decision.allowed) return denialResponse(decision)
    c.set('auth', decision.auth)
    await next()
    c.res = withDecisionHeaders(c.res, decision)
    return undefined
  }
}

/**
 * The token of a request that went through `protect()`; throws `ERR_INVALID_CONFIG` (a 500 from
 * Hono's error handling) on a route without it, instead of handing out `undefined`.
 *
 * @example
 * app.get('/api/me', protect(guard), (c) => c.json({ sub: getAuth(c).subject }))
 */
export function getAuth(c: Context): AccessTokenInfo {
  const auth = c.get('auth') as AccessTokenInfo | undefined
  if (auth) return auth
  throw new AuthleteGuardError('ERR_INVALID_CONFIG', `@authlete-guard/hono: c.get('auth') is not set on ${c.req.method} ${c.req.path}: add protect() to the route`)
}

/**
 * Hono middleware that serves the guard's OAuth 2.0 Protected Resource Metadata (RFC 9728) at the
 * path of `guard.resourceMetadataUrl` (e.g. `/.well-known/oauth-protected-resource/mcp`) and at
 * `/.well-known/oauth-protected-resource`: `GET` and `HEAD` as cacheable `application/json` with
 * `Access-Control-Allow-Origin: *`, `OPTIONS` as a CORS preflight, other methods 405. Every other
 * request goes on (`next()`). Use it on the app itself (`app.use(...)`), not on a sub-app mounted
 * under a path: the well-known paths are the origin's.
 *
 * A guard needs `resource` and `resourceMetadata`, or this throws `ERR_INVALID_CONFIG` (at
 * start-up). A guard factory (`GuardFactory`) is called on the first metadata request; if it
 * cannot serve the metadata, that request gets 500 and the cause goes to the guard's `onError`.
 *
 * @example
 * const getGuard = () => createGuard({ authlete: authleteOptionsFromEnv(), resource: 'https://api.example.com/mcp', resourceMetadata: { authorization_servers: ['https://as.example.com'] } })
 * const app = new Hono<AuthEnv>()
 * app.use(resourceMetadata(getGuard))
 * app.post('/mcp', protect(getGuard), (c) => transport.handleRequest(c.req.raw))
 */
export function resourceMetadata(guard: Guard | GuardFactory, options?: ResourceMetadataServeOptions): MiddlewareHandler {
  const respond = resourceMetadataFetchResponder(guard, '@authlete-guard/hono: resourceMetadata(guard)', options)
  return async function authleteResourceMetadata(c, next) {
    const response = respond(c.req.raw)
    if (response) return response
    await next()
    return undefined
  }
}

// The core's list every adapter re-exports, and createGuard of the root entry (fetch: any runtime).
export * from '@authlete-guard/core/adapter'
export { createGuard, type AuthleteOptions, type GuardOptions } from '@authlete-guard/core'
