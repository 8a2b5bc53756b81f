import { AuthleteGuardError } from '../errors'

/** One call to Authlete, ready to send: the transport adds nothing and logs nothing. */
export interface AuthleteHttpRequest {
  /** `POST` (the default: every verdict API) or `GET` (`/service/configuration`), which has no body. */
  method?: 'GET' | 'POST' | undefined
  /** Absolute URL: origin and API path. */
  url: string
  /** Authlete's origin, for messages. */
  origin: string
  /** `POST /api/{serviceId}/auth/introspection`: what was tried, for messages (no credential). */
  where: string
  /** Holds the service credential: never log it. */
  headers: Record<string, string>
  /** The JSON body of a POST; absent for a GET. */
  body?: string | undefined
  /** The deadline of the whole exchange, connection to last byte. */
  timeoutMs: number
}

/** The status and the body text of Authlete's answer. */
export interface AuthleteHttpResponse {
  status: number
  text: string
}

/**
 * How the client reaches Authlete. `send` resolves with any HTTP answer and rejects only with an
 * `AuthleteGuardError` (`ERR_AUTHLETE_TIMEOUT`, `ERR_AUTHLETE_UNREACHABLE`,
 * `ERR_AUTHLETE_INVALID_RESPONSE` for an oversized body): the client turns answers into replies.
 */
export interface AuthleteTransport {
  send(request: AuthleteHttpRequest): Promise<AuthleteHttpResponse>
  close(): Promise<void>
}

/** Replies larger than this are refused: no Authlete API answer comes near it. */
export const MAX_RESPONSE_BYTES = 1024 * 1024

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'UND_ERR_CONNECT_TIMEOUT',
])

/** The first `code` on an error or its causes (undici and Node's fetch nest them). */
export function errorCode(error: unknown): string | undefined {
  let e: unknown = error
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/** The coded failure for a call that did not get an answer: timed out, or could not reach Authlete. */
export function transportError(request: AuthleteHttpRequest, error: unknown, timedOut: boolean): AuthleteGuardError {
  const code = errorCode(error)
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new AuthleteGuardError('ERR_AUTHLETE_TIMEOUT', `Authlete at ${request.origin} did not answer ${request.where} within ${request.timeoutMs} ms.`, { cause: error })
  }
  const reason = code && NETWORK_CODES.has(code) ? code : 'network error'
  return new AuthleteGuardError('ERR_AUTHLETE_UNREACHABLE', `Authlete at ${request.origin} could not be reached for ${request.where} (${reason}).`, { cause: error })
}

/** The failure for a reply over `MAX_RESPONSE_BYTES`. */
export function tooLargeError(): AuthleteGuardError {
  return new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', `Authlete's reply exceeded ${MAX_RESPONSE_BYTES} bytes.`)
}
