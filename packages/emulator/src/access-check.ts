import { certificateBindingFailure, type CertificateResultCodes } from './certificate'
import { buildChallenge } from './challenge'
import { dpopDenial, type DpopResultCodes } from './dpop-denial'
import { verifyDpopProof } from './dpop-verify'
import type { ResultEntry } from './result-codes'
import type { EmulatorStore } from './store'
import type { ApiVersion, TokenRecord } from './types'

/** Per-API result codes for the token checks shared by introspection and UserInfo. */
export interface AccessCheckCodes {
  missingToken: ResultEntry
  notFound: ResultEntry
  /** The codes for an expired token, by the state of its refresh token. */
  expired: ExpiryResults
  /** The RFC 8705 certificate binding check. */
  certificate: CertificateResultCodes
  /** A DPoP-bound token presented without a proof. */
  dpopMissing: ResultEntry
  dpop: DpopResultCodes
  /** Forget an expired token after reporting it (Authlete's introspection does). */
  forgetExpired?: boolean
}

/** The request fields the shared check reads. */
export interface AccessCheckRequest {
  token?: unknown
  dpop?: unknown
  htm?: unknown
  htu?: unknown
  dpopNonceRequired?: unknown
  clientCertificate?: unknown
}

/** Outcome of {@link checkAccess}; on failure the action and challenge are ready to answer. */
export type AccessCheck =
  | { ok: true; record: TokenRecord; scheme: 'Bearer' | 'DPoP'; dpopNonce?: string }
  | {
      ok: false
      action: 'BAD_REQUEST' | 'UNAUTHORIZED'
      result: ResultEntry
      responseContent: string
      scheme: 'Bearer' | 'DPoP'
      record?: TokenRecord
      dpopNonce?: string
    }

/** One API's codes for an expired access token, by the state of its refresh token. */
export interface ExpiryResults {
  /** The refresh token is still valid. */
  refreshable: ResultEntry
  /** The refresh token has expired too. */
  refreshExpired: ResultEntry
  /** No refresh token was issued. */
  expired: ResultEntry
}

/** The result for an expired access token: Authlete's three codes, by its refresh token. */
function expiryResult(store: EmulatorStore, record: TokenRecord, results: ExpiryResults): ResultEntry {
  if (store.isRefreshable(record)) return results.refreshable
  return record.refreshToken ? results.refreshExpired : results.expired
}

/** True when the API call carries a DPoP proof (an empty string counts as none). */
export const hasDpop = (dpop: unknown): boolean => dpop !== undefined && dpop !== null && dpop !== ''

/**
 * Token existence, expiry, certificate binding and DPoP checks common to `/auth/introspection` and
 * `/auth/userinfo`. A certificate-bound token (RFC 8705) needs `clientCertificate` with its
 * `x5t#S256` (checked before DPoP, the order of Authlete's result codes); an unbound one ignores
 * any certificate. A DPoP-bound token needs a valid proof signed by its key; an unbound token is
 * accepted with or without a proof, but a proof that is present must be valid. The `DPoP` scheme
 * is used in the challenge when the token is DPoP-bound or a proof was sent (a certificate-bound
 * token alone is `Bearer`). Nonces apply on API V3 only (`store.nonceRequired`): a V2 reply never
 * carries `dpopNonce`.
 */
export function checkAccess(store: EmulatorStore, request: AccessCheckRequest, codes: AccessCheckCodes, version: ApiVersion): AccessCheck {
  const dpopGiven = hasDpop(request.dpop)
  const nonceRequired = store.nonceRequired(request.dpopNonceRequired, version)
  const token = request.token
  const record = typeof token === 'string' && token !== '' ? store.byAccessToken.get(token) : undefined
  const scheme: 'Bearer' | 'DPoP' = dpopGiven || record?.jkt !== undefined ? 'DPoP' : 'Bearer'
  const dpopNonce = nonceRequired && scheme === 'DPoP' ? store.currentNonce() : undefined

  const deny = (action: 'BAD_REQUEST' | 'UNAUTHORIZED', error: string, result: ResultEntry): AccessCheck => ({
    ok: false,
    action,
    result,
    responseContent: buildChallenge({ scheme, error, result }),
    scheme,
    record,
    dpopNonce,
  })

  if (typeof token !== 'string' || token === '') return deny('BAD_REQUEST', 'invalid_request', codes.missingToken)
  if (!record) return deny('UNAUTHORIZED', 'invalid_token', codes.notFound)
  if (store.now() >= record.expiresAt) {
    const denial = deny('UNAUTHORIZED', 'invalid_token', expiryResult(store, record, codes.expired))
    if (codes.forgetExpired) store.forgetExpiredAccessToken(record)
    return denial
  }

  const certificateFailure = certificateBindingFailure(record.certificateThumbprint, request.clientCertificate, codes.certificate)
  if (certificateFailure) return deny('UNAUTHORIZED', 'invalid_token', certificateFailure)
  if (record.jkt !== undefined && !dpopGiven) return deny('UNAUTHORIZED', 'invalid_token', codes.dpopMissing)
  if (dpopGiven) {
    const verdict = verifyDpopProof({
      proof: request.dpop,
      htm: request.htm,
      htu: request.htu,
      accessToken: token,
      expectedJkt: record.jkt,
      nonceRequired,
      ...store.proofContext(),
    })
    if (!verdict.ok) {
      const { error, result } = dpopDenial(codes.dpop, verdict)
      return deny('UNAUTHORIZED', error, result)
    }
  }
  return { ok: true, record, scheme, dpopNonce }
}
