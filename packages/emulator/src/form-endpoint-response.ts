import { JTI_TTL_MS } from './access-check'
import { oauthErrorBody } from './challenge'
import { verifyDpopProof } from './dpop-verify'
import { formatResultMessage, type ResultEntry } from './result-codes'
import type { EmulatorStore } from './store'
import type { ApiResponse } from './types'

/**
 * Response builders shared by the endpoints whose `responseContent` is the client's JSON body
 * (`/auth/token`, `/pushed_auth_req`): Authlete's envelope (`type`, `resultCode`,
 * `resultMessage`, `action`) plus the current `dpopNonce` on every outcome when a nonce is
 * required (service setting or the request's `dpopNonceRequired`).
 */
export function formEndpointResponder<Action extends string>(type: string, store: EmulatorStore, body: Record<string, unknown>) {
  const nonceRequired = store.settings.dpopNonceRequired || body.dpopNonceRequired === true
  const dpopNonce = nonceRequired ? store.currentNonce() : undefined
  const respond = (action: Action, result: ResultEntry, responseContent: string, extra: ApiResponse = {}): ApiResponse => ({
    type,
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
 * `BAD_REQUEST` with `invalid_dpop_proof` or `use_dpop_nonce`.
 */
export function verifyEndpointProof(
  store: EmulatorStore,
  body: Record<string, unknown>,
  defaultHtu: string | undefined,
  nonceRequired: boolean,
): { ok: true; jkt: string } | { ok: false; error: 'use_dpop_nonce' | 'invalid_dpop_proof'; result: ResultEntry } {
  const verdict = verifyDpopProof({
    proof: body.dpop as string,
    htm: (body.htm as string | undefined) ?? 'POST',
    htu: (body.htu as string | undefined) ?? defaultHtu,
    now: store.now(),
    nonceRequired,
    isNonceValid: (nonce) => store.isNonceValid(nonce),
    rememberJti: (htu, jti) => store.jtis.remember(htu, jti, store.now(), JTI_TTL_MS),
  })
  if (!verdict.ok) return { ok: false, error: verdict.error === 'use_dpop_nonce' ? 'use_dpop_nonce' : 'invalid_dpop_proof', result: verdict.result }
  return { ok: true, jkt: verdict.jkt }
}
