import { checkAccess, type AccessCheckCodes } from './access-check'
import { buildChallenge } from './challenge'
import { USERINFO_DPOP_CODES } from './dpop-denial'
import { jwsSign } from './jws'
import { formatResultMessage, RESULTS, type ResultEntry } from './result-codes'
import type { EmulatorStore } from './store'
import type { ApiCallContext, ApiResponse, TokenRecord } from './types'

/**
 * Standard claims requested by the OpenID Connect scope values (OIDC Core §5.4).
 *
 * @example
 * ```ts
 * SCOPE_CLAIMS.email // ['email', 'email_verified']
 * ```
 */
export const SCOPE_CLAIMS: Readonly<Record<string, readonly string[]>> = {
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
}

const USERINFO_CODES: AccessCheckCodes = {
  missingToken: RESULTS.userInfoMissingToken,
  notFound: RESULTS.userInfoTokenNotFound,
  expired: {
    refreshable: RESULTS.userInfoTokenExpiredRefreshable,
    refreshExpired: RESULTS.userInfoTokenExpiredRefreshExpired,
    expired: RESULTS.userInfoTokenExpired,
  },
  certificate: {
    missing: RESULTS.userInfoCertificateMissing,
    mismatch: RESULTS.userInfoCertificateMismatch,
    malformed: RESULTS.userInfoCertificateMalformed,
  },
  dpopMissing: RESULTS.userInfoDpopMissing,
  dpop: USERINFO_DPOP_CODES,
}

/** Claim names the token's client may receive: from its scopes, plus those it asked for explicitly. */
export function requestedClaims(record: TokenRecord): string[] {
  const names = record.scopes.flatMap((scope) => SCOPE_CLAIMS[scope] ?? [])
  return [...new Set([...names, ...(record.claims ?? [])])]
}

/**
 * `/auth/userinfo`: the introspection checks (token, certificate binding with `clientCertificate`
 * and the A0893xx codes, DPoP proof with `htm` default `GET` and `htu`
 * default the service's `userInfoEndpoint`; nonces on API V3 only), then the `openid` scope. On
 * `OK` it names the claims the authorization server must collect for `/auth/userinfo/issue`. The
 * reply has only members Authlete's UserInfo reply declares (no `acr`, no `authTime`).
 */
export function handleUserInfo(store: EmulatorStore, body: Record<string, unknown>, { version }: ApiCallContext): ApiResponse {
  const request = { ...body, htm: body.htm ?? 'GET', htu: body.htu ?? store.settings.userInfoEndpoint }
  const check = checkAccess(store, request, USERINFO_CODES, version)
  const respond = (result: ResultEntry, action: string, responseContent: string | undefined, extra: ApiResponse = {}): ApiResponse => ({
    resultCode: result.code,
    resultMessage: formatResultMessage(result),
    action,
    responseContent,
    ...extra,
    ...(check.dpopNonce !== undefined ? { dpopNonce: check.dpopNonce } : {}),
  })
  if (!check.ok) return respond(check.result, check.action, check.responseContent, { clientId: check.record?.clientId ?? 0 })
  const { record, scheme } = check
  if (!record.scopes.includes('openid')) {
    const result = RESULTS.userInfoNoOpenid
    return respond(result, 'FORBIDDEN', buildChallenge({ scheme, error: 'insufficient_scope', result, scope: ['openid'] }), { clientId: record.clientId })
  }
  return respond(RESULTS.userInfoOk, 'OK', undefined, {
    clientId: record.clientId,
    clientIdAlias: record.clientIdAlias,
    clientIdAliasUsed: record.clientIdAliasUsed,
    subject: record.subject,
    scopes: record.scopes,
    claims: requestedClaims(record),
    token: record.accessToken,
    properties: record.properties,
  })
}

/** The token of a `/auth/userinfo/issue` call: it must exist and not have expired. */
function issueToken(store: EmulatorStore, token: unknown): { ok: true; record: TokenRecord } | { ok: false; action: string; error: string; result: ResultEntry } {
  if (typeof token !== 'string' || token === '') return { ok: false, action: 'BAD_REQUEST', error: 'invalid_request', result: RESULTS.userInfoIssueMissingToken }
  const record = store.byAccessToken.get(token)
  if (!record) return { ok: false, action: 'UNAUTHORIZED', error: 'invalid_token', result: RESULTS.userInfoIssueTokenNotFound }
  if (store.now() >= record.expiresAt) return { ok: false, action: 'UNAUTHORIZED', error: 'invalid_token', result: RESULTS.userInfoIssueTokenExpired }
  return { ok: true, record }
}

/** The `claims` of a `/auth/userinfo/issue` call (a JSON object as a string), or undefined when it is not one. */
function issueClaims(claims: unknown): Record<string, unknown> | undefined {
  if (claims === undefined || claims === null || claims === '') return {}
  let parsed: unknown
  try {
    parsed = typeof claims === 'string' ? JSON.parse(claims) : undefined
  } catch {
    parsed = undefined
  }
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined
}

/**
 * `/auth/userinfo/issue`: build the UserInfo response from the claims the authorization server
 * collected (`claims`, a JSON object as a string). Action `JSON`, or `JWT` (ES256-signed by the
 * emulator's service key) when the client has `userInfoSignedResponse`. Like Authlete's, it takes
 * no DPoP proof (that was `/auth/userinfo`'s job) and its reply carries no `dpopNonce`.
 */
export function handleUserInfoIssue(store: EmulatorStore, body: Record<string, unknown>): ApiResponse {
  const respond = (result: ResultEntry, action: string, responseContent: string | undefined): ApiResponse => ({
    resultCode: result.code,
    resultMessage: formatResultMessage(result),
    action,
    responseContent,
  })

  const token = issueToken(store, body.token)
  if (!token.ok) {
    const scheme = typeof body.token === 'string' && store.byAccessToken.get(body.token)?.jkt ? 'DPoP' : 'Bearer'
    return respond(token.result, token.action, buildChallenge({ scheme, error: token.error, result: token.result }))
  }
  const { record } = token
  const claims = issueClaims(body.claims)
  if (!claims) {
    const result = RESULTS.userInfoIssueBadClaims
    return respond(result, 'INTERNAL_SERVER_ERROR', buildChallenge({ scheme: 'Bearer', error: 'server_error', result }))
  }
  const { sub: _ignored, ...rest } = claims
  const sub = typeof body.sub === 'string' && body.sub !== '' ? body.sub : record.subject
  const content = { sub, ...rest }

  const client = store.clients.get(record.clientId)
  if (client?.userInfoSignedResponse) {
    const { privateKey, kid } = store.signingKey()
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const input = `${encode({ alg: 'ES256', typ: 'JWT', kid })}.${encode({ iss: store.settings.issuer, aud: String(record.clientId), iat: Math.floor(store.now() / 1000), ...content })}`
    const jwt = `${input}.${jwsSign('ES256', privateKey, Buffer.from(input, 'ascii')).toString('base64url')}`
    return respond(RESULTS.userInfoIssueOk, 'JWT', jwt)
  }
  return respond(RESULTS.userInfoIssueOk, 'JSON', JSON.stringify(content))
}
