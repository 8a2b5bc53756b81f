import type { IntrospectionResponse } from '../types'

/** Options of the guard's introspection cache (`createGuard({ cache })`). */
export interface CacheOptions {
  /** Longest time an Authlete answer is reused, ms; never past the token's `expiresAt`. Default `DEFAULT_CACHE_TTL_MS`. */
  ttlMs?: number | undefined
  /** Most tokens the in-memory store remembers; the least recently used goes first. Default `DEFAULT_CACHE_MAX_ENTRIES`. */
  maxEntries?: number | undefined
  /**
   * Where entries live: default in this process's memory. A shared store (`@authlete-guard/redis`)
   * lets several instances reuse one Authlete answer. Misses are still coalesced per process.
   */
  store?: IntrospectionCacheStore | undefined
}

/**
 * A store of cached introspection answers, keyed by hashes (never a raw token). `get` resolves the
 * entry or `undefined`; `set` keeps it for `ttlMs`. A store that rejects or does not answer in time
 * makes the guard deny (500, `ERR_STORE_UNAVAILABLE`).
 *
 * @example
 * const store: IntrospectionCacheStore = {
 *   get: async (key) => JSON.parse((await redis.get(key)) ?? 'null') ?? undefined,
 *   set: async (key, entry, ttlMs) => void (await redis.set(key, JSON.stringify(entry), 'PX', ttlMs)),
 * }
 */
export interface IntrospectionCacheStore {
  get(key: string): Promise<CachedIntrospection | undefined>
  set(key: string, entry: CachedIntrospection, ttlMs: number): Promise<void>
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
export interface CachedIntrospection {
  /** The OK reply (no token in it: Authlete does not echo it). */
  facts: IntrospectionResponse
  /** DPoP presentations: the thumbprint of the proof Authlete accepted. */
  jkt: string | undefined
  /** The last `dpopNonce` Authlete issued with this answer. */
  nonce: string | undefined
  /** Reusable until then, ms since the epoch: `min(now + ttlMs, expiresAt)`. */
  until: number
}

/**
 * The key of one token and presentation of one Authlete service: the hash of the service's
 * identity, the token's hash, the scheme, for DPoP the proof key's thumbprint and, when the request
 * presented a client certificate, its thumbprint (`x5t#S256`, RFC 8705): an answer for one
 * certificate never serves another certificate, or none. Hashes only, never a raw token; guards of
 * different services sharing a store never meet on a key.
 */
export function cacheKeyOf(serviceHash: string, tokenHash: string, scheme: 'DPoP' | 'Bearer', jkt: string | undefined, certificateThumbprint?: string | undefined): string {
  const key = `${serviceHash} ${tokenHash} ${scheme} ${jkt ?? ''}`
  return certificateThumbprint === undefined ? key : `${key} ${certificateThumbprint}`
}

/** The guard's introspection cache: a store of entries, plus the coalescing of misses. */
export interface IntrospectionCache {
  readonly ttlMs: number
  get(key: string, now: number): Promise<CachedIntrospection | undefined>
  set(key: string, entry: CachedIntrospection, now: number): Promise<void>
  /** Concurrent misses for one key share one load; the first caller's `load` runs. */
  coalesce<T>(key: string, load: () => Promise<T>): { leader: boolean; result: Promise<T> }
}

/** The default store: this process's memory, a bounded LRU (a Map in recency order). */
function createMemoryCacheStore(maxEntries: number): IntrospectionCacheStore {
  // No lru-cache: its ESM build imports node:diagnostics_channel, and the root entry imports nothing of Node.
  const entries = new Map<string, CachedIntrospection>()
  return {
    async get(key) {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      entries.delete(key)
      entries.set(key, entry)
      return entry
    },
    async set(key, entry) {
      entries.delete(key)
      entries.set(key, entry)
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
    },
  }
}

export function createIntrospectionCache(options: CacheOptions): IntrospectionCache {
  const ttlMs = options.ttlMs ?? DEFAULT_CACHE_TTL_MS
  const store = options.store ?? createMemoryCacheStore(options.maxEntries ?? DEFAULT_CACHE_MAX_ENTRIES)
  const inflight = new Map<string, Promise<unknown>>()
  return {
    ttlMs,
    async get(key, now) {
      const entry = await store.get(key)
      // Whatever the store says, an entry past its time is never served.
      return entry !== undefined && entry.until > now ? entry : undefined
    },
    async set(key, entry, now) {
      await store.set(key, entry, Math.max(1, entry.until - now))
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
