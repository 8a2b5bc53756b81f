import { parseChallengeError, renderChallenge } from './challenge'
import { AuthleteGuardError } from './errors'
import { dpopNonceOf, noStoreHeaders } from './response-headers'
import type { CredentialsFailure } from './request'
import type { AccessTokenInfo, AllowDecision, DenyDecision, IntrospectionResponse } from './types'

/** How the guard's own challenges look. */
export interface ChallengeOptions {
  realm?: string | undefined
  dpopAlgs: readonly string[]
  /** The route's required scopes, advertised in the no-credentials challenge. */
  scopes?: readonly string[] | undefined
}

const DENY_STATUS: Record<string, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  INTERNAL_SERVER_ERROR: 500,
}

const DEFAULT_ERROR: Record<number, string> = {
  400: 'invalid_request',
  401: 'invalid_token',
  403: 'insufficient_scope',
  500: 'server_error',
}

/** Build a denial: status, `WWW-Authenticate`, no-store caching, JSON body, optional `DPoP-Nonce`. */
export function deny(
  status: number,
  challenge: string,
  extra: { dpopNonce?: string | null | undefined; cause?: AuthleteGuardError | undefined; description?: string } = {},
): DenyDecision {
  const parsed = parseChallengeError(challenge)
  const error = parsed.error
  const errorDescription = parsed.errorDescription ?? extra.description
  const headers = { 'WWW-Authenticate': challenge, ...noStoreHeaders('application/json', extra.dpopNonce ?? undefined) }
  // Stringify drops undefined members: a challenge without `error` gives a body without one.
  const body = JSON.stringify({ error, error_description: errorDescription })
  const decision: DenyDecision = { allowed: false, status, headers, body, error, errorDescription }
  if (extra.cause) decision.cause = extra.cause
  return decision
}

function dpopChallenge(options: ChallengeOptions, params: Array<[string, string | undefined]> = []): string {
  return renderChallenge('DPoP', [['realm', options.realm], ...params, ['algs', options.dpopAlgs.join(' ')]])
}

function bearerChallenge(options: ChallengeOptions, params: Array<[string, string | undefined]> = []): string {
  return renderChallenge('Bearer', [['realm', options.realm], ...params])
}

/**
 * The denial for credentials refused locally (no Authlete call): RFC 6750 §3.1 for a missing
 * token (both schemes offered, no `error`), 400 `invalid_request` for malformed or ambiguous
 * credentials, 401 `invalid_dpop_proof` for a DPoP token without exactly one proof (RFC 9449 §7.1).
 */
export function denyCredentials(failure: CredentialsFailure, options: ChallengeOptions): DenyDecision {
  switch (failure.kind) {
    case 'missing': {
      const scope = options.scopes && options.scopes.length > 0 ? options.scopes.join(' ') : undefined
      const challenge = `${bearerChallenge(options, [['scope', scope]])}, ${dpopChallenge(options, [['scope', scope]])}`
      return deny(401, challenge, { description: failure.description })
    }
    case 'invalid_dpop_proof':
      return deny(401, dpopChallenge(options, [['error', 'invalid_dpop_proof'], ['error_description', failure.description]]))
    case 'invalid_request': {
      const params: Array<[string, string]> = [['error', 'invalid_request'], ['error_description', failure.description]]
      return deny(400, failure.scheme === 'DPoP' ? dpopChallenge(options, params) : bearerChallenge(options, params))
    }
  }
}

/** The 500 denial for an infrastructure failure: the route never runs and nothing leaks. */
export function denyServerError(cause: AuthleteGuardError, scheme: 'DPoP' | 'Bearer' | undefined, options: ChallengeOptions): DenyDecision {
  const params: Array<[string, string]> = [
    ['error', 'server_error'],
    ['error_description', 'The access token could not be verified. Try again later.'],
  ]
  return deny(500, scheme === 'DPoP' ? dpopChallenge(options, params) : bearerChallenge(options, params), { cause })
}

