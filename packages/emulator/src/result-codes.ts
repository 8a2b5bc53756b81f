/**
 * Result codes and messages answered by the emulator, in Authlete's format
 * (`A` + 3-digit API family + category digit + 2 digits; category 0 success, 1 Authlete error,
 * 2 caller error, 3 client error). An entry with `fromAuthlete: true` uses a code Authlete itself
 * gives for that condition (its result-code catalogue, its own code and documentation, or observed
 * output); only those get an `error_uri` on docs.authlete.com. The others are the emulator's own
 * inventions for conditions whose Authlete code is not known; none of them reuses a number Authlete
 * is known to give another meaning, and where Authlete's known numbers of a family and category are
 * dense (A0012xx, A0493xx, A0503xx, A0533xx, ...) the emulator's own end in 9x. Never branch on a
 * code: branch on `action` and the `error` value, as Authlete advises.
 */

import { DPOP_FAILURE_DETAILS as DPOP } from './dpop-verify'

/** A result code with its message, rendered as `[code] message`. */
export interface ResultEntry {
  readonly code: string
  /** The message; `{name}` marks a part filled in per response (see {@link fillResult}). */
  readonly message: string
  /** True when Authlete gives this code for this condition; false for the emulator's own codes. */
  readonly fromAuthlete: boolean
}

const authlete = (code: string, message: string): ResultEntry => ({ code, message, fromAuthlete: true })
const invented = (code: string, message: string): ResultEntry => ({ code, message, fromAuthlete: false })

const REVOCATION_BAD_CLIENT = authlete('A114311', 'Client authentication failed: the client does not exist or the client secret is missing or wrong.')

/**
 * Every result the emulator can produce, by name (two names may share one entry where Authlete
 * has one code for both conditions).
 *
 * @example
 * ```ts
 * import { RESULTS, formatResultMessage } from '@authlete-guard/emulator'
 * formatResultMessage(RESULTS.introspectionOk) // '[A056001] The access token is valid.'
 * RESULTS.introspectionOk.fromAuthlete // true: Authlete's own code
 * ```
 */
