/**
 * `@authlete-guard/core/adapter`: the one list of core names every framework adapter re-exports
 * (`export * from '@authlete-guard/core/adapter'`), so an app imports them from its adapter. The
 * runtime-bound names are not here: each adapter adds its runtime's `createGuard`, `GuardOptions`
 * and `AuthleteOptions` (the root entry's on Hono and Next; `createNodeGuard`, `NodeGuardOptions`
 * and `NodeAuthleteOptions` of `/node`, under those names, on Express, Fastify, Koa and NestJS).
 *
 * @example
 * // packages/<framework>/src/index.ts
 * export * from '@authlete-guard/core/adapter'
 * export { createNodeGuard as createGuard, type NodeGuardOptions as GuardOptions, type NodeAuthleteOptions as AuthleteOptions } from '@authlete-guard/core/node'
 */
export { authleteOptionsFromEnv, AuthleteGuardError, createMemoryReplayStore, isAuthleteGuardError } from '../index'
export type { AccessTokenInfo, AudienceMode, AuthleteGuardErrorCode, CacheOptions, ClientCertificateEncoding, ClientCertificateSource, Decision, DenyDecision, Guard, GuardErrorEvent, ProtectedResourceMetadata, ReplayStore, ResourceMetadataOptions, RouteOptions, TrustProxy } from '../index'
