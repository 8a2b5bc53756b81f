import { AuthleteGuardError } from '../errors'
import type { AuthleteClient, IntrospectionRequest, IntrospectionResponse } from '../types'
import { dpopNonceOf, resultCodeOf } from './reply'

/**
 * One `/auth/introspection` call. A reply that is not one Authlete gives rejects with
 * `ERR_AUTHLETE_INVALID_RESPONSE`: no `action`, or, for a body with `dpopNonceRequired`, an `OK`
 * without the `dpopNonce` Authlete 3.0 issues for the next proof (reference §9).
 *
 * @example
 * const reply = await callIntrospection(authlete, { token, dpop, htm: 'GET', htu })
 * console.log(reply.action) // 'OK', 'UNAUTHORIZED', ...
 */
export async function callIntrospection(authlete: AuthleteClient, body: IntrospectionRequest): Promise<IntrospectionResponse> {
  const response = await authlete.call<IntrospectionResponse>('/auth/introspection', body)
  const resultCode = resultCodeOf(response)
  if (typeof response.action !== 'string') {
    throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', 'Authlete\'s introspection reply has no action.', { resultCode })
  }
  if (body.dpopNonceRequired === true && response.action === 'OK' && dpopNonceOf(response) === undefined) {
    throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', 'Authlete answered OK without a dpopNonce for a route with dpopNonceRequired.', { resultCode })
  }
  return response
}
