import { sameResource } from '../resource/identity'
import type { AccessTokenInfo, Decision, DenyDecision, IntrospectionResponse, RouteOptions } from '../types'
import { stringArray, tokenAudience, toAccessTokenInfo } from './access-token-info'
import { challengeFor, type SchemeChallenge } from './challenge'
import { deny } from './deny'

/**
 * What the judge needs of the request and the guard: the challenge options with the request's
 * scheme, and `audience`, the resource the token must be issued for (RFC 8707) when the guard has a
 * `resource` and `audience: 'strict'` (its canonical form).
 */
export type JudgeContext = SchemeChallenge & { audience?: string | undefined }

/** `error_description` of the 401 for a token not issued for the guard's resource. */
export const AUDIENCE_DESCRIPTION = 'The access token was not issued for this resource.'

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
  const refuse = (status: number, error: string, description: string, params: Array<[string, string]> = []) =>
    deny(status, challengeFor(context.scheme, context, [['error', error], ['error_description', description], ...params]), { options: context })
  const scopes = stringArray(facts.scopes) ?? []
  const required = route.scopes ?? []
  const missing = required.find((scope) => !scopes.includes(scope))
  if (missing !== undefined) {
    return refuse(403, 'insufficient_scope', `The access token does not cover the required scope '${missing}'.`, [['scope', required.join(' ')]])
  }
  if (route.subject !== undefined && route.subject !== facts.subject) {
    return refuse(403, 'invalid_request', 'The subject of the access token is not the required one.')
  }
  const audience = tokenAudience(facts)
  if ((route.resources ?? []).length > 0 && audience.length > 0 && route.resources!.some((r) => !audience.includes(r))) {
    return refuse(403, 'insufficient_scope', 'The access token does not cover the required resources.')
  }
  const acrValues = route.acrValues ?? []
  if (acrValues.length > 0 && (typeof facts.acr !== 'string' || !acrValues.includes(facts.acr))) {
    return refuse(401, 'insufficient_user_authentication', 'The authentication context class is insufficient.', [['acr_values', acrValues.join(' ')]])
  }
  if (route.maxAge !== undefined && route.maxAge > 0) {
    const authTime = typeof facts.authTime === 'number' ? facts.authTime : 0
    if (authTime <= 0 || now / 1000 - authTime > route.maxAge) {
      return refuse(401, 'insufficient_user_authentication', 'The authentication time is too old.', [['max_age', String(route.maxAge)]])
    }
  }
  return undefined
}

/**
 * The guard's own audience rule (RFC 8707, MCP): with `context.audience`, the token's audience
 * (`accessTokenResources`, else `resources`) must hold the resource, compared canonically
 * (`sameResource`); otherwise 401 `invalid_token`, with the reason `{ check: 'audience', expected,
 * actual }` (`actual`: the token's audience, absent when it has none). Judged before the route's
 * requirements: a token for another resource is refused as such, never answered with a 403 that
 * invites the client to step up (ask for more scopes) for it.
 *
 * @example
 * const foreign = unmetAudience(facts, { scheme: 'Bearer', dpopAlgs: DEFAULT_DPOP_ALGS, audience: 'https://api.example.com/mcp' })
 * if (foreign) console.log(foreign.status, foreign.reason) // 401 { check: 'audience', ... }
 */
export function unmetAudience(facts: IntrospectionResponse, context: JudgeContext): DenyDecision | undefined {
  const expected = context.audience
  if (expected === undefined) return undefined
  const audience = tokenAudience(facts)
  if (audience.some((resource) => sameResource(resource, expected))) return undefined
  const challenge = challengeFor(context.scheme, context, [['error', 'invalid_token'], ['error_description', AUDIENCE_DESCRIPTION]])
  const denial = deny(401, challenge, { options: context })
  denial.reason = { check: 'audience', expected, actual: audience.length > 0 ? audience.join(' ') : undefined }
  return denial
}

/**
 * Stage judge: the audience (`unmetAudience`) first, then a route against facts Authlete already
 * gave (a cache hit, a coalesced miss, a stacked guard; with an empty route, Authlete's own allow):
 * the first unmet requirement's denial, else an allow with `auth` from the facts. Either carries
 * `nonce` as `DPoP-Nonce`, the nonce the client must use next.
 *
 * @example
 * const decision = judge(entry.facts, entry.nonce, 'cache', { scopes: ['read'] }, { scheme: 'DPoP', dpopAlgs: DEFAULT_DPOP_ALGS }, Date.now())
 */
export function judge(facts: IntrospectionResponse, nonce: string | undefined, source: AccessTokenInfo['source'], route: RouteOptions, context: JudgeContext, now: number): Decision {
  const unmet = unmetAudience(facts, context) ?? unmetRequirement(facts, route, context, now)
  if (unmet) {
    if (nonce) unmet.headers['DPoP-Nonce'] = nonce
    return unmet
  }
  const headers: Record<string, string> = {}
  if (nonce) headers['DPoP-Nonce'] = nonce
  return { allowed: true, auth: toAccessTokenInfo(facts, context.scheme, source), headers }
}
