import type { IntrospectionRequest, IntrospectionResponse } from '../types'
import type { CachedIntrospection } from './introspection-cache'

/**
 * Internal test seam, exported from no entry: a `createGuard` option under this key is handed each
 * background refresh as a promise that settles once the refresh is over (its store write or its
 * report included), so that tests await refreshes instead of sleeping. Without it, nothing waits.
 */
export const REFRESH_SCHEDULER = Symbol('authlete-guard.refreshScheduler')

/** What {@link REFRESH_SCHEDULER} takes: called once per refresh, when it starts (before the check that started it resolves). */
export type RefreshScheduler = (refresh: Promise<void>) => void

/** The scheduler among `createGuard`'s options, if a test gave one. */
export function refreshSchedulerOf(options: object): RefreshScheduler | undefined {
  const scheduler = (options as { [REFRESH_SCHEDULER]?: unknown })[REFRESH_SCHEDULER]
  return typeof scheduler === 'function' ? (scheduler as RefreshScheduler) : undefined
}

/** Refresh-ahead: a hit in the last `1 / REFRESH_AHEAD_DIVISOR` of its entry's life also asks Authlete, in the background. */
export const REFRESH_AHEAD_DIVISOR = 5

/**
 * Whether an entry served at `at` is due for a refresh: in the last fifth of its life, not nonce-bound
 * (the nonce is the client's to renew), and not ending with the token (`expiresAt`: nothing to renew).
 */
export function refreshDue(entry: CachedIntrospection, ttlMs: number, at: number): boolean {
  return entry.nonce === undefined && entry.until - at <= ttlMs / REFRESH_AHEAD_DIVISOR && entry.until < entry.facts.expiresAt!
}

/**
 * The refresh's introspection request: the presentation only (token, proof, `htm`, `htu`,
 * `targetUri`, client certificate), none of the route's requirements. The entry holds the token's
 * facts, which every hit judges against its own route: a request of a route the token does not
 * cover must not end an entry that serves the routes it does.
 */
export function refreshRequest(body: IntrospectionRequest): IntrospectionRequest {
  const request: IntrospectionRequest = { token: body.token }
  for (const name of ['dpop', 'htm', 'htu', 'clientCertificate', 'targetUri'] as const) {
    if (body[name] !== undefined) request[name] = body[name]
  }
  return request
}

/**
 * Whether Authlete's answer to a refresh ends the entry: only a definite "no" (`UNAUTHORIZED`,
 * `BAD_REQUEST`, `FORBIDDEN`) does. `INTERNAL_SERVER_ERROR`, an unknown or absent action, or a
 * failed call say nothing about the token: the entry serves to its end and the failure is reported.
 */
export function refusedByRefresh(response: IntrospectionResponse): boolean {
  return response.action === 'UNAUTHORIZED' || response.action === 'BAD_REQUEST' || response.action === 'FORBIDDEN'
}
