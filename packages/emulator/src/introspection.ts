import { checkAccess } from './access-check'
import { buildChallenge } from './challenge'
import { formatResultMessage, RESULTS, type ResultEntry } from './result-codes'
import type { EmulatorStore } from './store'
import type { ApiResponse, TokenRecord } from './types'

const stringArray = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined

/** Introspection fields describing an existing token (Authlete omits null fields). */
function describeToken(record: TokenRecord, now: number): ApiResponse {
  return {
    clientId: record.clientId,
    clientIdAlias: record.clientIdAlias,
    clientIdAliasUsed: record.clientIdAliasUsed,
    subject: record.subject,
    scopes: record.scopes,
    existent: true,
    usable: now < record.expiresAt,
    refreshable: record.refreshToken !== undefined && (record.refreshTokenExpiresAt ?? 0) > now,
    expiresAt: record.expiresAt,
    properties: record.properties,
    resources: record.resources,
    accessTokenResources: record.resources,
    grantType: record.grantType,
    acr: record.acr,
    authTime: record.authTime ?? 0,
    consentedClaims: record.claims,
  }
}

/**
 * `/auth/introspection`: token existence and expiry, DPoP proof (RFC 9449 §4.3) and binding, then
 * required `scopes`, `subject`, `resources`, `acrValues` and `maxAge`.
 */
export function handleIntrospection(store: EmulatorStore, body: Record<string, unknown>): ApiResponse {
  const now = store.now()
  const check = checkAccess(store, body, {
    missingToken: RESULTS.introspectionMissingToken,
    notFound: RESULTS.introspectionTokenNotFound,
    expired: RESULTS.introspectionTokenExpired,
  })
  const base = (result: ResultEntry, action: string, responseContent: string, record?: TokenRecord, sufficient = false): ApiResponse => ({
    type: 'introspectionResponse',
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
    ...(record ? describeToken(record, now) : {}),
    ...(check.dpopNonce !== undefined ? { dpopNonce: check.dpopNonce } : {}),
  })

  if (!check.ok) return base(check.result, check.action, check.responseContent, check.record)
  const { record, scheme } = check

  const forbidden = (error: string, result: ResultEntry, extra: { scope?: string[]; params?: Record<string, string> } = {}) =>
    base(result, 'FORBIDDEN', buildChallenge({ scheme, error, result, ...extra }), record)

  const requiredScopes = stringArray(body.scopes) ?? []
  const missingScopes = requiredScopes.filter((scope) => !record.scopes.includes(scope))
  if (missingScopes.length > 0) {
    return forbidden('insufficient_scope', RESULTS.introspectionInsufficientScope, { scope: requiredScopes })
  }

  if (typeof body.subject === 'string' && body.subject !== '' && body.subject !== record.subject) {
    return forbidden('insufficient_scope', RESULTS.introspectionSubjectMismatch)
  }

  const requiredResources = stringArray(body.resources) ?? []
  if (requiredResources.length > 0 && record.resources && record.resources.length > 0) {
    if (requiredResources.some((resource) => !record.resources?.includes(resource))) {
      return forbidden('insufficient_scope', RESULTS.introspectionResourceMismatch)
    }
  }

  // RFC 9470 step-up: answered as UNAUTHORIZED insufficient_user_authentication.
  const acrValues = stringArray(body.acrValues) ?? []
  if (acrValues.length > 0 && (record.acr === undefined || !acrValues.includes(record.acr))) {
    const result = RESULTS.introspectionAcrMismatch
    return base(result, 'UNAUTHORIZED', buildChallenge({ scheme, error: 'insufficient_user_authentication', result, params: { acr_values: acrValues.join(' ') } }), record)
  }
  if (typeof body.maxAge === 'number' && body.maxAge > 0) {
    if (record.authTime === undefined || now / 1000 - record.authTime > body.maxAge) {
      const result = RESULTS.introspectionMaxAgeExceeded
      return base(result, 'UNAUTHORIZED', buildChallenge({ scheme, error: 'insufficient_user_authentication', result, params: { max_age: String(body.maxAge) } }), record)
    }
  }

  // Authlete also fills responseContent on OK; a bare challenge carries no error.
  return base(RESULTS.introspectionOk, 'OK', buildChallenge({ scheme }), record, true)
}
