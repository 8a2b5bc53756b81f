export { createGuard, validateRouteOptions, DEFAULT_TIMEOUT_MS, DEFAULT_DPOP_ALGS } from './guard'
export { authleteOptionsFromEnv } from './env'
export { createAuthleteClient } from './authlete/client'
export { DEFAULT_CONNECTIONS } from './authlete/config'
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
export { extractDpopProof } from './request'
export type { DpopProofResult } from './request'
export { createAuthorizationServer } from './authorization-server'
export { readClientCredentials } from './authorization-server/client-credentials'
export type { ClientCredentials } from './authorization-server/client-credentials'
export { DEFAULT_BASIC_REALM, TOKEN_APP_ACTIONS } from './authorization-server/token'
export { DEFAULT_PAR_BASIC_REALM } from './authorization-server/par'
export { SERVER_ERROR_BODY } from './authorization-server/response'
export type {
  AuthorizationServer,
  AuthorizationServerOptions,
  EndpointResponse,
  FinishedResponse,
  GetClaims,
  PushedAuthorizationAction,
  PushedAuthorizationResponse,
  PushedAuthorizationResult,
  TokenActionRequired,
  TokenAppAction,
  TokenResponse,
  TokenResponseAction,
  TokenResult,
  UserInfoAction,
  UserInfoCallOptions,
  UserInfoContext,
  UserInfoResult,
  GetUserInfoSub,
} from './authorization-server/types'
