export { authleteGuard, authleteGuard as default, getAuth } from './plugin'
export type { AuthleteGuardPluginOptions, ProtectHook } from './plugin'
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
