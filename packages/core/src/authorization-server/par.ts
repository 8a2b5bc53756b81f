import { handleFormEndpoint, type EndpointContext, type FormEndpointSpec } from './form-endpoint'
import type { RequestLike } from '../types'
import type { PushedAuthorizationAction, PushedAuthorizationResponse, PushedAuthorizationResult } from './types'

/**
 * Realm of the PAR endpoint's `Basic` challenge when `realm` is not set.
 *
 * @example
 * // UNAUTHORIZED after HTTP Basic -> 401, WWW-Authenticate: Basic realm="par"
 */
export const DEFAULT_PAR_BASIC_REALM = 'par'

const PAR: FormEndpointSpec = {
  path: '/pushed_auth_req',
  operation: 'par',
  // RFC 9126 §2.2-2.3; UNAUTHORIZED follows the token endpoint's RFC 6749 §5.2 rule.
  statuses: { CREATED: 201, BAD_REQUEST: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, PAYLOAD_TOO_LARGE: 413, INTERNAL_SERVER_ERROR: 500 },
  clientAuthFailure: 'UNAUTHORIZED',
  realm: DEFAULT_PAR_BASIC_REALM,
}

/** PAR endpoint: the request and its raw form body -> `/pushed_auth_req` -> the answer. */
export function handlePushedAuthorizationRequest(
  context: EndpointContext,
  request: RequestLike,
  rawFormBody: string | Uint8Array,
): Promise<PushedAuthorizationResult> {
  return handleFormEndpoint<PushedAuthorizationAction, PushedAuthorizationResponse>(context, PAR, request, rawFormBody) as Promise<PushedAuthorizationResult>
}
