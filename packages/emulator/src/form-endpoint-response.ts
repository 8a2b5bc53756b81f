import { oauthErrorBody } from './challenge'
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