function propertiesRecord(properties: IntrospectionResponse['properties']): Record<string, string> {
  const out: Record<string, string> = {}
  if (Array.isArray(properties)) {
    for (const p of properties) if (p && typeof p.key === 'string') out[p.key] = String(p.value ?? '')
  }
  return out
}

const orUndefined = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value)

/** Map an OK introspection response to the principal the route sees. */
export function toAccessTokenInfo(response: IntrospectionResponse, tokenType: 'DPoP' | 'Bearer'): AccessTokenInfo {
  return {
    subject: orUndefined(response.subject) || undefined,
    clientId: typeof response.clientId === 'number' ? response.clientId : Number(response.clientId ?? 0),
    clientIdAlias: orUndefined(response.clientIdAlias),
    clientIdAliasUsed: response.clientIdAliasUsed === true,
    clientEntityId: orUndefined(response.clientEntityId),
    scopes: Array.isArray(response.scopes) ? [...response.scopes] : [],
    expiresAt: typeof response.expiresAt === 'number' ? response.expiresAt : 0,
    tokenType,
    resources: Array.isArray(response.resources) ? [...response.resources] : [],
    authorizationDetails: orUndefined(response.authorizationDetails),
    properties: propertiesRecord(response.properties),
    certificateThumbprint: orUndefined(response.certificateThumbprint),
    acr: orUndefined(response.acr),
    authTime: typeof response.authTime === 'number' && response.authTime > 0 ? response.authTime : undefined,
    grantType: orUndefined(response.grantType),
    raw: response,
  }
}

/**
 * Turn Authlete's `/auth/introspection` answer into a decision (reference §3): `OK` allows,
 * `BAD_REQUEST` 400, `UNAUTHORIZED` 401, `FORBIDDEN` 403, `INTERNAL_SERVER_ERROR` 500, each with
 * `responseContent` as the `WWW-Authenticate` value verbatim; `dpopNonce` becomes `DPoP-Nonce`
 * on every outcome. Anything else (unknown action, a reply that contradicts itself) is a 500.
 *
 * @example
 * const decision = decide(await client.call('/auth/introspection', body), { scheme: 'DPoP', dpopAlgs: DEFAULT_DPOP_ALGS })
 */
export function decide(
  response: IntrospectionResponse,
  context: ChallengeOptions & { scheme: 'DPoP' | 'Bearer' },
): AllowDecision | DenyDecision {
  const nonce = dpopNonceOf(response)
  if (response.action === 'OK') {
    // Fail closed on a self-contradicting reply rather than trust the action alone.
    if (response.existent === false || response.usable === false || response.sufficient === false) {
      const cause = new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', 'Authlete answered OK for a token it reports as not existent, usable or sufficient.')
      return denyServerError(cause, context.scheme, context)
    }
    const headers: Record<string, string> = {}
    if (nonce) headers['DPoP-Nonce'] = nonce
    return { allowed: true, auth: toAccessTokenInfo(response, context.scheme), headers }
  }
  const status = DENY_STATUS[response.action as string]
  if (status === undefined) {
    const action = typeof response.action === 'string' ? response.action.slice(0, 64) : typeof response.action
    const cause = new AuthleteGuardError('ERR_AUTHLETE_UNKNOWN_ACTION', `Authlete answered with an unknown action: ${action}.`, { resultCode: response.resultCode })
    return denyServerError(cause, context.scheme, context)
  }
  const challenge =
    typeof response.responseContent === 'string' && response.responseContent.trim() !== ''
      ? response.responseContent
      : renderChallenge(context.scheme, [['error', DEFAULT_ERROR[status]]])
  const cause =
    status === 500
      ? new AuthleteGuardError('ERR_AUTHLETE_REPORTED_ERROR', `Authlete reported an internal error (${response.resultCode ?? 'no result code'}).`, { resultCode: response.resultCode })
      : undefined
  return deny(status, challenge, { dpopNonce: nonce, cause })
}
