import { oauthErrorBody } from './challenge'
import { dpopDenial, type DpopResultCodes } from './dpop-denial'
import { verifyDpopProof, type DpopVerifyError } from './dpop-verify'
import { formatResultMessage, type ResultEntry } from './result-codes'
import type { EmulatorStore } from './store'
import type { ApiResponse, ApiVersion } from './types'

/**
 * Response builders shared by the endpoints whose `responseContent` is the client's JSON body
 * (`/auth/token`, `/pushed_auth_req`): Authlete's envelope (`resultCode`, `resultMessage`,
 * `action`) plus the current `dpopNonce` on every outcome when a nonce is required (API V3 only:
 * service setting or the request's `dpopNonceRequired`).
 */
export function formEndpointResponder<Action extends string>(store: EmulatorStore, body: Record<string, unknown>, version: ApiVersion) {
  const nonceRequired = store.nonceRequired(body.dpopNonceRequired, version)
  const dpopNonce = nonceRequired ? store.currentNonce() : undefined
  const respond = (action: Action, result: ResultEntry, responseContent: string, extra: ApiResponse = {}): ApiResponse => ({
    resultCode: result.code,
    resultMessage: formatResultMessage(result),
    action,
    responseContent,
    ...extra,
    ...(dpopNonce !== undefined ? { dpopNonce } : {}),
  })
  const fail = (action: Action, error: string, result: ResultEntry) => respond(action, result, oauthErrorBody(error, result))
  return { respond, fail, dpopNonce, nonceRequired }
}

/**
 * The DPoP proof at an authorization-server endpoint (RFC 9449 §5, §10.1): checked against the
 * request's `htm` (default POST) and `htu` (default: the service's endpoint URL), with the nonce
 * and jti rules. No `ath`: no access token is presented. A proof that fails gives the endpoint's
 * `BAD_REQUEST` with `invalid_dpop_proof` or `use_dpop_nonce`, in the endpoint's result codes.
 */
export function verifyEndpointProof(
  store: EmulatorStore,
  body: Record<string, unknown>,
  defaultHtu: string | undefined,
  nonceRequired: boolean,
  codes: DpopResultCodes,
): { ok: true; jkt: string } | { ok: false; error: DpopVerifyError; result: ResultEntry } {
  const verdict = verifyDpopProof({
    proof: body.dpop as string,
    htm: (body.htm as string | undefined) ?? 'POST',
    htu: (body.htu as string | undefined) ?? defaultHtu,
    nonceRequired,
    ...store.proofContext(),
  })
  return verdict.ok ? { ok: true, jkt: verdict.jkt } : { ok: false, ...dpopDenial(codes, verdict) }
}
