export { authleteGuard, authleteGuard as default, getAuth } from './plugin'
export type { AuthleteGuardPluginOptions, ProtectHook } from './plugin'
// The same set from every adapter; on Node, createGuard keeps an undici keep-alive pool to Authlete.
export { createGuard } from '@authlete-guard/core/node'
export { authleteOptionsFromEnv, AuthleteGuardError, isAuthleteGuardError } from '@authlete-guard/core'
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
