import { DPOP_ALGORITHMS } from './jws'
import type { ResultEntry } from './result-codes'

/**
 * The `algs` value Authlete puts in every `DPoP` challenge.
 *
 * @example
 * ```ts
 * `DPoP algs="${DPOP_ALGS_VALUE}"`
 * ```
 */
export const DPOP_ALGS_VALUE = DPOP_ALGORITHMS.join(' ')

/**
 * Base of the `error_uri` values: Authlete links its result codes to its documentation. The
 * emulator adds an `error_uri` only for codes that are Authlete's own (`fromAuthlete`), never for
 * the codes it invented.
 *
 * @example
 * `${ERROR_URI_BASE}A065308` // the error_uri of a challenge with Authlete's A065308
 */
export const ERROR_URI_BASE = 'https://docs.authlete.com/#'

/** Parts of a `WWW-Authenticate` challenge as Authlete writes it in `responseContent`. */
export interface ChallengeParts {
  scheme: 'Bearer' | 'DPoP'
  /** RFC 6750 / RFC 9449 error code, e.g. `invalid_token`; omitted on success. */
  error?: string
  result?: ResultEntry
  /** Scopes for `insufficient_scope`. */
  scope?: readonly string[]
  /** Further auth-params (e.g. RFC 9470 `acr_values`, `max_age`). */
  params?: Readonly<Record<string, string>>
}

const quote = (value: string) => `"${value.replace(/["\\]/g, "'")}"`

/** The `error_uri` of a result: only Authlete's own codes have a documentation page. */
export const errorUri = (result: ResultEntry): string | undefined => (result.fromAuthlete ? ERROR_URI_BASE + result.code : undefined)

/**
 * Build a challenge in Authlete's exact `responseContent` format: comma-separated, no spaces,
 * `error`, `error_description="[Axxxxxx] ..."`, `error_uri` (Authlete's own codes only), optional
 * `scope`, and `algs` last for the `DPoP` scheme.
 *
 * @example
 * ```ts
 * buildChallenge({ scheme: 'DPoP', error: 'invalid_token', result: RESULTS.introspectionDpopMissing })
 * // 'DPoP error="invalid_token",error_description="[A065308] Expected a DPoP header but none was provided.",error_uri="https://docs.authlete.com/#A065308",algs="RS256 ... EdDSA"'
 * ```
 */
export function buildChallenge(parts: ChallengeParts): string {
  const params: string[] = []
  if (parts.error) params.push(`error=${quote(parts.error)}`)
  if (parts.result) {
    params.push(`error_description=${quote(`[${parts.result.code}] ${parts.result.message}`)}`)
    const uri = errorUri(parts.result)
    if (uri) params.push(`error_uri=${quote(uri)}`)
  }
  if (parts.scope && parts.scope.length > 0) params.push(`scope=${quote(parts.scope.join(' '))}`)
  for (const [name, value] of Object.entries(parts.params ?? {})) params.push(`${name}=${quote(value)}`)
  if (parts.scheme === 'DPoP') params.push(`algs=${quote(DPOP_ALGS_VALUE)}`)
  return params.length > 0 ? `${parts.scheme} ${params.join(',')}` : parts.scheme
}

/**
 * The JSON body of an OAuth error response (token, PAR, revocation endpoints), as a string,
 * in Authlete's format; `error_uri` only for Authlete's own codes.
 *
 * @example
 * ```ts
 * oauthErrorBody('use_dpop_nonce', RESULTS.tokenDpopNonceInvalid)
 * // '{"error":"use_dpop_nonce","error_description":"[A254307] ...","error_uri":"https://docs.authlete.com/#A254307"}'
 * oauthErrorBody('invalid_client', RESULTS.tokenUnknownClient) // an emulator code: no error_uri
 * // '{"error":"invalid_client","error_description":"[A050303] ..."}'
 * ```
 */
export function oauthErrorBody(error: string, result: ResultEntry): string {
  return JSON.stringify({ error, error_description: `[${result.code}] ${result.message}`, error_uri: errorUri(result) })
}
