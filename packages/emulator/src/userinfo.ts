import { checkAccess, hasDpop, type AccessCheckCodes } from './access-check'
import { buildChallenge } from './challenge'
import { USERINFO_DPOP_CODES } from './dpop-denial'
import { jwsSign } from './jws'
import { formatResultMessage, RESULTS, type ResultEntry } from './result-codes'
import type { EmulatorStore } from './store'
import type { ApiResponse, TokenRecord } from './types'

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
  expired: () => RESULTS.userInfoTokenExpired,
  dpopMissing: RESULTS.userInfoDpopMissing,
  dpop: USERINFO_DPOP_CODES,
}

/** Claim names the token's client may receive: from its scopes, plus those it asked for explicitly. */
export function requestedClaims(record: TokenRecord): string[] {
  const names = record.scopes.flatMap((scope) => SCOPE_CLAIMS[scope] ?? [])
  return [...new Set([...names, ...(record.claims ?? [])])]
}

/**
 * `/auth/userinfo`: the introspection checks (token, DPoP proof with `htm` default `GET` and `htu`
 * default the service's `userInfoEndpoint`), then the `openid` scope. On `OK` it names the claims
 * the authorization server must collect for `/auth/userinfo/issue`.
 */
export function handleUserInfo(store: EmulatorStore, body: Record<string, unknown>): ApiResponse {
  const check = checkAccess(store, { ...body, htm: body.htm ?? 'GET', htu: body.htu ?? store.settings.userInfoEndpoint }, USERINFO_CODES)
  const respond = (result: ResultEntry, action: string, responseContent: string | undefined, extra: ApiResponse = {}): ApiResponse => ({
    type: 'userInfoResponse',
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
    acr: record.acr,
    authTime: record.authTime,
  })
}

/**
 * `/auth/userinfo/issue`: build the UserInfo response from the claims the authorization server
 * collected (`claims`, a JSON object as a string). Action `JSON`, or `JWT` (ES256-signed by the
 * emulator's service key) when the client has `userInfoSignedResponse`.
 */
export function handleUserInfoIssue(store: EmulatorStore, body: Record<string, unknown>): ApiResponse {
  const respond = (result: ResultEntry, action: string, responseContent: string | undefined, extra: ApiResponse = {}): ApiResponse => ({
    type: 'userInfoIssueResponse',
    resultCode: result.code,
    resultMessage: formatResultMessage(result),
    action,
    responseContent,
    ...extra,
  })

  let record: TokenRecord
  if (hasDpop(body.dpop)) {
    const check = checkAccess(store, { ...body, htm: body.htm ?? 'GET', htu: body.htu ?? store.settings.userInfoEndpoint }, USERINFO_CODES)
    if (!check.ok) return respond(check.result, check.action, check.responseContent, check.dpopNonce ? { dpopNonce: check.dpopNonce } : {})
    record = check.record
  } else {
    const token = body.token
    const found = typeof token === 'string' && token !== '' ? store.byAccessToken.get(token) : undefined
    const scheme = found?.jkt ? 'DPoP' : 'Bearer'
    const deny = (action: string, error: string, result: ResultEntry) => respond(result, action, buildChallenge({ scheme, error, result }))
    if (typeof token !== 'string' || token === '') return deny('BAD_REQUEST', 'invalid_request', RESULTS.userInfoMissingToken)
    if (!found) return deny('UNAUTHORIZED', 'invalid_token', RESULTS.userInfoTokenNotFound)
    if (store.now() >= found.expiresAt) return deny('UNAUTHORIZED', 'invalid_token', RESULTS.userInfoTokenExpired)
    record = found
  }

  let claims: Record<string, unknown> = {}
  if (body.claims !== undefined && body.claims !== null && body.claims !== '') {
    let parsed: unknown
    try {
      parsed = typeof body.claims === 'string' ? JSON.parse(body.claims) : undefined
    } catch {
      parsed = undefined
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      const result = RESULTS.userInfoIssueBadClaims
      return respond(result, 'INTERNAL_SERVER_ERROR', buildChallenge({ scheme: 'Bearer', error: 'server_error', result }))
    }
    claims = parsed as Record<string, unknown>
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
