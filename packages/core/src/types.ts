import type { AuthleteGuardError } from './errors'

/** A header bag: a Node-style record (values may repeat as arrays) or a fetch `Headers`. */
export type HeadersLike = Headers | Record<string, string | string[] | undefined>

/**
 * The framework-neutral view of an incoming HTTP request that the guard works on.
 * Adapters build it from their framework's request; `fromNodeRequest` and `fromFetchRequest`
 * build it from Node's `IncomingMessage` and from a fetch `Request`.
 */
export interface RequestLike {
  /** HTTP method, any case (`htm` is its upper-case form). */
  method: string
  /** Request target as received: origin-form `'/path?query'` or an absolute URL. The path is used as is. */
  url: string
  /**
   * Request headers. Pass every value of repeated headers (Node's `req.headersDistinct`): the guard
   * must see two `Authorization` or two `DPoP` headers to refuse them. One object per incoming
   * request: a second guard on the same request recognises it by this object and reuses the first
   * one's verification (no false replay), so never share one object between requests.
   */
  headers: HeadersLike
  /** Address of the TCP peer (the proxy, behind one): what `trustProxy` is asked about. */
  remoteAddress?: string | undefined
  /** True when the request arrived over TLS on this server's own socket. */
  encrypted?: boolean | undefined
  /**
   * The client's TLS certificate in PEM, from this server's own TLS socket, for certificate-bound
   * tokens (RFC 8705). Read by a guard whose `clientCertificate` is `'tls'` (the default), ignored by
   * one that reads a proxy's header. Never set it from a request header: the guard's header source
   * applies `trustProxy`; this field is believed as it is.
   */
  clientCertificate?: string | undefined
  /**
   * Scheme and host as the framework already resolved them under its own proxy-trust setting
   * (Express `trust proxy`, Koa `app.proxy`, Fastify `trustProxy`). Used for `htu` when the guard
   * has neither `publicUrl` nor an explicit `trustProxy`.
   */
  frameworkOrigin?: { protocol: string; host: string } | undefined
}

/**
 * Whether to believe `Forwarded` / `X-Forwarded-*` headers: `true` (always), a hop count (the
 * number of proxies in front of the app), or a predicate on the peer address.
 */
export type TrustProxy = boolean | number | ((address: string, hop: number) => boolean)

/** Connection to Authlete. API v3 (`serviceId` + `accessToken`) or v2 (`apiKey` + `apiSecret`). */
export interface AuthleteOptions {
  /** e.g. `https://us.authlete.com` (v3) or `https://api.authlete.com` (v2). */
  baseUrl: string
  /** Defaults to `'V3'` when `accessToken` is given, else `'V2'`. */
  apiVersion?: 'V2' | 'V3' | undefined
  /** v3: the service's numeric id. */
  serviceId?: string | number | undefined
  /** v3: the service access token (sent as `Authorization: Bearer`). */
  accessToken?: string | undefined
  /** v2: the service API key (sent with the secret as HTTP Basic). */
  apiKey?: string | number | undefined
  /** v2: the service API secret. */
  apiSecret?: string | undefined
  /** Deadline for one whole Authlete call, connection to last byte, in ms. Default 5000. */
  timeoutMs?: number | undefined
  /**
   * The `fetch` to reach Authlete with (a proxying fetch, a Workers service binding's `fetch`,
   * a test double). Default: the runtime's global `fetch`; on Node with `@authlete-guard/core/node`,
   * an undici keep-alive pool unless this is given.
   */
  fetch?: typeof fetch | undefined
}

/** What went wrong on the infrastructure side, for logs and metrics. Never holds tokens or credentials. */
export interface GuardErrorEvent {
  error: AuthleteGuardError
  /** `'introspection'`, `'token'`, `'userinfo'`, ... */
  operation: string
  method: string
  /** Request path without the query. */
  path: string
}

