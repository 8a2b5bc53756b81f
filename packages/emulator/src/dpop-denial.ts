import type { DpopFailure, DpopVerifyError, DpopVerifyResult } from './dpop-verify'
import { fillResult, RESULTS, type ResultEntry } from './result-codes'

/**
 * How one Authlete API reports a failed DPoP proof: the failures that have a result code of their
 * own, and the "error processing the DPoP header: {error}" code for all the others.
 */
export interface DpopResultCodes {
  /** The catch-all code; its `{error}` is filled with the failure's description. */
  invalid: ResultEntry
  /** Failures with a code of their own. */
  own: Partial<Record<DpopFailure, ResultEntry>>
  /** The `error` for a proof signed by a key other than the token's. */
  keyMismatchError: 'invalid_token' | 'invalid_dpop_proof'
}

/**
 * `/auth/introspection`: A065309-A065313 from Authlete's catalogue (A065309 observed as
 * `invalid_token`); the nonce and replay codes are the emulator's own.
 */
export const INTROSPECTION_DPOP_CODES: DpopResultCodes = {
  invalid: RESULTS.introspectionDpopInvalid,
  own: {
    'key-mismatch': RESULTS.introspectionDpopKeyMismatch,
    'alg-symmetric': RESULTS.introspectionDpopSymmetricAlg,
    'jwk-missing': RESULTS.introspectionDpopNoJwk,
    'alg-missing': RESULTS.introspectionDpopNoAlg,
    nonce: RESULTS.dpopNonceInvalid,
    replay: RESULTS.dpopReplayed,
  },
  keyMismatchError: 'invalid_token',
}

/**
 * `/auth/userinfo`: A089312 for another key (observed as `invalid_dpop_proof`) and A089313 for
 * the rest (observed for a proof without `ath`).
 */
export const USERINFO_DPOP_CODES: DpopResultCodes = {
  invalid: RESULTS.userInfoDpopInvalid,
  own: { 'key-mismatch': RESULTS.userInfoDpopKeyMismatch, nonce: RESULTS.dpopNonceInvalid, replay: RESULTS.dpopReplayed },
  keyMismatchError: 'invalid_dpop_proof',
}

/** `/auth/token`: A254301 for a problem with the proof, A254303 no JWK, A254307 nonce. */
export const TOKEN_DPOP_CODES: DpopResultCodes = {
  invalid: RESULTS.tokenDpopInvalid,
  own: { 'jwk-missing': RESULTS.tokenDpopNoJwk, nonce: RESULTS.tokenDpopNonceInvalid, replay: RESULTS.dpopReplayed },
  keyMismatchError: 'invalid_dpop_proof',
}

/** `/pushed_auth_req`: the token endpoint's codes, but A350308 for the nonce. */
export const PAR_DPOP_CODES: DpopResultCodes = {
  ...TOKEN_DPOP_CODES,
  own: { ...TOKEN_DPOP_CODES.own, nonce: RESULTS.parDpopNonceInvalid },
}

/** A proof that failed verification. */
export type DpopRejection = Extract<DpopVerifyResult, { ok: false }>

/** The `error` value and result for a failed proof, in one API's codes. */
export function dpopDenial(codes: DpopResultCodes, { error, failure, detail }: DpopRejection): { error: DpopVerifyError; result: ResultEntry } {
  return {
    error: failure === 'key-mismatch' ? codes.keyMismatchError : error,
    result: codes.own[failure] ?? fillResult(codes.invalid, { error: detail }),
  }
}
