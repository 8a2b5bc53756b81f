import type { IncomingHttpHeaders } from 'node:http'

/** An Authlete-style extra property attached to a token (`[{key, value, hidden}]`). */
export interface TokenProperty {
  key: string
  value: string
  hidden?: boolean
}

/** Authlete's grant type names (`GrantType` enum) as they appear in API responses. */
export type GrantType =
  | 'AUTHORIZATION_CODE'
  | 'CLIENT_CREDENTIALS'
  | 'REFRESH_TOKEN'
  | 'PASSWORD'
  | 'IMPLICIT'
  | 'TOKEN_EXCHANGE'
  | 'JWT_BEARER'
  | 'DEVICE_CODE'
  | 'CIBA'

/** A client registered in the emulator. */
export interface EmulatorClient {
  /** Numeric client id, as in Authlete. */
  clientId: number
  /** Client secret; omit (or empty) for a public client, which authenticates with `client_id` only. */
  clientSecret?: string
  /** When true the token endpoint refuses requests without a DPoP proof. */
  dpopRequired?: boolean
  /**
   * RFC 8705 §3 certificate-bound access tokens (Authlete's client property of this name; RFC 7591
   * metadata `tls_client_certificate_bound_access_tokens`). When true, `/auth/token` binds what it
   * issues to the `x5t#S256` of the request's `clientCertificate`, and refuses a request without
   * one (`invalid_request`, A050394) or with one it cannot parse (A050395).
   */
  tlsClientCertificateBoundAccessTokens?: boolean
  /** Alternative client identifier accepted wherever a client id is (Authlete's `clientIdAlias`). */
  clientIdAlias?: string
  /** Registered redirect URIs; when non-empty, PAR requests must use one of them. */
  redirectUris?: string[]
  /** When true `/auth/userinfo/issue` answers action `JWT` (signed) instead of `JSON`. */
  userInfoSignedResponse?: boolean
  /**
   * RFC 8707 resources the client may name in `resource` parameters at `/auth/token` (compared as
   * exact strings); another one is `invalid_target`. Absent: any resource. Empty: none. An
   * emulator setting, named after Authlete's client setting `requestableScopes`.
   */
  requestableResources?: string[]
}

/** Service settings that can change at runtime through `emu.configure()`. */
export interface EmulatorSettings {
  /** Require a server-issued nonce in every DPoP proof (Authlete service setting `dpopNonceRequired`). */
  dpopNonceRequired: boolean
  /** Nonce lifetime in seconds. */
  dpopNonceDuration: number
  /** Access token lifetime in seconds. */
  accessTokenDuration: number
  /** Refresh token lifetime in seconds. */
  refreshTokenDuration: number
  /**
   * Refuse a DPoP proof whose `jti` was already seen for the same `htu` within the `iat` window
   * (RFC 9449 §11.1). Whether Authlete does this is unknown: turn it off to accept replays.
   */
  rejectReplayedProofs: boolean
  /**
   * The service's token endpoint URL: `token_endpoint` of `/service/configuration` and the `htu` of
   * token requests that carry none. Unset: `{issuer}/token`.
   */
  tokenEndpoint?: string
  /** `authorization_endpoint` of `/service/configuration`. Unset: `{issuer}/authorize`. */
  authorizationEndpoint?: string
  /** `userinfo_endpoint` of `/service/configuration` (absent unless set); default `htu` of UserInfo requests. */
  userInfoEndpoint?: string
  /** `pushed_authorization_request_endpoint` of `/service/configuration` (absent unless set); default `htu` of PAR requests. */
  pushedAuthReqEndpoint?: string
  /** `introspection_endpoint` of `/service/configuration` (absent unless set). */
  introspectionEndpoint?: string
  /** `revocation_endpoint` of `/service/configuration` (absent unless set). */
  revocationEndpoint?: string
  /** The service's issuer: `issuer` of `/service/configuration`, `iss` of signed UserInfo responses; defaults to the emulator's URL. */
  issuer: string
}

/** One stored grant: an access token and maybe a refresh token (Authlete keeps them as one record). */
export interface TokenRecord {
  accessToken: string
  refreshToken?: string
  clientId: number
  clientIdAlias?: string
  clientIdAliasUsed: boolean
  subject?: string
  scopes: string[]
  /** Creation time, ms. */
  createdAt: number
  /** Access token expiry, ms. */
  expiresAt: number
  /** Refresh token expiry, ms. */
  refreshTokenExpiresAt?: number
  /** RFC 7638 thumbprint of the DPoP key the token is bound to. */
  jkt?: string
  /** RFC 8705 `x5t#S256` of the client certificate the token is bound to. */
  certificateThumbprint?: string
  resources?: string[]
  properties?: TokenProperty[]
  grantType: GrantType
  /** Claim names the client asked for (for `/auth/userinfo`). */
  claims?: string[]
  acr?: string
  /** Time of the end-user authentication, seconds. */
  authTime?: number
}

/**
 * The Authlete API version a call was made to: `V3` for `/api/{serviceId}/...` (Bearer), `V2` for
 * `/api/...` (HTTP Basic). DPoP nonces exist on `V3` only.
 */
export type ApiVersion = 'V2' | 'V3'

/** What a handler knows about the API call besides its body. */
export interface ApiCallContext {
  version: ApiVersion
}

/** What the emulator answered to a recorded request. */
export interface RecordedReply {
  /** HTTP status. */
  status: number
  /** The reply body: parsed JSON, or the raw text when it is not JSON (a `garbage` fault, a scripted string). */
  body: unknown
}

/** What `emu.requests` records for every HTTP request the emulator receives. */
export interface RecordedRequest {
  method: string
  /** Full request path, e.g. `/api/5550001001/auth/introspection`. */
  path: string
  /** API path after `/api` and the service id, e.g. `/auth/introspection`. */
  apiPath: string
  /** `V3` for `/api/{serviceId}/...`, `V2` for `/api/...`, undefined otherwise. */
  version?: ApiVersion
  headers: IncomingHttpHeaders
  /** Parsed JSON body, or the raw string when it is not JSON (empty string when none). */
  body: unknown
  /** Emulator clock (ms) when the request arrived. */
  receivedAt: number
  /**
   * The answer, set once the emulator has sent it; absent while the request is pending and for a
   * `hang` or `reset` fault.
   */
  reply?: RecordedReply
}

/** A JSON object answered by an API handler (always with HTTP 200, as Authlete does for verdicts). */
export type ApiResponse = Record<string, unknown>

/** Options of `emu.createAuthorizationCode()`. */
export interface AuthorizationCodeOptions {
  /** Client id or alias; default `DEFAULT_CLIENT`. */
  clientId?: number | string
  subject: string
  scopes?: string[]
  /** When set, the token request must send the same `redirect_uri`. */
  redirectUri?: string
  /** Claim names for UserInfo, or an OIDC `claims` request object (`{ userinfo: { name: null } }`). */
  claims?: string[] | { userinfo?: Record<string, unknown>; id_token?: Record<string, unknown> }
  nonce?: string
  /** Use this exact code value (e.g. to replay a documented request); default random. */
  code?: string
  /** PKCE (RFC 7636). */
  codeChallenge?: string
  codeChallengeMethod?: 'S256' | 'plain'
  /** RFC 9449 §10 `dpop_jkt`: the token request's proof must use this key. */
  dpopJkt?: string
  acr?: string
  /** End-user authentication time, seconds; default now. */
  authTime?: number
  resources?: string[]
  properties?: TokenProperty[]
  /** Code lifetime, seconds; default `DEFAULT_AUTHORIZATION_CODE_DURATION`. */
  duration?: number
}