/** Per-route requirements, passed to Authlete's introspection. */
export interface RouteOptions {
  /** Scopes the token must cover. */
  scopes?: readonly string[] | undefined
  /** The token's subject must be this one. */
  subject?: string | undefined
  /** Resource indicators (RFC 8707) the token must cover. */
  resources?: readonly string[] | undefined
  /** Acceptable ACR values of the original authentication. */
  acrValues?: readonly string[] | undefined
  /** Maximum authentication age in seconds. */
  maxAge?: number | undefined
  /** Require a server-provided nonce in the DPoP proof (Authlete 3.0). */
  dpopNonceRequired?: boolean | undefined
}

/** The introspected access token, as the route sees it (`req.auth`, `ctx.state.auth`, ...). */
export interface AccessTokenInfo {
  /** Resource owner; undefined for client-credentials tokens. */
  subject: string | undefined
  /** Authlete's numeric client id. */
  clientId: number
  clientIdAlias: string | undefined
  /** Whether the client presented its alias when the token was issued. */
  clientIdAliasUsed: boolean
  clientEntityId: string | undefined
  scopes: string[]
  /** Expiry in milliseconds since the epoch. */
  expiresAt: number
  /** How the token was presented and verified: `'DPoP'` with a proof Authlete accepted, else `'Bearer'`. */
  tokenType: 'DPoP' | 'Bearer'
  /**
   * The token's own audience (RFC 8707): Authlete's `accessTokenResources`, else `resources`.
   * May be narrower than what the authorization request asked for (`requestedResources`).
   */
  resources: string[]
  /** The resources the original authorization request asked for (Authlete's `resources`). */
  requestedResources: string[]
  authorizationDetails: unknown
  /**
   * Extra properties attached to the token that are not hidden (Authlete's `hidden: false`).
   *
   * An object without a prototype (`Object.create(null)`): every key is an own property, so a
   * property named `__proto__`, `constructor` or `toString` is kept as it is and nothing is
   * inherited. `Object.keys`, `Object.entries`, `JSON.stringify`, spread and `String()` work as on
   * a plain object. Use `Object.hasOwn(auth.properties, key)` (there is no `hasOwnProperty`
   * method), and spread rather than `Object.assign({}, …)`, which drops a `__proto__` key.
   */
  properties: Record<string, string>
  /**
   * Properties Authlete flags `hidden`: never shown to the client, but returned by introspection.
   * Kept apart from `properties` so a route that echoes `properties` does not leak them.
   *
   * An object without a prototype (`Object.create(null)`), like `properties`: every key is an own
   * property, so a property named `__proto__`, `constructor` or `toString` is kept as it is and
   * nothing is inherited. `Object.keys`, `Object.entries`, `JSON.stringify`, spread and `String()`
   * work as on a plain object. Use `Object.hasOwn(auth.hiddenProperties, key)` (there is no
   * `hasOwnProperty` method), and spread rather than `Object.assign({}, …)`, which drops a
   * `__proto__` key.
   */
  hiddenProperties: Record<string, string>
  /**
   * The certificate the token is bound to (RFC 8705 §3): its thumbprint (`x5t#S256`: base64url of
   * the SHA-256 of the DER, RFC 8705 §3.1), Authlete's `certificateThumbprint`. Set only for a
   * certificate-bound token, and then it is the thumbprint of the client certificate this request
   * presented through the guard's `clientCertificate` source (Authlete checked the binding; the
   * guard checks the two agree, else 500). `undefined` for a token that is not bound, even when the
   * request presented a certificate. Read this, never a certificate header: a client can send any
   * header.
   */
  certificateThumbprint: string | undefined
  acr: string | undefined
  /** Time of the original authentication, seconds since the epoch. */
  authTime: number | undefined
  grantType: string | undefined
  /** The raw `/auth/introspection` response. */
  raw: IntrospectionResponse
  /** Where this answer came from: Authlete just now, or the guard's cache of an earlier answer. */
  source: 'authlete' | 'cache'
}

/**
 * Why a request was refused, in terms an operator can act on (never sent to the client): the
 * failed check and its figures, e.g. `{ check: 'htu', expected, actual }`,
 * `{ check: 'iat', iat, now, maxAgeSeconds, maxFutureSeconds }`, `{ check: 'jkt', expected, actual }`,
 * `{ check: 'audience', expected, actual }` (the guard's `resource`, the token's audience).
 */
