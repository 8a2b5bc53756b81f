import type { AuthleteGuardError } from '../errors'
import type { CommonOptions } from '../options'
import type { AuthleteClient, RequestLike } from '../types'

/**
 * The application's claims callback for the UserInfo endpoint (OpenID Connect Core §5.3): return
 * the values of `claimNames` for `subject`, as a JSON object (`{ "given_name": "Alice" }`). A claim
 * name may carry a language tag (`name#ja`, OIDC Core §5.2); `locales` lists the tags that occur.
 * Claims you do not have are simply left out. May be async. A throw becomes a 500.
 */
export type GetClaims = (
  subject: string,
  claimNames: string[],
  locales: string[],
  info: UserInfoContext,
) => Record<string, unknown> | null | undefined | Promise<Record<string, unknown> | null | undefined>

/**
 * The application's own `sub` for the UserInfo response (e.g. a pairwise subject it computes).
 * Return `undefined` to let Authlete write the subject. A non-empty value REPLACES Authlete's `sub`
 * claim, which is why none is sent unless this callback gives one.
 */
export type GetUserInfoSub = (subject: string, info: UserInfoContext) => string | undefined | Promise<string | undefined>

/** What `getClaims` may want besides the subject: the rest of Authlete's `/auth/userinfo` reply. */
export interface UserInfoContext {
  /** Authlete's numeric client id. */
  clientId: number | undefined
  /** Scopes of the access token. */
  scopes: string[]
  /** The `userinfo` member of the `claims` request parameter, as JSON text, if the client sent one. */
  userInfoClaims: string | undefined
  /** The raw `/auth/userinfo` reply. */
  raw: Record<string, unknown>
}

/** Options of `createAuthorizationServer`: the options it shares with `createGuard` (`CommonOptions`), and its own. */
export interface AuthorizationServerOptions extends CommonOptions {
  /**
   * Ask Authlete to require a server-provided nonce in every DPoP proof (Authlete 3.0
   * `dpopNonceRequired`). API V3 only: with Authlete API V2, which has no DPoP nonces,
   * `createAuthorizationServer` throws `ERR_INVALID_CONFIG`.
   */
  dpopNonceRequired?: boolean | undefined
  /** The UserInfo claims callback; a per-call `getClaims` takes precedence. */
  getClaims?: GetClaims | undefined
  /**
   * How long `metadata()` keeps the discovery document from Authlete, in milliseconds (0: ask
   * every time). Default `DEFAULT_METADATA_TTL_MS`; a failure is never kept.
   */
  metadataTtlMs?: number | undefined
}

/** A complete HTTP answer: send exactly this status, these headers and this body. */
export interface EndpointResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * An answer the endpoint could give by itself. `action` is Authlete's action when Authlete
 * answered, `undefined` when the request was refused before calling Authlete or Authlete failed.
 */
export interface FinishedResponse<Action extends string, Reply> extends EndpointResponse {
  done: true
  action: Action | undefined
  /** Authlete's raw reply, when there was one. */
  authlete?: Reply | undefined
  /** Set on 500s caused by an infrastructure failure or Authlete's INTERNAL_SERVER_ERROR. Safe to log. */
  cause?: AuthleteGuardError | undefined
}

/** `/auth/token` actions the token endpoint answers by itself. */
export type TokenResponseAction = 'OK' | 'BAD_REQUEST' | 'INVALID_CLIENT' | 'INTERNAL_SERVER_ERROR'

/**
 * `/auth/token` actions that leave work to the application; it must answer the client itself:
 *
 * - `PASSWORD` (RFC 6749 §4.3): check `authlete.username` / `authlete.password`, then call
 *   `/auth/token/issue` (`{ ticket, subject }`) or `/auth/token/fail` (`{ ticket, reason }`) and
 *   send that reply's `responseContent` with `headers` (200 on `OK`, else its error status).
 * - `TOKEN_EXCHANGE` (RFC 8693): validate the subject/actor tokens (`authlete.subjectToken`, ...)
 *   under your policy, then mint a token with `/auth/token/create` and build the response yourself.
 * - `JWT_BEARER` (RFC 7523 §2.1): verify `authlete.assertion` (issuer trust, signature), then mint
 *   with `/auth/token/create`.
 * - `NATIVE_SSO` (OpenID Connect Native SSO): check the device secret / session and call
 *   `/nativesso` to obtain the response.
 * - `ID_TOKEN_REISSUABLE` (refresh with `openid`): call `/idtoken/reissue` to include a new
 *   ID token, or send `authlete.responseContent` as an `OK` answer without one.
 */
export type TokenAppAction = 'PASSWORD' | 'TOKEN_EXCHANGE' | 'JWT_BEARER' | 'NATIVE_SSO' | 'ID_TOKEN_REISSUABLE'

