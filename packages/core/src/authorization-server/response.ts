import type { AuthleteGuardError } from '../errors'
import { noStoreHeaders } from '../decision/response-headers'
import type { EndpointResponse } from './types'

/**
 * The body of every 500 the endpoints write themselves: nothing about the cause leaks.
 *
 * @example
 * if (result.done && result.body === SERVER_ERROR_BODY) log.error(result.cause?.code)
 */
export const SERVER_ERROR_BODY = JSON.stringify({
  error: 'server_error',
  error_description: 'The request could not be processed. Try again later.',
})

/** A JSON answer with the endpoint headers, plus `WWW-Authenticate` when a challenge is given. */
export function jsonResponse(
  status: number,
  body: string,
  extra: { dpopNonce?: string | undefined; challenge?: string | undefined } = {},
): EndpointResponse {
  const headers = noStoreHeaders('application/json', extra.dpopNonce)
  if (extra.challenge) headers['WWW-Authenticate'] = extra.challenge
  return { status, headers, body }
}

/** A JSON OAuth error body (RFC 6749 §5.2) for refusals decided without Authlete. */
export function oauthError(error: string, description: string): string {
  return JSON.stringify({ error, error_description: description })
}

/** The fail-closed 500: generic body, the cause kept for logs only. */
export function serverError(cause: AuthleteGuardError): EndpointResponse & { cause: AuthleteGuardError } {
  return { ...jsonResponse(500, SERVER_ERROR_BODY), cause }
}
