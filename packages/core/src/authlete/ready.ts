import { AuthleteGuardError, isAuthleteGuardError } from '../errors'
import type { AuthleteClient } from '../types'

/** What an HTTP status from Authlete most likely means at start-up. */
function hint(status: number | undefined): string {
  if (status === 401 || status === 403) return 'Authlete refused the service credentials: check the access token (v3) or API key and secret (v2), and the service id.'
  if (status === 404) return 'Authlete has no such API: check baseUrl, apiVersion and the service id.'
  return 'Authlete failed the readiness check.'
}

/**
 * One cheap authenticated call that proves the configuration works: an introspection of a token
 * that cannot exist. A configured service answers it with a verdict (`BAD_REQUEST` or
 * `UNAUTHORIZED`); anything else rejects with the precise cause.
 */
export async function checkReady(authlete: AuthleteClient): Promise<void> {
  let reply: Record<string, unknown>
  try {
    reply = await authlete.call('/auth/introspection', { token: `authlete-guard-readiness-${crypto.randomUUID()}` })
  } catch (error) {
    if (isAuthleteGuardError(error) && error.code === 'ERR_AUTHLETE_HTTP_STATUS') {
      throw new AuthleteGuardError(error.code, `${hint(error.status)} ${error.message}`, { cause: error, status: error.status, resultCode: error.resultCode })
    }
    throw error
  }
  const resultCode = typeof reply.resultCode === 'string' ? reply.resultCode.slice(0, 16) : undefined
  if (reply.action === 'INTERNAL_SERVER_ERROR') {
    throw new AuthleteGuardError('ERR_AUTHLETE_REPORTED_ERROR', `Authlete reported an internal error on the readiness check (${resultCode ?? 'no result code'}).`, { resultCode })
  }
  if (typeof reply.action !== 'string' || reply.action === 'OK') {
    // OK for a token that cannot exist is not a reply a real service gives.
    throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', 'Authlete\'s reply to the readiness check is not an introspection verdict: is baseUrl an Authlete API?', { resultCode })
  }
}
