export { createGuard, validateRouteOptions, DEFAULT_TIMEOUT_MS, DEFAULT_DPOP_ALGS } from './guard'
export { authleteOptionsFromEnv } from './env'
export { createAuthleteClient } from './authlete/client'
export { AuthleteGuardError, isAuthleteGuardError } from './errors'
export type { AuthleteGuardErrorCode } from './errors'
export { fromNodeRequest, fromFetchRequest } from './request-like'
export { extractCredentials } from './request'
export type { CredentialsResult, PresentedCredentials, CredentialsFailure } from './request'
export { extractIntrospectionRequest } from './extract'
export type { Extraction, ExtractContext } from './extract'
export { resolvePublicUrl } from './public-url'
export type { PublicUrlOptions, PublicUrlResult } from './public-url'
export { decide } from './decision'
export type {
  AccessTokenInfo,
  AllowDecision,
  AuthleteClient,
  AuthleteOptions,
  Decision,
  DenyDecision,
  Guard,
  GuardErrorEvent,
  GuardOptions,
  HeadersLike,
  IntrospectionAction,
  IntrospectionRequest,
  IntrospectionResponse,
  RequestLike,
  RouteOptions,
  TrustProxy,
} from './types'