export const RESULTS = {
  // Generic API errors (HTTP 4xx/5xx, no action). A001201-A001215 are Authlete's (A001201 is
  // "TLS must be used"), so the emulator's own generic codes end in 9x.
  internalError: authlete('A001101', 'Authlete Server error.'),
  invalidRequestBody: invented('A001291', 'The request body is not a valid JSON object.'),
  unauthorizedApiCall: authlete('A001202', 'Authorization header is missing or invalid. The service credentials are wrong or do not match this API path.'),
  unknownApi: invented('A001292', 'No API exists at the requested path.'),
  methodNotAllowed: invented('A001293', 'The HTTP method is not allowed for this API; use {method}.'),
  requestBodyTooLarge: invented('A001294', 'The request body is too large.'),
  serviceConfigurationPatchUnsupported: invented('A001295', "The emulator does not apply the 'patch' parameter of /service/configuration."),

  // /auth/introspection.
  introspectionOk: authlete('A056001', 'The access token is valid.'),
  introspectionMissingToken: authlete('A057301', 'The request does not contain a valid access token.'),
  introspectionTokenNotFound: authlete('A057302', 'The access token does not exist.'),
  introspectionTokenExpiredRefreshable: authlete('A065301', 'The access token has expired but it can be refreshed using the corresponding refresh token.'),
  introspectionTokenExpiredRefreshExpired: authlete('A065302', 'The access token has expired, and so has the corresponding refresh token.'),
  introspectionTokenExpired: authlete('A065303', 'The access token has expired.'),
  introspectionInsufficientScope: authlete('A064302', "The access token does not cover the required scope '{scope}'."),
  introspectionSubjectMismatch: authlete('A066302', 'The subject associated with the access token is different from the required subject.'),
  introspectionResourceMismatch: invented('A056305', 'The access token does not cover the required resources.'),
  introspectionAcrInsufficient: authlete('A341302', "The authentication context class '{acr}' is insufficient."),
  introspectionAuthTimeTooOld: authlete('A340301', 'The authentication time is too old.'),
  // RFC 8705 certificate binding (checked before DPoP). A065306 never occurs in the emulator: a
  // certificate it can parse always has a thumbprint.
  introspectionCertificateMissing: authlete('A065304', 'The access token is bound to a client certificate, but no client certificate was presented.'),
  introspectionCertificateMismatch: authlete('A065305', 'The client certificate does not match the one the access token is bound to.'),
  introspectionCertificateThumbprintFailed: authlete('A065306', 'The thumbprint of the client certificate could not be calculated.'),
  introspectionCertificateMalformed: authlete('A065307', 'The client certificate is malformed.'),
  introspectionDpopMissing: authlete('A065308', 'Expected a DPoP header but none was provided.'),
  introspectionDpopKeyMismatch: authlete('A065309', DPOP['key-mismatch']),
  introspectionDpopInvalid: authlete('A065310', 'There was an error processing the DPoP header: {error}'),
  introspectionDpopSymmetricAlg: authlete('A065311', DPOP['alg-symmetric']),
  introspectionDpopNoJwk: authlete('A065312', DPOP['jwk-missing']),
  introspectionDpopNoAlg: authlete('A065313', DPOP['alg-missing']),

  // DPoP nonce and replay at the resource APIs (introspection, UserInfo): Authlete's codes are unknown.
  dpopNonceInvalid: invented('A065316', DPOP.nonce),
  dpopReplayed: invented('A065317', DPOP.replay),

  // /auth/token: OK codes per grant type, DPoP codes shared with PAR. Authlete's catalogue uses
  // A0493xx, A0503xx up to A050315 and A0533xx, so the emulator's own codes there end in 9x.
  tokenOkAuthorizationCode: authlete('A050001', 'The token request (grant_type=authorization_code) was processed successfully.'),
  tokenOkClientCredentials: authlete('A052001', 'The token request (grant_type=client_credentials) was processed successfully.'),
  tokenOkRefreshToken: authlete('A053001', 'The token request (grant_type=refresh_token) was processed successfully.'),
  tokenDpopInvalid: authlete('A254301', 'There was a problem processing the DPoP header: {error}'),
  tokenDpopNoJwk: authlete('A254303', DPOP['jwk-missing']),
  tokenDpopNonceInvalid: authlete('A254307', DPOP.nonce),
  tokenMissingParameters: invented('A050201', "The mandatory request parameter 'parameters' is not given."),
  tokenMissingGrantType: authlete('A049301', "The token request does not contain 'grant_type'."),
  tokenInvalidGrantType: authlete('A049304', "The value of 'grant_type' is not a known grant type."),
  tokenUnsupportedGrantType: authlete('A047101', 'The grant type is not supported by the service.'),
  tokenUnknownClient: invented('A050391', 'Client authentication failed: the client does not exist.'),
  tokenBadClientSecret: invented('A050392', 'Client authentication failed: the client secret is missing or wrong.'),
  tokenMissingCode: authlete('A048315', "The token request does not contain 'code'."),
  tokenInvalidCode: authlete('A050305', 'The authorization code does not exist (unknown, expired, already used or issued to another client).'),
  tokenRedirectUriMismatch: authlete('A050309', "The 'redirect_uri' does not match the one of the authorization request."),
  tokenMissingRefreshToken: invented('A053391', "The token request does not contain 'refresh_token'."),
  tokenInvalidRefreshToken: authlete('A053305', 'The refresh token does not exist (unknown, expired or issued to another client).'),
  tokenRefreshNeedsDpop: invented('A053392', 'The refresh token is bound to a DPoP key; a DPoP proof signed with that key is required.'),
  tokenDpopRequired: invented('A050393', 'The client requires DPoP but the token request carries no DPoP proof.'),
  tokenInvalidScope: invented('A053393', 'The requested scope exceeds the scope of the original grant.'),
  tokenPkceVerifierMissing: authlete('A050312', "The token request does not contain 'code_verifier' although the authorization request had a code challenge."),
  tokenPkceFailed: authlete('A050315', "The 'code_verifier' does not match the code challenge."),
  tokenPublicClientNotAllowed: authlete('A052301', 'A public client may not use the client credentials grant.'),
  tokenDuplicateParameter: invented('A049391', 'A request parameter is included more than once.'),
  tokenDpopJktMismatch: invented('A050316', "The DPoP proof key does not match the 'dpop_jkt' of the authorization request."),
  tokenRefreshKeyMismatch: authlete('A053311', 'The DPoP proof key is not the key the refresh token is bound to.'),
  // A client with tlsClientCertificateBoundAccessTokens (RFC 8705 §3): Authlete's codes are not known.
  tokenCertificateRequired: invented('A050394', 'The client requires certificate-bound access tokens but the token request carries no client certificate.'),
  tokenCertificateMalformed: invented('A050395', 'The client certificate is malformed.'),
  // RFC 8707 `resource` at the token endpoint (`invalid_target`): Authlete's codes are not known.
  tokenInvalidResource: invented('A049392', "A 'resource' parameter is not an absolute URI without a fragment (RFC 8707 §2)."),
  tokenResourceNotAllowed: invented('A049393', "The resource '{resource}' is not one the client may request."),
  tokenResourceNotGranted: invented('A049394', "The resource '{resource}' is not one of the resources of the grant."),

  // /auth/token/create.
  tokenCreateOk: authlete('A109001', 'An access token was created successfully.'),
  tokenCreateUnknownClient: invented('A109301', 'The client does not exist.'),
  tokenCreateBadGrantType: invented('A109302', "The value of 'grantType' is not supported."),
  tokenCreateMissingSubject: invented('A109303', "'subject' is required unless 'grantType' is CLIENT_CREDENTIALS."),
  tokenCreateTokenInUse: invented('A109304', 'The specified access token value is already in use.'),
  tokenCreateBadRequest: invented('A109305', 'A request parameter has an invalid value.'),

  // /auth/userinfo.
  userInfoOk: authlete('A091001', 'The access token presented at the userinfo endpoint is valid.'),
  userInfoMissingToken: authlete('A088301', 'The request does not contain a valid access token.'),
  userInfoTokenNotFound: authlete('A088302', 'The access token does not exist.'),
  userInfoTokenExpiredRefreshable: authlete('A089301', 'The access token has expired but it can be refreshed using the corresponding refresh token.'),
  userInfoTokenExpiredRefreshExpired: authlete('A089302', 'The access token has expired, and so has the corresponding refresh token.'),
  userInfoTokenExpired: authlete('A089303', 'The access token has expired.'),
  userInfoNoOpenid: authlete('A089304', "The access token does not cover the 'openid' scope."),
  // RFC 8705 certificate binding (checked before DPoP); A089309 never occurs in the emulator.
  userInfoCertificateMissing: authlete('A089307', 'The access token is bound to a client certificate, but no client certificate was presented.'),
  userInfoCertificateMalformed: authlete('A089308', 'The client certificate is malformed.'),
  userInfoCertificateThumbprintFailed: authlete('A089309', 'The thumbprint of the client certificate could not be calculated.'),
  userInfoCertificateMismatch: authlete('A089310', 'The client certificate does not match the one the access token is bound to.'),
  userInfoDpopMissing: authlete('A089311', 'Expected a DPoP header but none was provided.'),
  userInfoDpopKeyMismatch: authlete('A089312', DPOP['key-mismatch']),
  userInfoDpopInvalid: authlete('A089313', 'There was an error processing the DPoP header: {error}'),

  // /auth/userinfo/issue (its token errors are not known: the emulator's own, ending in 9x).
  userInfoIssueOk: authlete('A096001', 'The UserInfo response was built successfully.'),
  userInfoIssueBadClaims: authlete('A094201', "The value of 'claims' is not a JSON object."),
  userInfoIssueMissingToken: invented('A094291', "The mandatory request parameter 'token' is not given."),
  userInfoIssueTokenNotFound: invented('A094391', 'The access token does not exist.'),
  userInfoIssueTokenExpired: invented('A094392', 'The access token has expired.'),

  // /pushed_auth_req (DPoP proof errors other than the nonce use the token endpoint's A2543xx).
  parOk: authlete('A245001', 'The pushed authorization request was registered successfully.'),
  parMissingParameters: invented('A245201', "The mandatory request parameter 'parameters' is not given."),
  parUnknownClient: authlete('A247307', 'Client authentication failed: the client does not exist.'),
  parBadClientSecret: invented('A245302', 'Client authentication failed: the client secret is missing or wrong.'),
  parMissingResponseType: invented('A245303', "The authorization request does not contain 'response_type'."),
  parBadRedirectUri: invented('A245304', "The 'redirect_uri' is missing or not registered for the client."),
  parRequestUriNotAllowed: authlete('A248301', "A pushed authorization request must not contain 'request_uri'."),
  parTooLarge: invented('A245306', 'The pushed authorization request is too large.'),
  parClientIdMismatch: authlete('A247303', "The 'client_id' parameter does not match the authenticated client."),
  parDpopJktMismatch: invented('A245308', "The 'dpop_jkt' parameter does not match the DPoP proof key."),
  parDpopNonceInvalid: authlete('A350308', DPOP.nonce),

  // /auth/revocation.
  revocationOk: authlete('A113001', 'The token has been revoked successfully.'),
  revocationMissingParameters: authlete('A113201', "The mandatory request parameter 'parameters' is not given."),
  revocationMissingToken: invented('A113391', "The revocation request does not contain 'token'."),
  // Authlete has one code for bad client credentials: both names are that one entry.
  revocationUnknownClient: REVOCATION_BAD_CLIENT,
  revocationBadClientSecret: REVOCATION_BAD_CLIENT,

  // /auth/introspection/standard.
  standardIntrospectionOk: authlete('A145001', 'Introspection was performed successfully.'),
  standardIntrospectionMissingParameters: invented('A145201', "The mandatory request parameter 'parameters' is not given."),
  standardIntrospectionMissingToken: authlete('A145302', "The introspection request does not contain 'token'."),
} as const satisfies Record<string, ResultEntry>

/** Name of an entry of {@link RESULTS}. */
export type ResultName = keyof typeof RESULTS

/**
 * Fill the `{name}` parts of a result's message.
 *
 * @example
 * ```ts
 * fillResult(RESULTS.introspectionInsufficientScope, { scope: 'write' }).message
 * // "The access token does not cover the required scope 'write'."
 * ```
 */
export function fillResult(result: ResultEntry, values: Readonly<Record<string, string>>): ResultEntry {
  return { ...result, message: result.message.replace(/\{(\w+)\}/g, (part, name: string) => values[name] ?? part) }
}

/**
 * Render a result as Authlete does in `resultMessage`: `[A056001] The access token is valid.`
 *
 * @example
 * ```ts
 * formatResultMessage(RESULTS.introspectionDpopMissing) // '[A065308] Expected a DPoP header but none was provided.'
 * ```
 */
export function formatResultMessage(result: ResultEntry): string {
  return `[${result.code}] ${result.message}`
}
