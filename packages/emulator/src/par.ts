import { randomBytes } from 'node:crypto'
import { hasDpop } from './access-check'
import { authenticateClient } from './client-auth'
import { DEFAULT_PUSHED_AUTH_REQ_DURATION, MAX_PAR_PARAMETERS_BYTES } from './defaults'
import { PAR_DPOP_CODES } from './dpop-denial'
import { formEndpointResponder, verifyEndpointProof } from './form-endpoint-response'
import { parseForm } from './form'
import { checkResourceParameters } from './resources'
import { RESULTS } from './result-codes'
import type { EmulatorStore } from './store'
import type { ApiCallContext, ApiResponse } from './types'

/**
 * Prefix of the `request_uri` values (RFC 9126 §2.2).
 *
 * @example
 * ```ts
 * response.requestUri.startsWith(REQUEST_URI_PREFIX) // true
 * ```
 */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:'

type ParAction = 'CREATED' | 'BAD_REQUEST' | 'UNAUTHORIZED' | 'PAYLOAD_TOO_LARGE' | 'INTERNAL_SERVER_ERROR'

/**
 * `/pushed_auth_req` (RFC 9126): client authentication, basic authorization request checks (with
 * RFC 8707 `resource` parameters checked as at `/auth/token`: `invalid_target`) and an
 * optional DPoP proof (RFC 9449 §10.1; its key thumbprint is kept as the request's `dpop_jkt`).
 * Answers `CREATED` with a `request_uri`; like Authlete's, the reply names no client (no
 * `clientId`, `clientIdAlias`, `clientIdAliasUsed`). Nonces (and `dpopNonce`) on API V3 only.
 */
export function handlePushedAuthReq(store: EmulatorStore, body: Record<string, unknown>, { version }: ApiCallContext): ApiResponse {
  const { respond, fail, nonceRequired } = formEndpointResponder<ParAction>(store, body, version)

  if (typeof body.parameters !== 'string') return fail('INTERNAL_SERVER_ERROR', 'server_error', RESULTS.parMissingParameters)
  if (Buffer.byteLength(body.parameters) > MAX_PAR_PARAMETERS_BYTES) return fail('PAYLOAD_TOO_LARGE', 'invalid_request', RESULTS.parTooLarge)
  const form = parseForm(body.parameters)

  const auth = authenticateClient(store, body, form, { unknownClient: RESULTS.parUnknownClient, badSecret: RESULTS.parBadClientSecret, clientIdMismatch: RESULTS.parClientIdMismatch })
  if (!auth.ok) return fail('UNAUTHORIZED', 'invalid_client', auth.result)
  const { client } = auth

  let jkt: string | undefined
  if (hasDpop(body.dpop)) {
    const verdict = verifyEndpointProof(store, body, store.settings.pushedAuthReqEndpoint, nonceRequired, PAR_DPOP_CODES)
    if (!verdict.ok) return fail('BAD_REQUEST', verdict.error, verdict.result)
    jkt = verdict.jkt
  }

  if (form.get('request_uri') !== undefined) return fail('BAD_REQUEST', 'invalid_request', RESULTS.parRequestUriNotAllowed)
  if (form.get('response_type') === undefined) return fail('BAD_REQUEST', 'invalid_request', RESULTS.parMissingResponseType)
  const redirectUri = form.get('redirect_uri')
  if (client.redirectUris && client.redirectUris.length > 0 && (redirectUri === undefined || !client.redirectUris.includes(redirectUri))) {
    return fail('BAD_REQUEST', 'invalid_request', RESULTS.parBadRedirectUri)
  }
  // RFC 8707 §2 at the authorization request too: the same invalid_target as /auth/token.
  const target = checkResourceParameters(form.getAll('resource'), client)
  if (!target.ok) return fail('BAD_REQUEST', 'invalid_target', target.result)
  const dpopJktParam = form.get('dpop_jkt')
  if (dpopJktParam !== undefined && jkt !== undefined && dpopJktParam !== jkt) {
    return fail('BAD_REQUEST', 'invalid_dpop_proof', RESULTS.parDpopJktMismatch)
  }

  const requestUri = REQUEST_URI_PREFIX + randomBytes(24).toString('base64url')
  store.pushedRequests.set(requestUri, {
    requestUri,
    clientId: client.clientId,
    parameters: form.entries,
    dpopJkt: dpopJktParam ?? jkt,
    expiresAt: store.now() + DEFAULT_PUSHED_AUTH_REQ_DURATION * 1000,
  })
  return respond('CREATED', RESULTS.parOk, JSON.stringify({ expires_in: DEFAULT_PUSHED_AUTH_REQ_DURATION, request_uri: requestUri }), { requestUri })
}
