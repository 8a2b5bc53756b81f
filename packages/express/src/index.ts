import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { AuthleteGuardError, validateRouteOptions } from '@authlete-guard/core'
import { fromNodeRequest } from '@authlete-guard/core/node'
import type { AccessTokenInfo, Guard, RequestLike, RouteOptions } from '@authlete-guard/core'
import { sendEndpointResponse } from './authorization-server'

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
 * The host as Express resolves it under its `trust proxy` setting, port included. Express 5's
 * `req.host` is exactly this; Express 4's `req.host` drops the port, so both read it the way
 * Express 5 does, with the app's own compiled trust function.
 */
function frameworkHost(req: Request): string | undefined {
  const trust = req.app.get('trust proxy fn') as ((address: string | undefined, hop: number) => boolean) | undefined
  const forwarded = req.get('x-forwarded-host')
  if (forwarded && trust?.(req.socket.remoteAddress, 0)) return forwarded.split(',')[0]!.trim()
  return req.get('host')
}

/**
 * The guard's view of an Express request: the full original URL (mount prefix included) and the
 * scheme and host Express resolved under `trust proxy`.
 *
 * @example
 * const decision = await guard.check(toRequestLike(req), { scopes: ['read'] })
 */
export function toRequestLike(req: Request): RequestLike {
  const host = frameworkHost(req)
  return fromNodeRequest(req, {
    url: req.originalUrl,
    frameworkOrigin: host === undefined ? undefined : { protocol: req.protocol, host },
  })
}

function assertGuard(guard: Guard): void {
  if (!guard || typeof guard.check !== 'function') {
    throw new AuthleteGuardError('ERR_INVALID_CONFIG', '@authlete-guard/express: protect(guard) needs a guard from createGuard()')
  }
}

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
  assertGuard(guard)
  validateRouteOptions(route, guard) // a typo (or a nonce on Authlete API V2) fails at start-up, not on the first request
  return function authleteGuard(req: Request, res: Response, next: NextFunction): void {
    guard
      .check(toRequestLike(req), route)
      .then((decision) => {
        if (decision.allowed) {
          res.set(decision.headers)
          req.auth = decision.auth
          next()
          return
        }
        // Node's own API (as sendEndpointResponse does): Express's send() would add a charset and an ETag.
        sendEndpointResponse(res, decision)
      })
      .catch(next)
  }
}

// The same set from every adapter; on Node, createGuard keeps an undici keep-alive pool to Authlete.
export { createGuard } from '@authlete-guard/core/node'
export { authleteOptionsFromEnv, AuthleteGuardError, createMemoryReplayStore, isAuthleteGuardError } from '@authlete-guard/core'
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
export { tokenEndpoint, parEndpoint, userinfoEndpoint, sendEndpointResponse, DEFAULT_FORM_BODY_LIMIT } from './authorization-server'
export type { FormEndpointOptions, TokenEndpointOptions } from './authorization-server'
export { createAuthorizationServer } from '@authlete-guard/core/node'
export type { AuthorizationServer, AuthorizationServerOptions, GetClaims, GetUserInfoSub, TokenActionRequired, TokenResult, UserInfoCallOptions } from '@authlete-guard/core/authorization-server'
