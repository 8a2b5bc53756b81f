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

/** The guard's own challenge for a request of `scheme` (realm, params, and `algs` for DPoP). */
export function challengeFor(scheme: 'DPoP' | 'Bearer', options: ChallengeOptions, params: Array<[string, string | undefined]>): string {
  return scheme === 'DPoP' ? dpopChallenge(options, params) : bearerChallenge(options, params)
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
      return deny(400, challengeFor(failure.scheme ?? 'Bearer', options, params))
    }
  }
}

/** The 500 denial for an infrastructure failure: the route never runs and nothing leaks. */
export function denyServerError(cause: AuthleteGuardError, scheme: 'DPoP' | 'Bearer' | undefined, options: ChallengeOptions): DenyDecision {
  const params: Array<[string, string]> = [
    ['error', 'server_error'],
    ['error_description', 'The access token could not be verified. Try again later.'],
  ]
  return deny(500, challengeFor(scheme ?? 'Bearer', options, params), { cause })
}

/**
 * A record for token properties: no prototype, so a key such as `__proto__` or `constructor` is an
 * own property like any other and nothing is inherited; and a non-enumerable `Symbol.toPrimitive`,
 * so `String(record)` and template literals still give `[object Object]` (a key named `toString`
 * cannot break them). `Object.keys`, `JSON.stringify` and spread see the keys only.
 */
function propertyRecord(): Record<string, string> {
  const record = Object.create(null) as Record<string, string>
  Object.defineProperty(record, Symbol.toPrimitive, { value: () => '[object Object]' })
  return record
}

/** The token's properties, split by Authlete's `hidden` flag. */
function propertiesRecords(properties: IntrospectionResponse['properties']): { visible: Record<string, string>; hidden: Record<string, string> } {
  const visible = propertyRecord()
  const hidden = propertyRecord()
  if (Array.isArray(properties)) {
    for (const p of properties) if (p && typeof p.key === 'string') (p.hidden === true ? hidden : visible)[p.key] = String(p.value ?? '')
  }
  return { visible, hidden }
}

const orUndefined = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value)
/** The strings of an array from Authlete's reply; `undefined` when it is not an array. */
export const stringArray = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined

/** Map an OK introspection response to the principal the route sees. */
export function toAccessTokenInfo(response: IntrospectionResponse, tokenType: 'DPoP' | 'Bearer', source: AccessTokenInfo['source'] = 'authlete'): AccessTokenInfo {
  const properties = propertiesRecords(response.properties)
  return {
    subject: orUndefined(response.subject) || undefined,
    clientId: response.clientId as number,
    clientIdAlias: orUndefined(response.clientIdAlias),
    clientIdAliasUsed: response.clientIdAliasUsed === true,
    clientEntityId: orUndefined(response.clientEntityId),
    scopes: stringArray(response.scopes) ?? [],
    expiresAt: response.expiresAt as number,
    tokenType,
    // The token's own audience (possibly narrowed at the token endpoint); `resources` is what the
    // authorization request asked for.
    resources: stringArray(response.accessTokenResources) ?? stringArray(response.resources) ?? [],
    requestedResources: stringArray(response.resources) ?? [],
    authorizationDetails: orUndefined(response.authorizationDetails),
    properties: properties.visible,
    hiddenProperties: properties.hidden,
    certificateThumbprint: orUndefined(response.certificateThumbprint),
    acr: orUndefined(response.acr),
    authTime: typeof response.authTime === 'number' && response.authTime > 0 ? response.authTime : undefined,
    grantType: orUndefined(response.grantType),
    raw: response,
    source,
  }
}

/** Largest `responseContent` the guard sends as `WWW-Authenticate` (Authlete's are far smaller). */
export const MAX_CHALLENGE_LENGTH = 16 * 1024
// An HTTP field value the guard can write anywhere (Node and fetch `Headers` alike): visible ASCII,
// spaces and tabs inside, no CR, LF or NUL.
const FIELD_VALUE = /^[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?$/
// RFC 9449 §8.1: nonce = 1*NQCHAR; NQCHAR = %x21 / %x23-5B / %x5D-7E
const NONCE = /^[\x21\x23-\x5b\x5d-\x7e]+$/

function invalidReply(message: string, response: { resultCode?: unknown }): AuthleteGuardError {
  return new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', message, {
    resultCode: typeof response.resultCode === 'string' ? response.resultCode.slice(0, 16) : undefined,
  })
}

/**
 * The fault in the header values of an Authlete reply, if any: `dpopNonce` that is not RFC 9449's
 * `1*NQCHAR`, or (when it becomes `WWW-Authenticate`) a `responseContent` over
 * `MAX_CHALLENGE_LENGTH` or not a valid field value. Checked before any route runs, so a bad reply
 * is a 500 and never a half-sent response.
 */
