import type { CredentialsFailure } from '../request/credentials'
import type { AuthleteGuardError } from '../errors'
import type { ReplayLimited } from '../replay/store'
import type { DenyDecision } from '../types'
import { bearerChallenge, challengeFor, dpopChallenge, parseChallengeError, type ChallengeOptions } from './challenge'
import { noStoreHeaders } from './response-headers'

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
