import { headerValue } from '../request/headers'
import type { RequestLike } from '../types'

const FORM_MEDIA_TYPE = /^application\/x-www-form-urlencoded[\t ]*(?:;|$)/i

/** Whether the request says it carries a body (RFC 9112 §6.3: Content-Length > 0 or Transfer-Encoding). */
function hasBody(request: RequestLike): boolean {
  const length = headerValue(request.headers, 'content-length')
  if (length !== undefined && length.trim() !== '0') return true
  return headerValue(request.headers, 'transfer-encoding') !== undefined
}

/**
 * Why a request's body is not one the endpoint reads, or `undefined` when it is: the token and PAR
 * endpoints (RFC 6749 §3.2, RFC 9126 §2.1) and a UserInfo POST with a body (OIDC Core §5.3.1) take
 * `application/x-www-form-urlencoded` only. `required`: the endpoint needs a body, so a missing
 * content type is refused too.
 */
export function formBodyFault(request: RequestLike, required: boolean): string | undefined {
  if (!required && !hasBody(request)) return undefined
  const contentType = headerValue(request.headers, 'content-type')?.trim()
  if (contentType !== undefined && FORM_MEDIA_TYPE.test(contentType)) return undefined
  return 'The request body must be application/x-www-form-urlencoded.'
}
