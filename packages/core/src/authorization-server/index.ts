import { checkReady } from '../authlete/ready'
import { invalid, rejectUnknownKeys } from '../errors'
import { AUTHORIZATION_SERVER_OPTION_KEYS, requireNonceSupport, resolveAuthlete, resolveCommonOptions } from '../options'
import { createReporter } from '../report'
import type { EndpointContext } from './form-endpoint'
import { createMetadataSource, resolveMetadataTtl } from './metadata'
import { handlePushedAuthorizationRequest } from './par'
import { handleToken } from './token'
import type { AuthorizationServer, AuthorizationServerOptions } from './types'
import { handleUserInfo } from './userinfo'

export { readClientCredentials } from './client-credentials'
export type { ClientCredentials } from './client-credentials'
export { DEFAULT_BASIC_REALM, TOKEN_APP_ACTIONS } from './token'
export { DEFAULT_PAR_BASIC_REALM } from './par'
export { authorizationServerMetadataPaths, DEFAULT_METADATA_TTL_MS } from './metadata'
export { authorizationServerMetadataResponder, DEFAULT_METADATA_MAX_AGE_SECONDS } from './metadata-endpoint'
export type { AuthorizationServerMetadataOptions } from './metadata-endpoint'
export { SERVER_ERROR_BODY } from './response'
export type {
  AuthorizationServer,
  AuthorizationServerOptions,
  EndpointResponse,
  FinishedResponse,
  GetClaims,
  GetUserInfoSub,
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
} from './types'

/**
 * Create the authorization-server side: the token, PAR and UserInfo endpoints with DPoP
 * (RFC 9449 §5, §7) handled the way the guard handles it on resource servers. Each method takes
 * the core's `RequestLike` (and, for token and PAR, the raw `application/x-www-form-urlencoded`
 * body as received) and resolves to the complete answer: `{ status, headers, body }`. Bad
 * requests and Authlete failures are answers, never exceptions; misconfiguration throws
 * `ERR_INVALID_CONFIG` here (so does `dpopNonceRequired` with Authlete API V2, which has no DPoP nonces).
 *
 * - `token`: `/auth/token` with `parameters` (the body verbatim), `clientId`/`clientSecret` from
 *   `Authorization: Basic` (RFC 6749 §2.3.1), `clientCertificate` and (API V3) `clientCertificatePath`
 *   from the `clientCertificate` source (default `'tls'`), and with a DPoP proof `dpop`, `htm`,
 *   `htu`. `done: false` means an action the application must finish (`TokenAppAction`).
 * - `pushedAuthorizationRequest`: the same through `/pushed_auth_req` (RFC 9126).
 * - `userinfo`: `/auth/userinfo`, then `getClaims(subject, claimNames, locales)`, then
 *   `/auth/userinfo/issue`; errors are `WWW-Authenticate` challenges as on a protected resource.
 * - `metadata`: the discovery document from `/service/configuration` (RFC 8414), kept
 *   `metadataTtlMs` (default `DEFAULT_METADATA_TTL_MS`); it rejects, coded, when Authlete fails.
 *
 * @example
 * import { createAuthorizationServer } from '@authlete-guard/core/authorization-server'
 * const as = createAuthorizationServer({
 *   authlete: authleteOptionsFromEnv(),
 *   publicUrl: 'https://as.example.com',
 *   getClaims: async (subject, names) => pick(await users.find(subject), names),
 * })
 * const result = await as.token(fromNodeRequest(req), rawBody)
 * if (result.done) res.writeHead(result.status, result.headers).end(result.body)
 * else await finishGrant(result) // PASSWORD, TOKEN_EXCHANGE, ...: see TokenAppAction
 * const discovery = await as.metadata() // { issuer, token_endpoint, ... }
 */
export function createAuthorizationServer(options: AuthorizationServerOptions): AuthorizationServer {
  if (!options || typeof options !== 'object') invalid('createAuthorizationServer needs an options object with at least { authlete }.')
  rejectUnknownKeys(options, AUTHORIZATION_SERVER_OPTION_KEYS, 'createAuthorizationServer')
  const { authlete: authleteOptions, getClaims, dpopNonceRequired, metadataTtlMs, ...common } = options
  const resolved = resolveCommonOptions(common)
  const ttlMs = resolveMetadataTtl(metadataTtlMs)
  if (getClaims !== undefined && typeof getClaims !== 'function') invalid('getClaims must be a function (subject, claimNames, locales) => claims.')
  if (dpopNonceRequired !== undefined && typeof dpopNonceRequired !== 'boolean') invalid('dpopNonceRequired must be a boolean.')
  const authlete = resolveAuthlete(authleteOptions)
  requireNonceSupport(dpopNonceRequired, authlete.apiVersion, 'createAuthorizationServer option')
  const context: EndpointContext = { ...resolved, authlete, report: createReporter(common.onError), dpopNonceRequired }
  const metadata = createMetadataSource(authlete, ttlMs, context.report)

  return {
    token: (request, rawFormBody) => handleToken(context, request, rawFormBody),
    pushedAuthorizationRequest: (request, rawFormBody) => handlePushedAuthorizationRequest(context, request, rawFormBody),
    userinfo: async (request, callOptions = {}) => {
      rejectUnknownKeys(callOptions, ['getClaims', 'getSub'], 'userinfo')
      const { getClaims: perCall, getSub } = callOptions
      if (perCall !== undefined && typeof perCall !== 'function') invalid('getClaims must be a function (subject, claimNames, locales) => claims.')
      if (getSub !== undefined && typeof getSub !== 'function') invalid('getSub must be a function (subject, info) => sub.')
      return handleUserInfo(context, request, perCall ?? getClaims, getSub)
    },
    metadata: (request) => metadata(request),
    authlete,
    ready: () => checkReady(authlete),
    close: () => authlete.close(),
  }
}
