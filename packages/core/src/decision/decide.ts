import { dpopNonceOf, resultCodeOf } from '../authlete/reply'
import { AuthleteGuardError } from '../errors'
import type { AllowDecision, DenyDecision, IntrospectionResponse } from '../types'
import { toAccessTokenInfo } from './access-token-info'
import { challengeFor, parseChallengeError, parseChallenges, renderChallenge, type SchemeChallenge } from './challenge'
import { deny, denyServerError, resourceParams } from './deny'

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

/** Largest `responseContent` the guard sends as `WWW-Authenticate` (Authlete's are far smaller). */
export const MAX_CHALLENGE_LENGTH = 16 * 1024
// An HTTP field value the guard can write anywhere (Node and fetch `Headers` alike): visible ASCII,
// spaces and tabs inside, no CR, LF or NUL.
const FIELD_VALUE = /^[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?$/
// RFC 9449 §8.1: nonce = 1*NQCHAR; NQCHAR = %x21 / %x23-5B / %x5D-7E
const NONCE = /^[\x21\x23-\x5b\x5d-\x7e]+$/

function invalidReply(message: string, response: { resultCode?: unknown }): AuthleteGuardError {
  return new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', message, { resultCode: resultCodeOf(response) })
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

/** An OAuth error code as RFC 6749 §5.2 and RFC 6750 §3.1 spell them (`invalid_token`, `use_dpop_nonce`). */
const ERROR_CODE = /^[a-z][a-z0-9_]{0,63}$/

/**
 * The `WWW-Authenticate` of Authlete's denial with `status` (before step-up) and its final status:
 * `responseContent`, else the guard's challenge with the action's error. With a
 * `resourceMetadataUrl`, a `responseContent` that is not a challenge list (RFC 9110 §11.6.1) cannot
 * carry `resource_metadata`: a 401 or 403 gets the guard's own challenge for the request's scheme
 * instead, with Authlete's `error` (else the one the action implies) and `error_description`, which `deny`
 * then gives the resource parameters.
 */
function actionChallenge(response: IntrospectionResponse, status: number, context: SchemeChallenge): { challenge: string; status: number } {
  const content = typeof response.responseContent === 'string' && response.responseContent.trim() !== '' ? response.responseContent : undefined
  const challenge = content ?? renderChallenge(context.scheme, [['error', DEFAULT_ERROR[status]]])
  const given = parseChallengeError(challenge)
  // RFC 9470 §3: acr / max_age not met is 401 with the challenge; Authlete answers FORBIDDEN.
  const stepUp = status === 403 && given.error === 'insufficient_user_authentication'
  const final = stepUp ? 401 : status
  // Authlete's own error when it names one (`use_dpop_nonce`, `invalid_request`), else the action's.
  const error = stepUp ? 'insufficient_user_authentication' : given.error !== undefined && ERROR_CODE.test(given.error) ? given.error : DEFAULT_ERROR[status]!
  const pointed = context.resourceMetadataUrl !== undefined && resourceParams(final, error, context).length > 0
  if (content === undefined || !pointed || parseChallenges(content) !== undefined) return { challenge, status: final }
  return { challenge: challengeFor(context.scheme, context, [['error', error], ['error_description', given.errorDescription]]), status: final }
}

/**
 * The denial for a non-`OK` action of `/auth/introspection` or `/auth/userinfo` (reference §3),
 * or `undefined` for `OK`. `BAD_REQUEST` 400, `UNAUTHORIZED` 401, `FORBIDDEN` 403 (401 for RFC 9470
 * `insufficient_user_authentication`: step-up is an authentication problem),
 * `INTERNAL_SERVER_ERROR` 500, each with `responseContent` verbatim as `WWW-Authenticate` (with a
 * `resourceMetadataUrl`, a 401 and a 403 `insufficient_scope` re-rendered with `resource_metadata`
 * and `scope`: `resourceParams`; a `responseContent` that is not a challenge list replaced by the
 * guard's own challenge there: `actionChallenge`); an unknown action or a bad header value is a 500.
 */
export function denyForAction(
  response: IntrospectionResponse,
  context: SchemeChallenge,
): DenyDecision | undefined {
  if (response.action === 'OK') return undefined
  // Own keys only: an action named like an Object.prototype member (`toString`) is unknown too.
  const status = typeof response.action === 'string' && Object.hasOwn(DENY_STATUS, response.action) ? DENY_STATUS[response.action] : undefined
  if (status === undefined) {
    const action = typeof response.action === 'string' ? response.action.slice(0, 64) : typeof response.action
    const cause = new AuthleteGuardError('ERR_AUTHLETE_UNKNOWN_ACTION', `Authlete answered with an unknown action: ${action}.`, { resultCode: response.resultCode })
    return denyServerError(cause, context.scheme, context)
  }
  const fault = replyHeaderFault(response, true)
  if (fault) return denyServerError(fault, context.scheme, context)
  const answer = actionChallenge(response, status, context)
  const cause =
    status === 500
      ? new AuthleteGuardError('ERR_AUTHLETE_REPORTED_ERROR', `Authlete reported an internal error (${response.resultCode ?? 'no result code'}).`, { resultCode: response.resultCode })
      : undefined
  return deny(answer.status, answer.challenge, { dpopNonce: dpopNonceOf(response), cause, options: context })
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
  context: SchemeChallenge,
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
