export { withAuth } from './with-auth'
export type { AuthContext, AuthRouteHandler, RouteHandler, RouteHandlerContext } from './with-auth'
export { authProxy, checkInProxy, withoutAuthHeaders, authFromHeaders } from './proxy'
export type { AuthProxy, ProxiedAuth, ProxyCheck, ProxyRoutes } from './proxy'
// The same set from every adapter; here createGuard reaches Authlete with fetch (Node and Edge runtimes alike).
export { createGuard, authleteOptionsFromEnv, AuthleteGuardError, isAuthleteGuardError } from '@authlete-guard/core'
export type {
  AccessTokenInfo,
  AuthleteGuardErrorCode,
  AuthleteOptions,
  Decision,
  DenyDecision,
  Guard,
  GuardErrorEvent,
  GuardOptions,
  RouteOptions,
  TrustProxy,
} from '@authlete-guard/core'
