import type { Context, MiddlewareHandler } from 'hono'
import { AuthleteGuardError, denialResponse, fromFetchRequest, validateRouteOptions, withDecisionHeaders } from '@authlete-guard/core'
import type { AccessTokenInfo, Guard, RequestLike, RouteOptions } from '@authlete-guard/core'

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

/** One guard per factory, however many routes share it (one cache, one replay store). */
const fromFactories = new WeakMap<() => Guard, Guard>()

/**
 * Hono middleware that lets a request through only with an access token Authlete accepts for
 * `route` (Bearer or DPoP). Allowed: `c.get('auth')` is the token and the decision's headers
 * (`DPoP-Nonce`) are on the response. Denied: the guard's status, headers (`WWW-Authenticate`,
 * `DPoP-Nonce`, no-store) and JSON body, and the handler never runs. Runs wherever Hono does:
 * Cloudflare Workers, Deno, Bun, Node, the Next.js edge.
 *
 * @example
 * import { Hono } from 'hono'
 * import { authleteOptionsFromEnv, createGuard, protect, type AuthEnv } from '@authlete-guard/hono'
 *
 * const guard = createGuard({ authlete: authleteOptionsFromEnv() })
 * const app = new Hono<AuthEnv>()
 * app.get('/api/me', protect(guard, { scopes: ['profile'] }), (c) => c.json({ sub: c.get('auth').subject }))
 */
export function protect(guard: Guard | (() => Guard), route?: RouteOptions): MiddlewareHandler<AuthEnv> {
  if (!guard || (typeof guard !== 'function' && typeof guard.check !== 'function')) {
    throw new AuthleteGuardError('ERR_INVALID_CONFIG', '@authlete-guard/hono: protect(guard) needs a guard from createGuard() (or a function returning one)')
  }
  // A typo (or a nonce on Authlete API V2) fails at start-up; a guard factory's on its first request.
  validateRouteOptions(route, typeof guard === 'function' ? undefined : guard)
  // A factory is called on the first request: on Workers the environment (and so the
  // credentials) exists only inside a request.
  let resolved = typeof guard === 'function' ? undefined : guard
  return async function authleteGuard(c, next) {
    if (!resolved) {
      const factory = guard as () => Guard
      resolved = fromFactories.get(factory) ?? factory()
      fromFactories.set(factory, resolved)
    }
    const decision = await resolved.check(toRequestLike(c), route)
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

// The same set from every adapter; here createGuard reaches Authlete with fetch (any runtime).
export { createGuard, authleteOptionsFromEnv, AuthleteGuardError, createMemoryReplayStore, isAuthleteGuardError } from '@authlete-guard/core'
export type {
  AccessTokenInfo,
  AuthleteGuardErrorCode,
  AuthleteOptions,
  CacheOptions,
  Decision,
  DenyDecision,
  Guard,
  GuardErrorEvent,
  GuardOptions,
  ReplayStore,
  RouteOptions,
  TrustProxy,
} from '@authlete-guard/core'
