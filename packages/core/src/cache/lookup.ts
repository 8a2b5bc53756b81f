import type { CheckedProof } from '../dpop/verify'
import { storeCall } from '../store-call'
import type { IntrospectionResponse, RouteOptions } from '../types'
import type { CachedIntrospection, IntrospectionCache } from './introspection-cache'

/** A call to the introspection cache's store, bounded in time. */
export function cacheCall<T>(promise: Promise<T>): Promise<T> {
  return storeCall(promise, 'introspection cache store')
}

/** Whether facts carrying `nonce` serve this request: none where none is required, else the nonce its proof carries. */
export function nonceFits(nonce: string | undefined, route: RouteOptions, proof: Pick<CheckedProof, 'nonce'> | undefined): boolean {
  return (nonce === undefined && !route.dpopNonceRequired) || (nonce !== undefined && proof?.nonce === nonce)
}

/**
 * Stage lookup: the entry for one presentation (`key`) when it serves this request: live, the
 * token not expired, and its nonce fitting the proof's (`nonceFits`); else `undefined`, and the
 * guard asks Authlete.
 */
export async function lookup(cache: IntrospectionCache, key: string, now: () => number, route: RouteOptions, proof: CheckedProof | undefined): Promise<CachedIntrospection | undefined> {
  const entry = await cacheCall(cache.get(key, now()))
  return entry && entry.facts.expiresAt! > now() && nonceFits(entry.nonce, route, proof) ? entry : undefined
}

/** Keep an OK reply for one presentation: reusable for `ttlMs`, never past the token's `expiresAt`. */
export function keep(cache: IntrospectionCache, key: string, facts: IntrospectionResponse, jkt: string | undefined, nonce: string | undefined, now: number): Promise<void> {
  return cacheCall(cache.set(key, { facts, jkt, nonce, until: Math.min(now + cache.ttlMs, facts.expiresAt!) }, now))
}