export function replyHeaderFault(reply: { dpopNonce?: unknown; responseContent?: unknown; resultCode?: unknown }, challengeUsed: boolean): AuthleteGuardError | undefined {
  const nonce = reply.dpopNonce
  if (nonce !== undefined && nonce !== null && nonce !== '' && (typeof nonce !== 'string' || nonce.length > MAX_CHALLENGE_LENGTH || !NONCE.test(nonce))) {
    return invalidReply('Authlete\'s dpopNonce is not a valid DPoP nonce (RFC 9449 §8.1).', reply)
  }
  const content = reply.responseContent
  if (challengeUsed && typeof content === 'string' && content.trim() !== '') {
    if (content.length > MAX_CHALLENGE_LENGTH) return invalidReply(`Authlete's responseContent is longer than ${MAX_CHALLENGE_LENGTH} bytes.`, reply)
    if (!FIELD_VALUE.test(content)) return invalidReply('Authlete\'s responseContent is not a valid WWW-Authenticate header value.', reply)
  }
  return undefined
}

/**
 * The denial for a non-`OK` action of `/auth/introspection` or `/auth/userinfo` (reference §3),
 * or `undefined` for `OK`. `BAD_REQUEST` 400, `UNAUTHORIZED` 401, `FORBIDDEN` 403 (401 for RFC 9470
 * `insufficient_user_authentication`: step-up is an authentication problem),
 * `INTERNAL_SERVER_ERROR` 500, each with `responseContent` verbatim as `WWW-Authenticate`; an
 * unknown action or a bad header value is a 500.
 */
export function denyForAction(
  response: IntrospectionResponse,
  context: ChallengeOptions & { scheme: 'DPoP' | 'Bearer' },
): DenyDecision | undefined {
  if (response.action === 'OK') return undefined
  const status = DENY_STATUS[response.action as string]
  if (status === undefined) {
    const action = typeof response.action === 'string' ? response.action.slice(0, 64) : typeof response.action
    const cause = new AuthleteGuardError('ERR_AUTHLETE_UNKNOWN_ACTION', `Authlete answered with an unknown action: ${action}.`, { resultCode: response.resultCode })
    return denyServerError(cause, context.scheme, context)
  }
  const fault = replyHeaderFault(response, true)
  if (fault) return denyServerError(fault, context.scheme, context)
  const challenge =
    typeof response.responseContent === 'string' && response.responseContent.trim() !== ''
      ? response.responseContent
      : renderChallenge(context.scheme, [['error', DEFAULT_ERROR[status]]])
  const cause =
    status === 500
      ? new AuthleteGuardError('ERR_AUTHLETE_REPORTED_ERROR', `Authlete reported an internal error (${response.resultCode ?? 'no result code'}).`, { resultCode: response.resultCode })
      : undefined
  const denial = deny(status, challenge, { dpopNonce: dpopNonceOf(response), cause })
  // RFC 9470 §3: acr / max_age not met is 401 with the challenge; Authlete answers FORBIDDEN.
  if (status === 403 && denial.error === 'insufficient_user_authentication') denial.status = 401
  return denial
}

/**
 * Turn Authlete's `/auth/introspection` answer into a decision (reference §3): `OK` allows, the
 * other actions deny as `denyForAction` says; `dpopNonce` becomes `DPoP-Nonce` on every outcome.
 * A reply that is not one Authlete sends (unknown action, an `OK` without a numeric `clientId` and
 * `expiresAt` or that contradicts itself, a header value that is not valid) is a 500.
 *
 * @example
 * const decision = decide(await client.call('/auth/introspection', body), { scheme: 'DPoP', dpopAlgs: DEFAULT_DPOP_ALGS })
 */
export function decide(
  response: IntrospectionResponse,
  context: ChallengeOptions & { scheme: 'DPoP' | 'Bearer' },
): AllowDecision | DenyDecision {
  const denial = denyForAction(response, context)
  if (denial) return denial
  // Fail closed on a reply that is not whole or contradicts itself rather than trust the action alone.
  let fault = replyHeaderFault(response, false)
  if (!fault && (typeof response.clientId !== 'number' || !Number.isFinite(response.clientId) || typeof response.expiresAt !== 'number' || !Number.isFinite(response.expiresAt))) {
    fault = invalidReply('Authlete answered OK without a numeric clientId and expiresAt.', response)
  }
  if (!fault && (response.existent === false || response.usable === false || response.sufficient === false)) {
    fault = invalidReply('Authlete answered OK for a token it reports as not existent, usable or sufficient.', response)
  }
  if (fault) return denyServerError(fault, context.scheme, context)
  const headers: Record<string, string> = {}
  const nonce = dpopNonceOf(response)
  if (nonce) headers['DPoP-Nonce'] = nonce
  return { allowed: true, auth: toAccessTokenInfo(response, context.scheme), headers }
}
