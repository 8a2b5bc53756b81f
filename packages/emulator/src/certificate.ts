import { createHash, X509Certificate } from 'node:crypto'
import type { ResultEntry } from './result-codes'

/**
 * The RFC 8705 §3.1 thumbprint `x5t#S256` of a certificate: base64url (unpadded) of the SHA-256
 * of its DER.
 *
 * @example
 * ```ts
 * certificateThumbprint(new X509Certificate(pem)) // 43 base64url characters, e.g. the `certificateThumbprint` of /auth/token/create
 * ```
 */
export const certificateThumbprint = (certificate: X509Certificate): string => createHash('sha256').update(certificate.raw).digest('base64url')

/** True when an API call carries a client certificate (an empty string counts as none, as for `dpop`). */
export const hasCertificate = (value: unknown): boolean => value !== undefined && value !== null && value !== ''

/**
 * What a `clientCertificate` member gives: its `x5t#S256`, or `malformed` when it is not a PEM
 * certificate node:crypto can read (a non-string included). Computing the thumbprint of a parsed
 * certificate cannot fail here (its DER is at hand), so the "thumbprint could not be calculated"
 * outcome Authlete has a code for (A065306, A089309) never happens in the emulator.
 */
export function readClientCertificate(value: unknown): { ok: true; thumbprint: string } | { ok: false; failure: 'malformed' } {
  if (typeof value !== 'string') return { ok: false, failure: 'malformed' }
  try {
    return { ok: true, thumbprint: certificateThumbprint(new X509Certificate(value)) }
  } catch {
    return { ok: false, failure: 'malformed' }
  }
}

/** One API's result codes for the certificate binding check (RFC 8705 §3). */
export interface CertificateResultCodes {
  /** The token is certificate-bound and no certificate was presented. */
  missing: ResultEntry
  /** The certificate does not match the token's thumbprint. */
  mismatch: ResultEntry
  /** The certificate could not be parsed. */
  malformed: ResultEntry
}

/**
 * The certificate binding check of `/auth/introspection` and `/auth/userinfo`: undefined when the
 * request may go on (an unbound token, whatever certificate came, which is then not even parsed;
 * or a bound token with its own certificate), else the result to deny with (`invalid_token`).
 */
export function certificateBindingFailure(boundTo: string | undefined, presented: unknown, codes: CertificateResultCodes): ResultEntry | undefined {
  if (boundTo === undefined) return undefined
  if (!hasCertificate(presented)) return codes.missing
  const read = readClientCertificate(presented)
  if (!read.ok) return codes.malformed
  return read.thumbprint === boundTo ? undefined : codes.mismatch
}
