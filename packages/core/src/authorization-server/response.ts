import type { AuthleteGuardError } from '../errors'
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

/** `dpopNonce` when Authlete gave a usable one. */
export function nonceOf(reply: { dpopNonce?: unknown } | undefined): string | undefined {
  const nonce = reply?.dpopNonce
  return typeof nonce === 'string' && nonce !== '' ? nonce : undefined
}

/**
 * The headers every answer of the token, PAR and UserInfo endpoints carries (RFC 6749 §5.1,
 * RFC 9449 §8): the content type, no caching, and `DPoP-Nonce` whenever Authlete gave a nonce,
 * success and failure alike.
 */
export function endpointHeaders(contentType: string, dpopNonce: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
  }
  if (dpopNonce) headers['DPoP-Nonce'] = dpopNonce
  return headers
}

/** A JSON answer with the endpoint headers, plus `WWW-Authenticate` when a challenge is given. */
export function jsonResponse(
  status: number,
  body: string,
  extra: { dpopNonce?: string | undefined; challenge?: string | undefined } = {},
): EndpointResponse {
  const headers = endpointHeaders('application/json', extra.dpopNonce)
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
