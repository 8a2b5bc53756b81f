export { authleteGuard, authleteGuard as default, getAuth } from './plugin'
export type { AuthleteGuardPluginOptions, ProtectHook } from './plugin'
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