export type DecisionReason = { check: string } & Record<string, string | number | boolean | undefined>

/** Allowed: the route runs with `auth`; add `headers` (e.g. `DPoP-Nonce`) to its response. */
export interface AllowDecision {
  allowed: true
  auth: AccessTokenInfo
  headers: Record<string, string>
}

/** Denied: send exactly this status, these headers and this body; the route must not run. */
export interface DenyDecision {
  allowed: false
  status: number
  headers: Record<string, string>
  /** JSON text `{"error":..., "error_description":...}` (`Content-Type` is in `headers`). */
  body: string
  /** The OAuth error code (`invalid_token`, `invalid_dpop_proof`, ...), `undefined` when none (RFC 6750 §3.1). */
  error: string | undefined
  errorDescription: string | undefined
  /** Set on 500s: the infrastructure failure behind the denial. Safe to log. */
  cause?: AuthleteGuardError | undefined
  /** What failed, with figures, for operators (htu URLs, iat window, result code); never sent to the client. Safe to log. */
  reason?: DecisionReason | undefined
}

export type Decision = AllowDecision | DenyDecision

/** `/auth/introspection` request body (Authlete's JSON names). */
export interface IntrospectionRequest {
  token: string
  scopes?: string[]
  subject?: string
  clientCertificate?: string
  dpop?: string
  htm?: string
  htu?: string
  resources?: string[]
  acrValues?: string[]
  maxAge?: number
  targetUri?: string
  dpopNonceRequired?: boolean
}

/** The actions `/auth/introspection` answers with. */
export type IntrospectionAction = 'OK' | 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'INTERNAL_SERVER_ERROR'

/** `/auth/introspection` response (the fields the guard reads; others are kept in `raw`). */
export interface IntrospectionResponse {
  resultCode?: string
  resultMessage?: string
  action: IntrospectionAction
  responseContent?: string | null
  clientId?: number
  clientIdAlias?: string | null
  clientIdAliasUsed?: boolean
  clientEntityId?: string | null
  subject?: string | null
  scopes?: string[] | null
  existent?: boolean
  usable?: boolean
  sufficient?: boolean
  refreshable?: boolean
  expiresAt?: number
  properties?: Array<{ key: string; value: string; hidden?: boolean }> | null
  certificateThumbprint?: string | null
  resources?: string[] | null
  accessTokenResources?: string[] | null
  authorizationDetails?: unknown
  acr?: string | null
  authTime?: number
  grantType?: string | null
  dpopNonce?: string | null
  [key: string]: unknown
}

/** A minimal Authlete API client: POSTs JSON to `/api[/{serviceId}]{path}` and returns the parsed reply. */
export interface AuthleteClient {
  readonly baseUrl: string
  readonly apiVersion: 'V2' | 'V3'
  /**
   * A stable identity of the Authlete service this client calls, holding no secret. The clients of
   * `createAuthleteClient` (root entry and `/node`) set it to the base URL, the API version and the
   * service id (v3) or API key (v2), e.g. `'https://us.authlete.com V3 715948317'`. The guard puts
   * its hash into every introspection-cache and replay-store key, so guards of different services
   * sharing one store never serve each other's entries. A client of your own needs it when the
   * guard has a `cache.store` or a `replay` store: `createGuard` throws `ERR_INVALID_CONFIG` without it.
   *
   * @example
   * const authlete: AuthleteClient = { baseUrl, apiVersion: 'V3', service: `${baseUrl} V3 ${serviceId}`, call, close }
   */
  readonly service?: string | undefined
  /**
   * POST `body` to the service-scoped API `path` (e.g. `'/auth/introspection'`). Resolves with the
   * parsed JSON object of a 2xx reply; rejects with an `AuthleteGuardError` otherwise.
   */
  call<T = Record<string, unknown>>(path: string, body: unknown): Promise<T>
  close(): Promise<void>
}
