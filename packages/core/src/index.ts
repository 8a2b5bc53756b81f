/**
 * `@authlete-guard/core`: the guard, for any runtime with `fetch`, `crypto.subtle`, `TextEncoder`
 * and `AbortSignal` (Node, Workers, Deno, Bun, the Next.js edge). Nothing here imports `node:*`.
 * Node apps get an undici keep-alive pool from `@authlete-guard/core/node`; the authorization-server
 * endpoints live in `@authlete-guard/core/authorization-server`.
 */
export { createGuard } from './guard'
export type { Guard } from './guard'
export { validateRouteOptions, DEFAULT_DPOP_ALGS, DEFAULT_DPOP_IAT } from './options'
export type { AudienceMode, GuardOptions } from './options'
export type { ClientCertificateEncoding, ClientCertificateSource } from './request/client-certificate'
export { protectedResourceMetadataUrl } from './resource/identity'
export type { ProtectedResourceMetadata, ResourceMetadataOptions } from './resource/metadata'
export { DEFAULT_TIMEOUT_MS } from './authlete/config'
export { createMemoryReplayStore, DEFAULT_REPLAY_MAX_ENTRIES, DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER } from './replay/store'
export type { ReplayStore, ReplayLimited, MemoryReplayStoreOptions } from './replay/store'
export { DEFAULT_CACHE_TTL_MS, DEFAULT_CACHE_MAX_ENTRIES } from './cache/introspection-cache'
export type { CacheOptions, CachedIntrospection, IntrospectionCacheStore } from './cache/introspection-cache'
export { authleteOptionsFromEnv } from './env'
export { createAuthleteClient } from './authlete/client'
export { AuthleteGuardError, isAuthleteGuardError } from './errors'
export type { AuthleteGuardErrorCode } from './errors'
export { fromFetchRequest } from './request/from-fetch'
export { denialResponse, withDecisionHeaders } from './decision/fetch-response'
export { renderChallenge } from './decision/challenge'
export type { ChallengeParams } from './decision/challenge'
export { assertGuard, lazyGuard, routeCheck } from './kit/guard-source'
export type { GuardFactory } from './kit/guard-source'
export { presentedAccessToken } from './kit/presented-token'
export type { PresentedAccessToken } from './kit/presented-token'
export { DEFAULT_RESOURCE_METADATA_MAX_AGE_SECONDS, resourceMetadataFetchResponder, resourceMetadataPaths, resourceMetadataResponder } from './kit/resource-metadata'
export type { ResourceMetadataAnswer, ResourceMetadataResponder, ResourceMetadataServeOptions } from './kit/resource-metadata'
export { CHECK_CHANNEL, AUTHLETE_CHANNEL } from './diagnostics'
export type { CheckEvent, AuthleteCallEvent } from './diagnostics'
export type {
  AccessTokenInfo,
  AllowDecision,
  AuthleteClient,
  AuthleteOptions,
  Decision,
  DecisionReason,
  DenyDecision,
  GuardErrorEvent,
  HeadersLike,
  IntrospectionAction,
  IntrospectionRequest,
  IntrospectionResponse,
  RequestLike,
  RouteOptions,
  TrustProxy,
} from './types'
