/**
 * `@authlete-guard/nestjs`: the guard as a NestJS module. Import `AuthleteGuardModule` once, mark
 * handlers or controllers with `@Protect(routeOptions)`, read the principal with `@Auth()`.
 */
export { AuthleteGuardModule } from './module'
export type { AuthleteGuardModuleAsyncOptions, AuthleteGuardModuleOptions } from './module'
export { Protect } from './protect'
export { Auth } from './auth'
export { AUTHLETE_GUARD } from './tokens'

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
