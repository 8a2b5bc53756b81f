import { authorizationEndpointOf, tokenEndpointOf } from './endpoints'
import { DPOP_ALGORITHMS } from './jws'
import { formatResultMessage, RESULTS } from './result-codes'
import type { EmulatorStore } from './store'
import { SUPPORTED_GRANT_TYPES } from './token'
import type { EmulatorSettings } from './types'

/** How the emulator's token endpoint authenticates clients (`client-auth.ts`): HTTP Basic, form, or a public client's id alone. */
const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const

/**
 * The discovery document (RFC 8414 §2; OpenID Connect Discovery §3 member names) of the emulated
 * service, as Authlete's `/service/configuration` builds it from the service settings. It says
 * only what the emulator does: the grants `/auth/token` handles, its client authentication
 * methods, the DPoP algorithms it verifies, PKCE (`plain`, `S256`), and certificate-bound access
 * tokens (`tls_client_certificate_bound_access_tokens: true`, RFC 8705 §3.3: the emulator acts as a
 * service whose setting `tlsClientCertificateBoundAccessTokens` is on, so it binds tokens for every
 * client registered with that setting and at `/auth/token/create`). `issuer`,
 * `authorization_endpoint` and `token_endpoint` are always there (the endpoints default under the
 * issuer); the PAR, UserInfo, introspection and revocation endpoints only when their setting is.
 *
 * @example
 * ```ts
 * serviceConfiguration(emu.settings).token_endpoint // 'http://127.0.0.1:4010/token'
 * ```
 */
export function serviceConfiguration(settings: EmulatorSettings): Record<string, unknown> {
  return {
    issuer: settings.issuer,
    authorization_endpoint: authorizationEndpointOf(settings),
    token_endpoint: tokenEndpointOf(settings),
    pushed_authorization_request_endpoint: settings.pushedAuthReqEndpoint,
    userinfo_endpoint: settings.userInfoEndpoint,
    introspection_endpoint: settings.introspectionEndpoint,
    revocation_endpoint: settings.revocationEndpoint,
    response_types_supported: ['code'],
    grant_types_supported: [...SUPPORTED_GRANT_TYPES],
    token_endpoint_auth_methods_supported: [...TOKEN_ENDPOINT_AUTH_METHODS],
    code_challenge_methods_supported: ['plain', 'S256'],
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    tls_client_certificate_bound_access_tokens: true,
  }
}

/** What a GET API answers: an HTTP status and a JSON value (or its text, e.g. pretty-printed). */
export interface GetReply {
  status: number
  body: unknown
}

/**
 * `GET /service/configuration` (Authlete's `service_configuration_api`): the discovery document,
 * pretty-printed with `pretty=true`. Members without a value are left out. Authlete's `patch`
 * (an RFC 6902 JSON Patch applied to the document) is not emulated: a request with one is refused
 * (HTTP 400, A001295) rather than answered with an unpatched document.
 */
export function handleServiceConfiguration(store: EmulatorStore, query: URLSearchParams): GetReply {
  if (query.has('patch')) {
    const result = RESULTS.serviceConfigurationPatchUnsupported
    return { status: 400, body: { resultCode: result.code, resultMessage: formatResultMessage(result) } }
  }
  const document = serviceConfiguration(store.settings)
  return { status: 200, body: query.get('pretty') === 'true' ? JSON.stringify(document, null, 2) : document }
}
