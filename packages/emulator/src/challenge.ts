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
 * Base of the `error_uri` values: Authlete links every result code to its documentation.
 *
 * @example
 * `${ERROR_URI_BASE}A065308` // the error_uri of the emulator's challenges
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

/**
 * Build a challenge in Authlete's exact `responseContent` format: comma-separated, no spaces,
 * `error`, `error_description="[Axxxxxx] ..."`, `error_uri`, optional `scope`, and `algs` last
 * for the `DPoP` scheme.
 *
 * @example
 * ```ts
 * buildChallenge({ scheme: 'DPoP', error: 'invalid_token', result: RESULTS.dpopMissing })
 * // 'DPoP error="invalid_token",error_description="[A065308] Expected a DPoP header but none was provided.",error_uri="https://docs.authlete.com/#A065308",algs="RS256 ... EdDSA"'
 * ```
 */
export function buildChallenge(parts: ChallengeParts): string {
  const params: string[] = []
  if (parts.error) params.push(`error=${quote(parts.error)}`)
  if (parts.result) {
    params.push(`error_description=${quote(`[${parts.result.code}] ${parts.result.message}`)}`)
    params.push(`error_uri=${quote(ERROR_URI_BASE + parts.result.code)}`)
  }
  if (parts.scope && parts.scope.length > 0) params.push(`scope=${quote(parts.scope.join(' '))}`)
  for (const [name, value] of Object.entries(parts.params ?? {})) params.push(`${name}=${quote(value)}`)
  if (parts.scheme === 'DPoP') params.push(`algs=${quote(DPOP_ALGS_VALUE)}`)
  return params.length > 0 ? `${parts.scheme} ${params.join(',')}` : parts.scheme
}

/**
 * The JSON body of an OAuth error response (token, PAR, revocation endpoints), as a string,
 * in Authlete's format.
 *
 * @example
 * ```ts
 * oauthErrorBody('invalid_client', RESULTS.tokenUnknownClient)
 * // '{"error":"invalid_client","error_description":"[A050303] ...","error_uri":"https://docs.authlete.com/#A050303"}'
 * ```
 */
export function oauthErrorBody(error: string, result: ResultEntry): string {
  return JSON.stringify({
    error,
    error_description: `[${result.code}] ${result.message}`,
    error_uri: ERROR_URI_BASE + result.code,
  })
}
