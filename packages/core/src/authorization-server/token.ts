import { handleFormEndpoint, type EndpointContext, type FormEndpointSpec } from './form-endpoint'
import type { RequestLike } from '../types'
import type { TokenAppAction, TokenResponse, TokenResponseAction, TokenResult } from './types'

/**
 * Realm of the token endpoint's `Basic` challenge when `realm` is not set.
 *
 * @example
 * // INVALID_CLIENT after HTTP Basic -> WWW-Authenticate: Basic realm="token"
 * createAuthorizationServer({ authlete, realm: 'example' }) // -> Basic realm="example"
 */
export const DEFAULT_BASIC_REALM = 'token'

/**
 * The `/auth/token` actions the application must finish itself (see `TokenAppAction`).
 *
 * @example
 * const result = await as.token(request, body)
 * if (!result.done && TOKEN_APP_ACTIONS.includes(result.action)) await finishGrant(result)
 */
export const TOKEN_APP_ACTIONS: readonly TokenAppAction[] = Object.freeze([
  'PASSWORD', 'TOKEN_EXCHANGE', 'JWT_BEARER', 'NATIVE_SSO', 'ID_TOKEN_REISSUABLE',
])

const TOKEN: FormEndpointSpec = {
  path: '/auth/token',
  operation: 'token',
  // Reference §4; INVALID_CLIENT becomes 400 when the client did not use HTTP Basic.
  statuses: { OK: 200, BAD_REQUEST: 400, INVALID_CLIENT: 401, INTERNAL_SERVER_ERROR: 500 },
  clientAuthFailure: 'INVALID_CLIENT',
  realm: DEFAULT_BASIC_REALM,
  appActions: TOKEN_APP_ACTIONS,
}

/** Token endpoint: the request and its raw form body -> `/auth/token` -> the answer or the application's work. */
export function handleToken(context: EndpointContext, request: RequestLike, rawFormBody: string | Uint8Array): Promise<TokenResult> {
  return handleFormEndpoint<TokenResponseAction | TokenAppAction, TokenResponse>(context, TOKEN, request, rawFormBody) as Promise<TokenResult>
}
