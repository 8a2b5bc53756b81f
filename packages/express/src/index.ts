import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { AuthleteGuardError, assertGuard, resourceMetadataResponder, routeCheck } from '@authlete-guard/core'
import { fromExpressRequest, setDecisionHeaders, writeDenial } from '@authlete-guard/core/node'
import type { AccessTokenInfo, Guard, RequestLike, ResourceMetadataServeOptions, RouteOptions } from '@authlete-guard/core'

declare global {
  // Express's own extension point; the same merge works with @types/express 4 and 5.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /**
       * The introspected access token, set by `protect()` before the route runs, so a protected
       * route reads `req.auth.subject` directly. Typed as always present (like `@fastify/jwt`'s
       * `request.user`); on a route WITHOUT `protect()` it is `undefined` at run time: use
       * `getAuth(req)` where that can happen.
       */
      auth: AccessTokenInfo
    }
  }
}

/**
 * The guard's view of an Express request: the full original URL (mount prefix included) and the
 * scheme and host Express resolved under `trust proxy` (the core's `fromExpressRequest`).
 *
 * @example
 * const decision = await guard.check(toRequestLike(req), { scopes: ['read'] })
 */
export const toRequestLike: (req: Request) => RequestLike = fromExpressRequest

/**
 * The token of a request that went through `protect()`, checked at run time: throws
 * `ERR_INVALID_CONFIG`, which reaches your error handler as a 500, when the route has no
 * `protect()` in front of it (where `req.auth` would be `undefined` despite its type).
 *
 * @example
 * app.get('/api/me', protect(guard), (req, res) => res.json({ sub: getAuth(req).subject }))
 */
export function getAuth(req: Request): AccessTokenInfo {
  if ((req.auth as AccessTokenInfo | undefined) !== undefined) return req.auth
  throw new AuthleteGuardError('ERR_INVALID_CONFIG', `@authlete-guard/express: req.auth is not set on ${req.method} ${req.path}: add protect() to the route`)
}

const PROTECT = '@authlete-guard/express: protect(guard)'

/**
 * Express middleware that lets a request through only with an access token Authlete accepts for
 * `route`. Allowed: `req.auth` is set and the decision's headers (e.g. `DPoP-Nonce`) are on the
 * response. Denied: the guard's status, headers and JSON body are sent and the route never runs.
 * Unexpected errors go to `next(err)`. Works with Express 4 and 5.
 *
 * @example
 * const guard = createGuard({ authlete: authleteOptionsFromEnv() })
 * app.get('/api/me', protect(guard, { scopes: ['profile'] }), (req, res) => {
 *   res.json({ sub: req.auth.subject })
 * })
 */
export function protect(guard: Guard, route?: RouteOptions): RequestHandler {
  assertGuard(guard, PROTECT)
  const check = routeCheck(guard, route, PROTECT) // a typo (or a nonce on Authlete API V2) fails at start-up
  return function authleteGuard(req: Request, res: Response, next: NextFunction): void {
    check(toRequestLike(req))
      .then((decision) => {
        if (!decision.allowed) return writeDenial(res, decision) // Node's own API: Express's send() would add a charset and an ETag
        setDecisionHeaders(res, decision)
        req.auth = decision.auth
        next()
      })
      .catch(next)
  }
}

const RESOURCE_METADATA = '@authlete-guard/express: resourceMetadata(guard)'

/**
 * Express middleware that serves the guard's OAuth 2.0 Protected Resource Metadata (RFC 9728) at
 * the path of `guard.resourceMetadataUrl` (e.g. `/.well-known/oauth-protected-resource/mcp`) and
 * at `/.well-known/oauth-protected-resource`: `GET` and `HEAD` as cacheable `application/json`
 * with `Access-Control-Allow-Origin: *`, `OPTIONS` as a CORS preflight, other methods 405. Every
 * other request goes on (`next()`). Mount it on the app, not under a path: the well-known paths
 * are the origin's. The guard needs `resource` and `resourceMetadata`, or this throws
 * `ERR_INVALID_CONFIG` (at start-up).
 *
 * @example
 * const guard = createGuard({ authlete: authleteOptionsFromEnv(), resource: 'https://api.example.com/mcp', resourceMetadata: { authorization_servers: ['https://as.example.com'] } })
 * app.use(resourceMetadata(guard))
 * app.post('/mcp', protect(guard), mcpHandler)
 */
export function resourceMetadata(guard: Guard, options?: ResourceMetadataServeOptions): RequestHandler {
  assertGuard(guard, RESOURCE_METADATA)
  const respond = resourceMetadataResponder(guard, RESOURCE_METADATA, options)
  return function authleteResourceMetadata(req: Request, res: Response, next: NextFunction): void {
    const answer = respond({ method: req.method, url: req.originalUrl })
    if (answer) writeDenial(res, answer) // Node's own API: nothing added, as for a denial
    else next()
  }
}

// The core's list every adapter re-exports, and on Node its undici-pool guard as createGuard.
export * from '@authlete-guard/core/adapter'
export { createNodeGuard as createGuard, type NodeAuthleteOptions as AuthleteOptions, type NodeGuardOptions as GuardOptions } from '@authlete-guard/core/node'
export { tokenEndpoint, parEndpoint, userinfoEndpoint, authorizationServerMetadata, sendEndpointResponse, DEFAULT_FORM_BODY_LIMIT } from './authorization-server'
export type { FormEndpointOptions, TokenEndpointOptions } from './authorization-server'
export { createNodeAuthorizationServer as createAuthorizationServer, type NodeAuthorizationServerOptions as AuthorizationServerOptions } from '@authlete-guard/core/node'
export type { AuthorizationServer, AuthorizationServerMetadataOptions, GetClaims, GetUserInfoSub, TokenActionRequired, TokenResult, UserInfoCallOptions } from '@authlete-guard/core/authorization-server'
