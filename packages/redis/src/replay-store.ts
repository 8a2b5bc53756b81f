import { DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER, type ReplayStore } from '@authlete-guard/core'
import { assertClient, DEFAULT_REDIS_TIMEOUT_MS, invalidConfig, rejectUnknownOptions, resolveMs, resolvePrefix, withDeadline, type RedisClient } from './client'
import { ownerKeys, runReplayScript } from './replay-script'

/**
 * Options of `createRedisReplayStore`.
 *
 * @example
 * const options: RedisReplayStoreOptions = { prefix: 'billing-api:replay:', timeoutMs: 300, maxEntriesPerOwner: 20_000 }
 */
export interface RedisReplayStoreOptions {
  /**
   * Put in front of every key: one per application or environment sharing a Redis, to tell their
   * keys apart (housekeeping, `SCAN`, purges). Guards of different Authlete services need no
   * prefix of their own: the guard puts a hash of the service into every key. Braces here take
   * over Redis Cluster's hash tag (`{app}:` puts every key in one slot). Default `DEFAULT_REPLAY_PREFIX`.
   */
  prefix?: string | undefined
  /** Longest wait for Redis per proof, ms; past it the store rejects and the guard denies (500). Default `DEFAULT_REDIS_TIMEOUT_MS`. */
  timeoutMs?: number | undefined
  /**
   * Most proofs one owner (one DPoP key of one service) may have remembered at once, inside their
   * `iat` window; past it `remember` writes nothing and answers `{ limited: true, retryAfterSeconds }`
   * (the guard answers 429). Size it as the busiest key's proofs per second x the window (360 s by
   * default). Default `DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER` (10,000) from `@authlete-guard/core`.
   */
  maxEntriesPerOwner?: number | undefined
}

/**
 * What `createRedisReplayStore` returns: a `ReplayStore` that always has `seen`. Pass it the
 * same `owner` as `remember`: an owner's proofs live under its own hash tag.
 *
 * @example
 * const store: RedisReplayStore = createRedisReplayStore(redis)
 * if (await store.seen(replayKey, owner)) console.log('replayed')
 */
export interface RedisReplayStore extends ReplayStore {
  seen(key: string, owner?: string): Promise<boolean>
}

/**
 * Default key prefix of the replay store: keys are this, the owner the guard names in braces
 * (`<service hash>.<proof key thumbprint>`), then `:` and the guard's hash of the service, the
 * proof's key and its `jti` (43 base64url characters); the owner's sorted set is this and the
 * owner in braces. Both carry the service, so guards of several services can share this prefix.
 *
 * @example
 * createRedisReplayStore(redis, { prefix: `billing-api:${DEFAULT_REPLAY_PREFIX}` })
 */
export const DEFAULT_REPLAY_PREFIX = 'authlete-guard:replay:'

const FACTORY = 'createRedisReplayStore'

function resolveMaxEntries(value: unknown): number {
  if (value === undefined) return DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) invalidConfig(`${FACTORY}: maxEntriesPerOwner must be a whole number, 1 or more.`)
  return value
}

/**
 * A DPoP replay store (RFC 9449 §11.1) shared by every instance that uses the same Redis: a proof
 * accepted by one instance is refused by all of them. Each `remember` is one atomic round trip.
 * With an `owner` (the guard passes one: its service and the proof's key), a Lua script checks the
 * proof's key `<prefix>{<owner>}:<key>`, drops the owner's expired proofs from its sorted set
 * `<prefix>{<owner>}` (Redis's clock), and either refuses (`maxEntriesPerOwner` still inside their
 * window: nothing written, `{ limited: true, retryAfterSeconds }` until the owner's oldest expires)
 * or sets the key for `ttlMs` and adds it to the set. Without an owner: `SET <prefix><key> 1 NX PX
 * <ttlMs>`, unbounded. Either way, of two instances racing with one proof Redis lets exactly one
 * win, and keys expire by themselves. An owner's keys share a Cluster slot (hash tag); owners
 * spread over the slots. Keys hold the guard's hashes and key thumbprints, never a `jti` or a
 * token. `seen(key, owner)` is one `EXISTS`. When Redis fails or is slower than `timeoutMs`, calls
 * reject and the guard denies with 500 (`ERR_STORE_UNAVAILABLE`): replay protection fails closed.
 *
 * @example
 * import { Redis } from 'ioredis'
 * import { createGuard } from '@authlete-guard/express'
 * import { createRedisReplayStore } from '@authlete-guard/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
 * const guard = createGuard({ authlete, replay: createRedisReplayStore(redis, { maxEntriesPerOwner: 20_000 }) })
 */
export function createRedisReplayStore(client: RedisClient, options: RedisReplayStoreOptions = {}): RedisReplayStore {
  assertClient(client, FACTORY)
  rejectUnknownOptions(options, ['prefix', 'timeoutMs', 'maxEntriesPerOwner'], FACTORY)
  const prefix = resolvePrefix(options.prefix, DEFAULT_REPLAY_PREFIX, FACTORY)
  const timeoutMs = resolveMs(options.timeoutMs, DEFAULT_REDIS_TIMEOUT_MS, 'timeoutMs', FACTORY)
  const maxEntriesPerOwner = resolveMaxEntries(options.maxEntriesPerOwner)
  return {
    async remember(key, ttlMs, owner) {
      const px = Math.max(1, Math.ceil(ttlMs))
      if (owner === undefined) {
        // NX: set only when absent, so the first caller gets 'OK' and every later one null.
        const reply = await withDeadline(client.set(prefix + key, '1', 'PX', px, 'NX'), timeoutMs, 'the replay check')
        return reply === 'OK'
      }
      return withDeadline(runReplayScript(client, ownerKeys(prefix, owner, key), px, maxEntriesPerOwner, key), timeoutMs, 'the replay check')
    },
    async seen(key, owner) {
      const name = owner === undefined ? prefix + key : ownerKeys(prefix, owner, key).proof
      return (await withDeadline(client.exists(name), timeoutMs, 'the replay lookup')) === 1
    },
  }
}
