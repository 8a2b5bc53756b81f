import { fillResult, RESULTS, type ResultEntry } from './result-codes'
import type { EmulatorClient } from './types'

/**
 * Whether a value may be an RFC 8707 resource indicator: an absolute URI (a scheme, then anything
 * `URL` accepts; no white space or control character) without a fragment (RFC 8707 §2).
 *
 * @example
 * ```ts
 * isResourceIndicator('https://api.example.com/mcp') // true
 * isResourceIndicator('/mcp')                          // false: relative
 * isResourceIndicator('https://api.example.com/#a')    // false: fragment
 * ```
 */
export function isResourceIndicator(value: string): boolean {
  if (value.includes('#') || /[\s\x00-\x1f\x7f]/.test(value) || !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value)) return false
  try {
    new URL(value)
    return true
  } catch {
    return false
  }
}

/** The checked `resource` parameters of a token request, or the `invalid_target` result. */
export type ResourceCheck = { ok: true; resources: string[] } | { ok: false; result: ResultEntry }

/**
 * RFC 8707 §2 at the token endpoint: every `resource` parameter is an absolute URI without a
 * fragment, and one the client may request (`requestableResources`; a client without that list
 * may ask for any). Duplicates count once. Fails with the result for `invalid_target`.
 *
 * @example
 * ```ts
 * checkResourceParameters(form.getAll('resource'), client) // { ok: true, resources: ['https://api.example.com/mcp'] }
 * ```
 */
export function checkResourceParameters(values: readonly string[], client: EmulatorClient): ResourceCheck {
  const resources = [...new Set(values)]
  if (!resources.every(isResourceIndicator)) return { ok: false, result: RESULTS.tokenInvalidResource }
  const allowed = client.requestableResources
  const refused = allowed === undefined ? undefined : resources.find((resource) => !allowed.includes(resource))
  if (refused !== undefined) return { ok: false, result: fillResult(RESULTS.tokenResourceNotAllowed, { resource: refused }) }
  return { ok: true, resources }
}

/**
 * The resources of a token issued from an earlier grant (authorization code, refresh token):
 * the requested ones narrow the grant's (RFC 8707 §2.2: each must be one of them); none requested
 * keeps the grant's. A grant without resources takes what is requested.
 *
 * @example
 * ```ts
 * narrowResources(['https://a.example'], ['https://a.example', 'https://b.example']) // { ok: true, resources: ['https://a.example'] }
 * ```
 */
export function narrowResources(requested: readonly string[], granted: readonly string[] | undefined): ResourceCheck {
  if (requested.length === 0) return { ok: true, resources: granted ? [...granted] : [] }
  const outside = granted && granted.length > 0 ? requested.find((resource) => !granted.includes(resource)) : undefined
  if (outside !== undefined) return { ok: false, result: fillResult(RESULTS.tokenResourceNotGranted, { resource: outside }) }
  return { ok: true, resources: [...requested] }
}
