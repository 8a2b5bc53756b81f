import { AuthleteGuardError } from '../errors'
import type { AllowDecision } from '../types'

/**
 * The allow of a request that presented a client certificate whose thumbprint (`x5t#S256`,
 * RFC 8705 §3.1) is `presented`: `auth.certificateThumbprint` becomes it. For a certificate-bound
 * token Authlete's `certificateThumbprint` is the same value (Authlete checked the binding); if
 * they differ, Authlete allowed a token bound to another certificate, a reply it never gives:
 * throws `ERR_AUTHLETE_INVALID_RESPONSE`, and the guard denies with 500. Without a certificate the
 * decision is returned as it is.
 *
 * @example
 * const allowed = withCertificateThumbprint(decision, 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2')
 * allowed.auth.certificateThumbprint // 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2'
 */
export function withCertificateThumbprint(decision: AllowDecision, presented: string | undefined): AllowDecision {
  if (presented === undefined) return decision
  const bound = decision.auth.certificateThumbprint
  if (bound !== undefined && bound.replace(/=+$/, '') !== presented) {
    throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', "Authlete allowed a token whose certificateThumbprint is not the thumbprint of the client certificate presented.")
  }
  decision.auth.certificateThumbprint = presented
  return decision
}
