/**
 * Result codes and messages answered by the emulator, in Authlete's format
 * (`A` + 3-digit API family + category digit + 2 digits; category 0 success, 1 Authlete error,
 * 2 caller error, 3 client error). Codes that were observed on Authlete itself are marked in
 * the README; the others are plausible, consistent inventions. Never branch on a code: branch on
 * `action` and the `error` value, as Authlete advises.
 */

/** A result code with its message, rendered as `[code] message`. */
export interface ResultEntry {
  readonly code: string
  readonly message: string
}

const entry = (code: string, message: string): ResultEntry => ({ code, message })

/**
 * Every result the emulator can produce, by name.
 *
 * @example
 * ```ts
 * import { RESULTS, formatResultMessage } from '@authlete-guard/emulator'
 * formatResultMessage(RESULTS.introspectionOk) // '[A056001] The access token is valid.'
 * ```
 */
export const RESULTS = {
  // Generic API errors (HTTP 4xx/5xx, no action).
  internalError: entry('A001101', 'Authlete Server error (injected by the emulator).'),
  invalidRequestBody: entry('A001201', 'The request body is not a valid JSON object.'),
  unauthorizedApiCall: entry('A001202', 'Authorization header is missing or invalid. The service credentials are wrong or do not match this API path.'),
  unknownApi: entry('A001203', 'No API exists at the requested path.'),
  methodNotAllowed: entry('A001204', 'The HTTP method is not allowed for this API; use POST.'),
  requestBodyTooLarge: entry('A001205', 'The request body is too large.'),

  // /auth/introspection (family 056) and shared token checks.
  introspectionOk: entry('A056001', 'The access token is valid.'),
  introspectionMissingToken: entry('A056201', "The mandatory request parameter 'token' is not given."),
  introspectionTokenNotFound: entry('A056301', 'The access token does not exist.'),
  introspectionTokenExpired: entry('A056302', 'The access token has expired.'),
  introspectionInsufficientScope: entry('A056303', 'The access token does not cover the required scopes.'),
  introspectionSubjectMismatch: entry('A056304', 'The subject associated with the access token is different from the required subject.'),
  introspectionResourceMismatch: entry('A056305', 'The access token does not cover the required resources.'),
  introspectionAcrMismatch: entry('A056306', 'The authentication context class of the access token is not one of the required ones.'),
  introspectionMaxAgeExceeded: entry('A056307', 'The end-user authentication of the access token is older than the required maximum age.'),

  // DPoP proof checks (family 065), shared by every API that takes `dpop`.
  dpopMalformed: entry('A065301', 'The DPoP proof is not a single JWT in compact serialization.'),
  dpopBadTyp: entry('A065302', "The 'typ' header of the DPoP proof is not 'dpop+jwt'."),
  dpopBadAlg: entry('A065303', "The 'alg' header of the DPoP proof is not an allowed asymmetric algorithm."),
  dpopBadJwk: entry('A065304', "The 'jwk' header of the DPoP proof is missing, invalid or does not fit 'alg'."),
  dpopPrivateJwk: entry('A065305', "The 'jwk' header of the DPoP proof contains private key material."),
  dpopBadSignature: entry('A065306', 'The signature of the DPoP proof is invalid.'),
  dpopMissingClaim: entry('A065307', 'The DPoP proof lacks a mandatory claim (jti, htm, htu or iat) or has one of a wrong type.'),
  dpopMissing: entry('A065308', 'Expected a DPoP header but none was provided.'),
  dpopThumbprintMismatch: entry('A065309', 'Thumbprint of the provided DPoP key does not match the expected DPoP thumbprint.'),
  dpopHtmMismatch: entry('A065310', "The 'htm' claim of the DPoP proof does not match the HTTP method of the request."),
  dpopHtuMismatch: entry('A065311', "The 'htu' claim of the DPoP proof does not match the URL of the request."),
  dpopIatTooOld: entry('A065312', "The 'iat' claim of the DPoP proof is too old."),
  dpopIatInFuture: entry('A065313', "The 'iat' claim of the DPoP proof is too far in the future."),
  dpopMissingAth: entry('A065314', "The DPoP proof lacks the 'ath' claim required for resource access."),
  dpopAthMismatch: entry('A065315', "The 'ath' claim of the DPoP proof does not match the hash of the access token."),
  dpopNonceInvalid: entry('A065316', 'The DPoP proof does not contain a valid server-issued nonce.'),
  dpopReplayed: entry('A065317', "The 'jti' of the DPoP proof has already been used."),

  // /auth/token (family 050).
  tokenOk: entry('A050001', 'The token request was processed successfully.'),
  tokenMissingParameters: entry('A050201', "The mandatory request parameter 'parameters' is not given."),
  tokenMissingGrantType: entry('A050301', "The token request does not contain 'grant_type'."),
  tokenUnsupportedGrantType: entry('A050302', 'The grant type is not supported.'),
  tokenUnknownClient: entry('A050303', 'Client authentication failed: the client does not exist.'),
  tokenBadClientSecret: entry('A050304', 'Client authentication failed: the client secret is missing or wrong.'),
  tokenMissingCode: entry('A050305', "The token request does not contain 'code'."),
  tokenInvalidCode: entry('A050306', 'The authorization code is unknown, expired, already used or issued to another client.'),
  tokenRedirectUriMismatch: entry('A050307', "The 'redirect_uri' does not match the one of the authorization request."),
  tokenMissingRefreshToken: entry('A050308', "The token request does not contain 'refresh_token'."),
  tokenInvalidRefreshToken: entry('A050309', 'The refresh token is unknown, expired or issued to another client.'),
  tokenRefreshNeedsDpop: entry('A050310', 'The refresh token is bound to a DPoP key; a DPoP proof signed with that key is required.'),
  tokenDpopRequired: entry('A050311', 'The client requires DPoP but the token request carries no DPoP proof.'),
  tokenInvalidScope: entry('A050312', 'The requested scope exceeds the scope of the original grant.'),
  tokenPkceFailed: entry('A050313', "The 'code_verifier' is missing or does not match the code challenge."),
  tokenPublicClientNotAllowed: entry('A050314', 'A public client may not use the client credentials grant.'),
  tokenDuplicateParameter: entry('A050315', 'A request parameter is included more than once.'),
  tokenDpopJktMismatch: entry('A050316', "The DPoP proof key does not match the 'dpop_jkt' of the authorization request."),

  // /auth/token/create (family 109).
  tokenCreateOk: entry('A109001', 'An access token was created successfully.'),
  tokenCreateUnknownClient: entry('A109301', 'The client does not exist.'),
  tokenCreateBadGrantType: entry('A109302', "The value of 'grantType' is not supported."),
  tokenCreateMissingSubject: entry('A109303', "'subject' is required unless 'grantType' is CLIENT_CREDENTIALS."),
  tokenCreateTokenInUse: entry('A109304', 'The specified access token value is already in use.'),
  tokenCreateBadRequest: entry('A109305', 'A request parameter has an invalid value.'),

  // /auth/userinfo (family 091) and /auth/userinfo/issue (family 092).
  userInfoOk: entry('A091001', 'The access token presented at the UserInfo endpoint is valid.'),
  userInfoMissingToken: entry('A091201', "The mandatory request parameter 'token' is not given."),
  userInfoTokenNotFound: entry('A091301', 'The access token does not exist.'),
  userInfoTokenExpired: entry('A091302', 'The access token has expired.'),
  userInfoNoOpenid: entry('A091303', "The access token does not cover the 'openid' scope."),
  userInfoIssueJson: entry('A092001', 'The UserInfo response was built successfully.'),
  userInfoIssueBadClaims: entry('A092201', "The value of 'claims' is not a JSON object."),

  // /pushed_auth_req (family 245).
  parOk: entry('A245001', 'The pushed authorization request was registered successfully.'),
  parMissingParameters: entry('A245201', "The mandatory request parameter 'parameters' is not given."),
  parUnknownClient: entry('A245301', 'Client authentication failed: the client does not exist.'),
  parBadClientSecret: entry('A245302', 'Client authentication failed: the client secret is missing or wrong.'),
  parMissingResponseType: entry('A245303', "The authorization request does not contain 'response_type'."),
  parBadRedirectUri: entry('A245304', "The 'redirect_uri' is missing or not registered for the client."),
  parRequestUriNotAllowed: entry('A245305', "A pushed authorization request must not contain 'request_uri'."),
  parTooLarge: entry('A245306', 'The pushed authorization request is too large.'),
  parClientIdMismatch: entry('A245307', "The 'client_id' parameter does not match the authenticated client."),
  parDpopJktMismatch: entry('A245308', "The 'dpop_jkt' parameter does not match the DPoP proof key."),

  // /auth/revocation (family 049).
  revocationOk: entry('A049001', 'The token revocation request was processed successfully.'),
  revocationMissingParameters: entry('A049201', "The mandatory request parameter 'parameters' is not given."),
  revocationMissingToken: entry('A049301', "The revocation request does not contain 'token'."),
  revocationUnknownClient: entry('A049302', 'Client authentication failed: the client does not exist.'),
  revocationBadClientSecret: entry('A049303', 'Client authentication failed: the client secret is missing or wrong.'),

  // /auth/introspection/standard (family 057).
  standardIntrospectionOk: entry('A057001', 'Introspection was performed successfully.'),
  standardIntrospectionMissingParameters: entry('A057201', "The mandatory request parameter 'parameters' is not given."),
  standardIntrospectionMissingToken: entry('A057301', "The introspection request does not contain 'token'."),
} as const satisfies Record<string, ResultEntry>

/** Name of an entry of {@link RESULTS}. */
export type ResultName = keyof typeof RESULTS

/**
 * Render a result as Authlete does in `resultMessage`: `[A056001] The access token is valid.`
 *
 * @example
 * ```ts
 * formatResultMessage(RESULTS.dpopMissing) // '[A065308] Expected a DPoP header but none was provided.'
 * ```
 */
export function formatResultMessage(result: ResultEntry, detail?: string): string {
  return `[${result.code}] ${result.message}${detail ? ` ${detail}` : ''}`
}
