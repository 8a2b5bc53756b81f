import type { CredentialsFailure } from '../request/credentials'
import type { AuthleteGuardError } from '../errors'
import type { ReplayLimited } from '../replay/store'
import type { DenyDecision } from '../types'
import { bearerChallenge, challengeFor, dpopChallenge, parseChallengeError, setChallengeParams, type ChallengeOptions, type ChallengeParams } from './challenge'
import { noStoreHeaders } from './response-headers'

/**
 * The parameters a denial's challenges gain when the guard has a `resource` (RFC 9728 §5.1, MCP):
 * `resource_metadata` on every 401 and every 403 `insufficient_scope`, and on the latter `scope`,
 * the route's scopes (replacing any `scope` Authlete wrote). None for other answers.
 *
 * @example
 * resourceParams(403, 'insufficient_scope', { dpopAlgs, scopes: ['read'], resourceMetadataUrl })
 * // [['scope', 'read'], ['resource_metadata', resourceMetadataUrl]]
 */
export function resourceParams(status: number, error: string | undefined, options: ChallengeOptions | undefined): ChallengeParams {
  const url = options?.resourceMetadataUrl
  if (url === undefined) return []
  if (status === 401) return [['resource_metadata', url]]
  if (status !== 403 || error !== 'insufficient_scope') return []
  const scopes = options?.scopes
  return [...(scopes && scopes.length > 0 ? ([['scope', scopes.join(' ')]] as ChallengeParams) : []), ['resource_metadata', url]]
}

/**
 * Build a denial: status, `WWW-Authenticate`, no-store caching, JSON body, optional `DPoP-Nonce`.
 * With `options` (the request's challenge options), the challenge gains `resourceParams`; a
 * challenge that is not a well-formed list is sent as it is (`denyForAction` never passes one that
 * needs them: it sends the guard's own challenge in place of such a `responseContent`).
 */
export function deny(
  status: number,
  challenge: string,
  extra: { dpopNonce?: string | null | undefined; cause?: AuthleteGuardError | undefined; description?: string; options?: ChallengeOptions | undefined } = {},
): DenyDecision {
  const parsed = parseChallengeError(challenge)
  const error = parsed.error
  const errorDescription = parsed.errorDescription ?? extra.description
  const pointers = resourceParams(status, error, extra.options)
  const header = pointers.length > 0 ? (setChallengeParams(challenge, pointers) ?? challenge) : challenge
  const headers = { 'WWW-Authenticate': header, ...noStoreHeaders('application/json', extra.dpopNonce ?? undefined) }
  // Stringify drops undefined members: a challenge without `error` gives a body without one.
  const body = JSON.stringify({ error, error_description: errorDescription })
  const decision: DenyDecision = { allowed: false, status, headers, body, error, errorDescription }
  if (extra.cause) decision.cause = extra.cause
  return decision
}

/**
 * The denial for credentials refused locally (no Authlete call): RFC 6750 §3.1 for a missing
 * token (both schemes offered, no `error`), 400 `invalid_request` for malformed or ambiguous
 * credentials, 401 `invalid_dpop_proof` for a DPoP token without exactly one proof (RFC 9449 §7.1),
 * a proof that failed a local check, or a proof used before.
 */
export function denyCredentials(failure: CredentialsFailure, options: ChallengeOptions): DenyDecision {
  switch (failure.kind) {
    case 'missing': {
      const scope = options.scopes && options.scopes.length > 0 ? options.scopes.join(' ') : undefined
      // Bearer first: clients that read one challenge (the MCP SDK's) read the leading Bearer one.
      const challenge = `${bearerChallenge(options, [['scope', scope]])}, ${dpopChallenge(options, [['scope', scope]])}`
      return deny(401, challenge, { description: failure.description, options })
    }
    case 'invalid_dpop_proof':
      return deny(401, dpopChallenge(options, [['error', 'invalid_dpop_proof'], ['error_description', failure.description]]), { options })
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

/** `error_description` of the 429 for a key with too many proofs inside the replay window. */
export const REPLAY_LIMITED_DESCRIPTION = 'Too many DPoP proofs of this key are inside the replay window; retry later.'

/**
 * The denial for a proof the store would not take (its key holds its share, or the store is full):
 * 429 `too_many_requests` with `Retry-After`, not cacheable; `DPoP-Nonce` when Authlete gave one.
 */
export function denyReplayLimited(limited: ReplayLimited, dpopNonce: string | undefined): DenyDecision {
  const headers = { 'Retry-After': String(limited.retryAfterSeconds), ...noStoreHeaders('application/json', dpopNonce) }
  const body = JSON.stringify({ error: 'too_many_requests', error_description: REPLAY_LIMITED_DESCRIPTION })
  return { allowed: false, status: 429, headers, body, error: 'too_many_requests', errorDescription: REPLAY_LIMITED_DESCRIPTION }
}
