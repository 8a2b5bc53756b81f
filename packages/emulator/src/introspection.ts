import { checkAccess, type AccessCheckCodes } from './access-check'
import { buildChallenge } from './challenge'
import { INTROSPECTION_DPOP_CODES } from './dpop-denial'
import { fillResult, formatResultMessage, RESULTS, type ResultEntry } from './result-codes'
import type { EmulatorStore } from './store'
import type { ApiCallContext, ApiResponse, TokenRecord } from './types'

/** `responseContent` of an `OK` introspection: Authlete fills it even then, with this literal (never to be sent). */
export const OK_RESPONSE_CONTENT = 'Bearer error="invalid_request"'

const stringArray = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined

/** Introspection fields describing an existing token (Authlete omits null fields). */
function describeToken(store: EmulatorStore, record: TokenRecord): ApiResponse {
  return {
    clientId: record.clientId,
    clientIdAlias: record.clientIdAlias,
    clientIdAliasUsed: record.clientIdAliasUsed,
    subject: record.subject,
    scopes: record.scopes,
    existent: true,
    usable: store.now() < record.expiresAt,
    refreshable: store.isRefreshable(record),
    expiresAt: record.expiresAt,
    properties: record.properties,
    resources: record.resources,
    accessTokenResources: record.resources,
    grantType: record.grantType,
    certificateThumbprint: record.certificateThumbprint,
    acr: record.acr,
    authTime: record.authTime ?? 0,
    consentedClaims: record.claims,
  }
}

const CODES: AccessCheckCodes = {
  missingToken: RESULTS.introspectionMissingToken,
  notFound: RESULTS.introspectionTokenNotFound,
  expired: {
    refreshable: RESULTS.introspectionTokenExpiredRefreshable,
    refreshExpired: RESULTS.introspectionTokenExpiredRefreshExpired,
    expired: RESULTS.introspectionTokenExpired,
  },
  certificate: {
    missing: RESULTS.introspectionCertificateMissing,
    mismatch: RESULTS.introspectionCertificateMismatch,
    malformed: RESULTS.introspectionCertificateMalformed,
  },
  dpopMissing: RESULTS.introspectionDpopMissing,
  dpop: INTROSPECTION_DPOP_CODES,
  forgetExpired: true,
}

/**
 * `/auth/introspection`: token existence and expiry (an expired token is reported once, then
 * forgotten), certificate binding (RFC 8705 §3: `clientCertificate`, A065304/A065305/A065307), DPoP
 * proof (RFC 9449 §4.3) and binding, then required `scopes`, `subject`,
 * `resources`, `acrValues` and `maxAge`. Nonces (and `dpopNonce`) on API V3 only.
 */
export function handleIntrospection(store: EmulatorStore, body: Record<string, unknown>, { version }: ApiCallContext): ApiResponse {
  const check = checkAccess(store, body, CODES, version)
  const base = (result: ResultEntry, action: string, responseContent: string, record?: TokenRecord, sufficient = false): ApiResponse => ({
    resultCode: result.code,
    resultMessage: formatResultMessage(result),
    action,
    responseContent,
    clientId: 0,
    existent: false,
    usable: false,
    sufficient,
    refreshable: false,
    expiresAt: 0,
    ...(record ? describeToken(store, record) : {}),
    ...(check.dpopNonce !== undefined ? { dpopNonce: check.dpopNonce } : {}),
  })

  if (!check.ok) return base(check.result, check.action, check.responseContent, check.record)
  const { record, scheme } = check

  const forbidden = (error: string, result: ResultEntry, extra: { scope?: string[]; params?: Record<string, string> } = {}) =>
    base(result, 'FORBIDDEN', buildChallenge({ scheme, error, result, ...extra }), record)

  const requiredScopes = stringArray(body.scopes) ?? []
  const missingScope = requiredScopes.find((scope) => !record.scopes.includes(scope))
  if (missingScope !== undefined) {
    return forbidden('insufficient_scope', fillResult(RESULTS.introspectionInsufficientScope, { scope: missingScope }), { scope: requiredScopes })
  }

  if (typeof body.subject === 'string' && body.subject !== '' && body.subject !== record.subject) {
    return forbidden('invalid_request', RESULTS.introspectionSubjectMismatch)
  }

  const requiredResources = stringArray(body.resources) ?? []
  if (requiredResources.length > 0 && record.resources && record.resources.length > 0) {
    if (requiredResources.some((resource) => !record.resources?.includes(resource))) {
      return forbidden('insufficient_scope', RESULTS.introspectionResourceMismatch)
    }
  }

  // Step-up (RFC 9470's error code): Authlete answers FORBIDDEN, although RFC 9470 wants 401.
  const acrValues = stringArray(body.acrValues) ?? []
  if (acrValues.length > 0 && (record.acr === undefined || !acrValues.includes(record.acr))) {
    const result = fillResult(RESULTS.introspectionAcrInsufficient, { acr: record.acr ?? 'null' })
    return forbidden('insufficient_user_authentication', result, { params: { acr_values: acrValues.join(' ') } })
  }
  if (typeof body.maxAge === 'number' && body.maxAge > 0) {
    if (record.authTime === undefined || store.now() / 1000 - record.authTime > body.maxAge) {
      return forbidden('insufficient_user_authentication', RESULTS.introspectionAuthTimeTooOld, { params: { max_age: String(body.maxAge) } })
    }
  }

  return base(RESULTS.introspectionOk, 'OK', OK_RESPONSE_CONTENT, record, true)
}
