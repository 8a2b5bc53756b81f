import type { IntrospectionResponse } from '../types'

/** Options of the guard's introspection cache (`createGuard({ cache })`). */
export interface CacheOptions {
  /** Longest time an Authlete answer is reused, ms; never past the token's `expiresAt`. Default `DEFAULT_CACHE_TTL_MS`. */
  ttlMs?: number | undefined
  /** Most tokens remembered; the least recently used goes first. Default `DEFAULT_CACHE_MAX_ENTRIES`. */
  maxEntries?: number | undefined
}

/**
 * Default longest reuse of an Authlete answer: a revoked token keeps working for at most this long.
 *
 * @example
 * createGuard({ authlete, cache: { ttlMs: DEFAULT_CACHE_TTL_MS / 3 } })
 */
export const DEFAULT_CACHE_TTL_MS = 30_000
/**
 * Default number of tokens the introspection cache holds.
 *
 * @example
 * createGuard({ authlete, cache: { maxEntries: 10 * DEFAULT_CACHE_MAX_ENTRIES } })
 */
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000

/** What the cache keeps for one token and presentation: Authlete's facts and what pins them. */
export interface CacheEntry {
  /** The OK reply (no token in it: Authlete does not echo it). */
  facts: IntrospectionResponse
  /** DPoP presentations: the thumbprint of the proof Authlete accepted. */
  jkt: string | undefined
  /** The last `dpopNonce` Authlete issued with this answer. */
  nonce: string | undefined
  /** Reusable until then, ms since the epoch: `min(now + ttlMs, expiresAt)`. */
  until: number
}

/** The guard's introspection cache: bounded LRU of entries, plus the coalescing of misses. */
export interface IntrospectionCache {
  readonly ttlMs: number
  get(key: string, now: number): CacheEntry | undefined
  set(key: string, entry: CacheEntry): void
  /** Concurrent misses for one key share one load; the first caller's `load` runs. */
  coalesce<T>(key: string, load: () => Promise<T>): { leader: boolean; result: Promise<T> }
}

export function createIntrospectionCache(options: CacheOptions): IntrospectionCache {
  const ttlMs = options.ttlMs ?? DEFAULT_CACHE_TTL_MS
  const maxEntries = options.maxEntries ?? DEFAULT_CACHE_MAX_ENTRIES
  // A Map in recency order is the LRU: a hit moves the entry to the end, the first is the oldest.
  // (No lru-cache: its ESM build imports node:diagnostics_channel, and the root entry imports nothing of Node.)
  const entries = new Map<string, CacheEntry>()
  const inflight = new Map<string, Promise<unknown>>()
  return {
    ttlMs,
    get(key, now) {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      entries.delete(key)
      if (entry.until <= now) return undefined
      entries.set(key, entry)
      return entry
    },
    set(key, entry) {
      entries.delete(key)
      entries.set(key, entry)
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
    },
    coalesce<T>(key: string, load: () => Promise<T>) {
      const running = inflight.get(key) as Promise<T> | undefined
      if (running) return { leader: false, result: running }
      const result = load().finally(() => inflight.delete(key))
      inflight.set(key, result)
      return { leader: true, result }
    },
  }
}
