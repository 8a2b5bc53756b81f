import { headerValues } from './headers'
import type { RequestLike } from '../types'

/** The access token and proof a request presents. */
export interface PresentedCredentials {
  ok: true
  /** `'DPoP'` or `'Bearer'`, normalised from the case-insensitive scheme. */
  scheme: 'DPoP' | 'Bearer'
  /** The token, scheme stripped. */
  token: string
  /** The single `DPoP` header (only with the DPoP scheme). */
  dpop?: string
}

/** Why a request's credentials were refused before any call to Authlete. */
export interface CredentialsFailure {
  ok: false
  /**
   * `missing`: no access token at all (RFC 6750 §3.1: 401, challenge without `error`);
   * `invalid_request`: malformed or ambiguous credentials (400);
   * `invalid_dpop_proof`: DPoP scheme without exactly one proof (RFC 9449 §7.1: 401).
   */
  kind: 'missing' | 'invalid_request' | 'invalid_dpop_proof'
  description: string
  /** The scheme the request used, when it could be read. */
  scheme?: 'DPoP' | 'Bearer'
}

export type CredentialsResult = PresentedCredentials | CredentialsFailure

// RFC 7235 §2.1 credentials = auth-scheme [ 1*SP ( token68 / ... ) ]
const CREDENTIALS = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:[ ]+(.*))?$/
// RFC 7235 §2.1 token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/
// A compact JWS: three base64url segments.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/

/**
 * Largest access token and largest DPoP proof the guard reads (8 KiB each). Real ones are a few
 * hundred bytes to a few KiB; anything longer is refused locally, before any work or Authlete call.
 */
export const MAX_TOKEN_LENGTH = 8192
export const MAX_PROOF_LENGTH = 8192

function fail(kind: CredentialsFailure['kind'], description: string, scheme?: 'DPoP' | 'Bearer'): CredentialsFailure {
  return scheme === undefined ? { ok: false, kind, description } : { ok: false, kind, description, scheme }
}

function queryHasAccessToken(url: string): boolean {
  const q = url.indexOf('?')
  if (q === -1) return false
  return /(?:^|&)access_token=/.test(url.slice(q + 1).split('#')[0]!)
}

/**
 * Read the access token (`Authorization: DPoP <t>` or `Bearer <t>`, scheme case-insensitive,
 * token68 checked) and, for DPoP, the single `DPoP` proof header, applying the rules of
 * RFC 6750 §2.1/§3.1 and RFC 9449 §7.1-7.2 that need no call to Authlete.
 *
 * @example
 * extractCredentials({ method: 'GET', url: '/', headers: { authorization: 'Bearer abc' } })
 * // { ok: true, scheme: 'Bearer', token: 'abc' }
 */
export function extractCredentials(request: RequestLike): CredentialsResult {
  const authorizations = headerValues(request.headers, 'authorization')
  const proofs = headerValues(request.headers, 'dpop')

  if (authorizations.length === 0) {
    return fail('missing', 'The request has no access token.')
  }
  // A fetch `Headers` joins repeated headers with ", "; a token68 never holds a comma, so a
  // comma means two credentials as surely as two header lines do.
  if (authorizations.length > 1 || authorizations[0]!.includes(',')) {
    return fail('invalid_request', 'The request has more than one Authorization header.')
  }
  if (authorizations[0]!.length > MAX_TOKEN_LENGTH + 16) {
    return fail('invalid_request', `The access token is longer than ${MAX_TOKEN_LENGTH} bytes.`)
  }
  const match = CREDENTIALS.exec(authorizations[0]!.trim())
  if (!match) return fail('invalid_request', 'The Authorization header is malformed.')
  const rawScheme = match[1]!.toLowerCase()
  const scheme = rawScheme === 'dpop' ? 'DPoP' : rawScheme === 'bearer' ? 'Bearer' : undefined
  // Another scheme (Basic, ...) carries no access token: RFC 6750 §3.1 treats it as none.
  if (scheme === undefined) return fail('missing', 'The request has no access token.')
  const token = match[2]?.trim() ?? ''
  if (token.length > MAX_TOKEN_LENGTH) return fail('invalid_request', `The access token is longer than ${MAX_TOKEN_LENGTH} bytes.`, scheme)
  if (token === '' || !TOKEN68.test(token)) {
    return fail('invalid_request', `The ${scheme} access token is malformed.`, scheme)
  }
  if (queryHasAccessToken(request.url)) {
    return fail('invalid_request', 'The access token was sent in more than one way.', scheme)
  }

  if (scheme === 'Bearer') {
    // RFC 9449 §7.2: a proof beside a Bearer token is an ambiguous (downgrade) request.
    if (proofs.length > 0) {
      return fail('invalid_request', 'A DPoP proof was sent with a Bearer token; use the DPoP scheme.', scheme)
    }
    return { ok: true, scheme, token }
  }

  const proof = extractDpopProof(request)
  if (!proof.ok) return fail('invalid_dpop_proof', proof.description, scheme)
  if (proof.dpop === undefined) return fail('invalid_dpop_proof', 'The DPoP header is missing.', scheme)
  return { ok: true, scheme, token, dpop: proof.dpop }
}

/** The request's DPoP proof: none, exactly one JWT, or a reason to refuse it. */
export type DpopProofResult = { ok: true; dpop: string | undefined } | { ok: false; description: string }

/**
 * Read the `DPoP` header alone (RFC 9449 §4.3 check 1): absent, or exactly one compact JWT. Two
 * headers, or two values joined with a comma, are refused. The resource side (inside
 * `extractCredentials`) and the authorization-server endpoints (token, PAR) share this rule.
 *
 * @example
 * extractDpopProof({ method: 'POST', url: '/token', headers: { dpop: [a, b] } })
 * // { ok: false, description: 'The request has more than one DPoP header.' }
 */
export function extractDpopProof(request: RequestLike): DpopProofResult {
  const proofs = headerValues(request.headers, 'dpop')
  if (proofs.length === 0) return { ok: true, dpop: undefined }
  const proof = proofs[0]!.trim()
  if (proofs.length > 1 || proof.includes(',')) return { ok: false, description: 'The request has more than one DPoP header.' }
  if (proof.length > MAX_PROOF_LENGTH) return { ok: false, description: `The DPoP proof is longer than ${MAX_PROOF_LENGTH} bytes.` }
  if (!COMPACT_JWS.test(proof)) return { ok: false, description: 'The DPoP header is not a JWT.' }
  return { ok: true, dpop: proof }
}
