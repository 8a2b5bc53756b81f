import type { CachedIntrospection, IntrospectionCacheStore } from '@authlete-guard/core'
import { assertClient, DEFAULT_REDIS_TIMEOUT_MS, invalidConfig, rejectUnknownOptions, resolveMs, resolvePrefix, withDeadline, type RedisClient } from './client'
import { createLocalLru } from './local-lru'

/**
 * Options of `createRedisIntrospectionCache`.
 *
 * @example
 * const options: RedisIntrospectionCacheOptions = { prefix: 'billing-api:cache:', timeoutMs: 300, localMaxEntries: 1000, localTtlMs: 1000 }
 */
export interface RedisIntrospectionCacheOptions {
  /**
   * Put in front of every key: one per application or environment sharing a Redis, to tell their
   * keys apart (housekeeping, `SCAN`, purges). Guards of different Authlete services need no
   * prefix of their own: the guard puts a hash of the service into every key. Default `DEFAULT_CACHE_PREFIX`.
   */
  prefix?: string | undefined
  /** Longest wait for Redis per `get` or `set`, ms; past it the store rejects and the guard denies (500). Default `DEFAULT_REDIS_TIMEOUT_MS`. */
  timeoutMs?: number | undefined
  /**
   * Entries also kept in this process's memory, in front of Redis, for hot tokens; 0 (the
   * default) turns this local layer off. A local copy never outlives the entry's own expiry, but
   * it does outlive a key deleted from Redis by up to `localTtlMs`.
   */
  localMaxEntries?: number | undefined
  /** How long a local copy is served without asking Redis, ms. Default `DEFAULT_LOCAL_TTL_MS`. */
  localTtlMs?: number | undefined
}

/**
 * Default key prefix of the shared introspection cache: keys are this plus the guard's cache key
 * (`<service hash> <sha256(token)> <scheme> <proof key thumbprint>`). The service hash keeps the
 * entries of guards of different Authlete services apart, so they can share this prefix.
 *
 * @example
 * createRedisIntrospectionCache(redis, { prefix: `billing-api:${DEFAULT_CACHE_PREFIX}` })
 */
export const DEFAULT_CACHE_PREFIX = 'authlete-guard:cache:'

/**
 * Default lifetime of a copy in the optional local layer (`localMaxEntries`): an entry deleted
 * from Redis can still be served by an instance for this long.
 *
 * @example
 * createRedisIntrospectionCache(redis, { localMaxEntries: 1000, localTtlMs: DEFAULT_LOCAL_TTL_MS })
 */
export const DEFAULT_LOCAL_TTL_MS = 1000

/** The format of the values, so that a later one is read as a miss rather than misread. */
const FORMAT = 1
const FACTORY = 'createRedisIntrospectionCache'

interface StoredEntry extends CachedIntrospection {
  v: typeof FORMAT
}

function encode(entry: CachedIntrospection): string {
  // What the decision on a hit needs: Authlete's OK reply (it never echoes the token; it is also
  // `auth.raw`), the thumbprint of the key it was accepted with, its nonce and the time it stops
  // being reusable. Not `responseContent`: the WWW-Authenticate text of a denial, unused on an OK.
  const { responseContent: _unused, ...facts } = entry.facts
  const stored: StoredEntry = { v: FORMAT, facts: facts as CachedIntrospection['facts'], jkt: entry.jkt, nonce: entry.nonce, until: entry.until }
  return JSON.stringify(stored)
}

function decode(text: string | null): CachedIntrospection | undefined {
  if (text === null) return undefined
  let value: Partial<StoredEntry> | null
  try {
    value = JSON.parse(text) as Partial<StoredEntry> | null
  } catch {
    return undefined // not ours, or damaged: a miss, so Authlete decides
  }
  if (!value || value.v !== FORMAT || typeof value.until !== 'number' || !value.facts || typeof value.facts !== 'object') return undefined
  return { facts: value.facts, jkt: value.jkt ?? undefined, nonce: value.nonce ?? undefined, until: value.until }
}

/**
 * An introspection cache shared by every instance that uses the same Redis: a token Authlete
 * accepted on one instance is served from Redis on the others, without another Authlete call,
 * until the entry's time is up (the guard's `cache.ttlMs`, never past the token's expiry: the TTL
 * of each key is the one the guard passes). Values are JSON holding Authlete's OK reply, the proof
 * key's thumbprint, the nonce and the expiry; never the token (keys hold its SHA-256). Each call is
 * one command on one key (Cluster-friendly), bounded by `timeoutMs`: when Redis fails or is slow
 * the call rejects and the guard denies with 500 (`ERR_STORE_UNAVAILABLE`). Misses are still
 * coalesced per instance by the guard. With `localMaxEntries`, hot entries are also kept in memory
 * for `localTtlMs`.
 *
 * @example
 * import { Redis } from 'ioredis'
 * import { createGuard } from '@authlete-guard/express'
 * import { createRedisIntrospectionCache, createRedisReplayStore } from '@authlete-guard/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
 * const guard = createGuard({
 *   authlete,
 *   cache: { ttlMs: 30_000, store: createRedisIntrospectionCache(redis) },
 *   replay: createRedisReplayStore(redis),
 * })
 */
export function createRedisIntrospectionCache(client: RedisClient, options: RedisIntrospectionCacheOptions = {}): IntrospectionCacheStore {
  assertClient(client, FACTORY)
  rejectUnknownOptions(options, ['prefix', 'timeoutMs', 'localMaxEntries', 'localTtlMs'], FACTORY)
  const prefix = resolvePrefix(options.prefix, DEFAULT_CACHE_PREFIX, FACTORY)
  const timeoutMs = resolveMs(options.timeoutMs, DEFAULT_REDIS_TIMEOUT_MS, 'timeoutMs', FACTORY)
  const localTtlMs = resolveMs(options.localTtlMs, DEFAULT_LOCAL_TTL_MS, 'localTtlMs', FACTORY)
  const localMaxEntries = options.localMaxEntries ?? 0
  if (!Number.isInteger(localMaxEntries) || localMaxEntries < 0) invalidConfig(`${FACTORY}: localMaxEntries must be a whole number, 0 (off) or more.`)
  const local = localMaxEntries > 0 ? createLocalLru<CachedIntrospection>(localMaxEntries) : undefined
  const keepLocally = (key: string, entry: CachedIntrospection) => {
    local?.set(key, entry, Math.min(Date.now() + localTtlMs, entry.until))
  }

  return {
    async get(key) {
      const near = local?.get(key, Date.now())
      if (near !== undefined) return near
      const entry = decode(await withDeadline(client.get(prefix + key), timeoutMs, 'a cache read'))
      if (entry !== undefined) keepLocally(key, entry)
      return entry
    },
    async set(key, entry, ttlMs) {
      const px = Math.max(1, Math.ceil(ttlMs))
      await withDeadline(client.set(prefix + key, encode(entry), 'PX', px), timeoutMs, 'a cache write')
      keepLocally(key, entry)
    },
  }
}
