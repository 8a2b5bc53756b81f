import { AuthleteGuardError } from '../errors'
import type { AllowDecision } from '../types'

/**
 * The allow of a request that presented a client certificate whose thumbprint (`x5t#S256`,
 * RFC 8705 §3.1) is `presented` (`undefined`: none). `auth.certificateThumbprint` is the token's
 * binding: Authlete's `certificateThumbprint` (its trailing `=` padding dropped), which for an
 * allowed certificate-bound token is the presented certificate's (Authlete checked the binding).
 * A token that is not bound gets none, whatever certificate came with it. Authlete allowing a
 * token bound to another certificate, or to one when none was presented, is a reply it never
 * gives: throws `ERR_AUTHLETE_INVALID_RESPONSE`, and the guard denies with 500.
 *
 * @example
 * // Authlete answered OK with certificateThumbprint 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2'
 * const allowed = withCertificateThumbprint(decision, 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2')
 * allowed.auth.certificateThumbprint // 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2'
 */
export function withCertificateThumbprint(decision: AllowDecision, presented: string | undefined): AllowDecision {
  const bound: unknown = decision.auth.certificateThumbprint
  if (bound === undefined || bound === '') {
    decision.auth.certificateThumbprint = undefined
    return decision
  }
  const binding = typeof bound === 'string' ? bound.replace(/=+$/, '') : undefined
  if (binding === undefined || binding !== presented) {
    throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', "Authlete allowed a token whose certificateThumbprint is not the thumbprint of the client certificate presented (or none was presented).")
  }
  decision.auth.certificateThumbprint = binding
  return decision
}
