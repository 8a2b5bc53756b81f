import type { AccessTokenInfo, Decision, DenyDecision, IntrospectionResponse, RouteOptions } from '../types'
import { stringArray, toAccessTokenInfo } from './access-token-info'
import { challengeFor, type SchemeChallenge } from './challenge'
import { deny } from './deny'

/**
 * A route's requirements judged against token facts Authlete already returned, with Authlete's
 * outcome for each (reference §7): scopes 403 `insufficient_scope` with `scope`; subject 403
 * `invalid_request`; resources 403 `insufficient_scope`; acr and max_age 401
 * `insufficient_user_authentication` (RFC 9470) with `acr_values` / `max_age`. `undefined`: allowed.
 * An allow cached for `read` is never an allow for `admin`: every hit comes through here.
 */
export function unmetRequirement(
  facts: IntrospectionResponse,
  route: RouteOptions,
  context: SchemeChallenge,
  now: number,
): DenyDecision | undefined {
  const challenge = (error: string, description: string, params: Array<[string, string]> = []) =>
    challengeFor(context.scheme, context, [['error', error], ['error_description', description], ...params])
  const scopes = stringArray(facts.scopes) ?? []
  const required = route.scopes ?? []
  const missing = required.find((scope) => !scopes.includes(scope))
  if (missing !== undefined) {
    return deny(403, challenge('insufficient_scope', `The access token does not cover the required scope '${missing}'.`, [['scope', required.join(' ')]]))
  }
  if (route.subject !== undefined && route.subject !== facts.subject) {
    return deny(403, challenge('invalid_request', 'The subject of the access token is not the required one.'))
  }
  const audience = stringArray(facts.accessTokenResources ?? facts.resources) ?? []
  if ((route.resources ?? []).length > 0 && audience.length > 0 && route.resources!.some((r) => !audience.includes(r))) {
    return deny(403, challenge('insufficient_scope', 'The access token does not cover the required resources.'))
  }
  const acrValues = route.acrValues ?? []
  if (acrValues.length > 0 && (typeof facts.acr !== 'string' || !acrValues.includes(facts.acr))) {
    return deny(401, challenge('insufficient_user_authentication', 'The authentication context class is insufficient.', [['acr_values', acrValues.join(' ')]]))
  }
  if (route.maxAge !== undefined && route.maxAge > 0) {
    const authTime = typeof facts.authTime === 'number' ? facts.authTime : 0
    if (authTime <= 0 || now / 1000 - authTime > route.maxAge) {
      return deny(401, challenge('insufficient_user_authentication', 'The authentication time is too old.', [['max_age', String(route.maxAge)]]))
    }
  }
  return undefined
}

/**
 * Stage judge: a route against facts Authlete already gave (a cache hit, a coalesced miss, a
 * stacked guard): the first unmet requirement's denial, else an allow with `auth` from the facts.
 * Either carries `nonce` as `DPoP-Nonce`, the nonce the client must use next.
 *
 * @example
 * const decision = judge(entry.facts, entry.nonce, 'cache', { scopes: ['read'] }, { scheme: 'DPoP', dpopAlgs: DEFAULT_DPOP_ALGS }, Date.now())
 */
export function judge(facts: IntrospectionResponse, nonce: string | undefined, source: AccessTokenInfo['source'], route: RouteOptions, context: SchemeChallenge, now: number): Decision {
  const unmet = unmetRequirement(facts, route, context, now)
  if (unmet) {
    if (nonce) unmet.headers['DPoP-Nonce'] = nonce
    return unmet
  }
  const headers: Record<string, string> = {}
  if (nonce) headers['DPoP-Nonce'] = nonce
  return { allowed: true, auth: toAccessTokenInfo(facts, context.scheme, source), headers }
}