/** The parts of Authlete's `/auth/token` reply the SDK reads; everything else is kept. */
export interface TokenResponse {
  action: TokenResponseAction | TokenAppAction
  resultCode?: string
  resultMessage?: string
  /** The JSON body for the client. */
  responseContent?: string | null
  dpopNonce?: string | null
  /** `PASSWORD`: the ticket for `/auth/token/issue` or `/auth/token/fail`. */
  ticket?: string | null
  username?: string | null
  password?: string | null
  [key: string]: unknown
}

/** The token request needs the application's own work; nothing has been sent to the client yet. */
export interface TokenActionRequired {
  done: false
  action: TokenAppAction
  /** Authlete's `/auth/token` reply: the data the application needs (ticket, username, assertion, ...). */
  authlete: TokenResponse
  /**
   * Headers the final answer must carry: `Content-Type: application/json`, `Cache-Control:
   * no-store`, `Pragma: no-cache`, and `DPoP-Nonce` when Authlete gave one.
   */
  headers: Record<string, string>
}

/** Result of `token()`: a complete answer (`done: true`) or work for the application (`done: false`). */
export type TokenResult = FinishedResponse<TokenResponseAction, TokenResponse> | TokenActionRequired

/** `/pushed_auth_req` actions (RFC 9126). */
export type PushedAuthorizationAction =
  | 'CREATED'
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'PAYLOAD_TOO_LARGE'
  | 'INTERNAL_SERVER_ERROR'

/** The parts of Authlete's `/pushed_auth_req` reply the SDK reads. */
export interface PushedAuthorizationResponse {
  action: PushedAuthorizationAction
  resultCode?: string
  resultMessage?: string
  responseContent?: string | null
  requestUri?: string | null
  dpopNonce?: string | null
  [key: string]: unknown
}

/** Result of `pushedAuthorizationRequest()`: always a complete answer. */
export type PushedAuthorizationResult = FinishedResponse<PushedAuthorizationAction, PushedAuthorizationResponse>

/** Actions of `/auth/userinfo` and `/auth/userinfo/issue` that end the request. */
export type UserInfoAction = 'JSON' | 'JWT' | 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'INTERNAL_SERVER_ERROR'

/** Per-call options of `userinfo()`. */
export interface UserInfoCallOptions {
  /** Claims callback for this call; takes precedence over the server's `getClaims`. */
  getClaims?: GetClaims | undefined
  /** The `sub` to send to `/auth/userinfo/issue`; by default none is sent (Authlete's own `sub` stands). */
  getSub?: GetUserInfoSub | undefined
}

/** Result of `userinfo()`: always a complete answer. */
export type UserInfoResult = FinishedResponse<UserInfoAction, Record<string, unknown>>

/** The authorization server's DPoP-aware endpoints. Each method resolves to the answer to send; none throws for a bad request or a failing Authlete. */
export interface AuthorizationServer {
  /** Token endpoint (RFC 6749 §3.2, RFC 9449 §5) via `/auth/token`. */
  token(request: RequestLike, rawFormBody: string | Uint8Array): Promise<TokenResult>
  /** Pushed authorization request endpoint (RFC 9126) via `/pushed_auth_req`. */
  pushedAuthorizationRequest(request: RequestLike, rawFormBody: string | Uint8Array): Promise<PushedAuthorizationResult>
  /** UserInfo endpoint (OIDC Core §5.3) via `/auth/userinfo`, `getClaims`, `/auth/userinfo/issue`. */
  userinfo(request: RequestLike, options?: UserInfoCallOptions): Promise<UserInfoResult>
  /**
   * The authorization server's metadata (RFC 8414; OpenID Connect Discovery): the document
   * Authlete's `/service/configuration` builds from the service settings (`issuer`, endpoint URLs,
   * supported grants and algorithms), as a fresh plain object. Kept in this process for
   * `metadataTtlMs` (concurrent calls share one Authlete call). Rejects with a coded
   * `AuthleteGuardError` when Authlete fails or answers something else than a document with an
   * `issuer`; given the `request` it serves, the failure is also reported to `onError`
   * (operation `'metadata'`). Serve it at `/.well-known/oauth-authorization-server` and
   * `/.well-known/openid-configuration` (Express: `authorizationServerMetadata(as)`).
   */
  metadata(request?: RequestLike): Promise<Record<string, unknown>>
  /** The Authlete client, e.g. for `/auth/token/issue` after a `PASSWORD` action. */
  readonly authlete: AuthleteClient
  /** One cheap authenticated Authlete call; rejects with the precise cause (see `Guard.ready`). */
  ready(): Promise<void>
  /** Close the keep-alive connections to Authlete. */
  close(): Promise<void>
}
