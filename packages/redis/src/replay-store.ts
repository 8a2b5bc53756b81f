import type { ReplayStore } from '@authlete-guard/core'
import { assertClient, DEFAULT_REDIS_TIMEOUT_MS, rejectUnknownOptions, resolveMs, resolvePrefix, withDeadline, type RedisClient } from './client'

/**
 * Options of `createRedisReplayStore`.
 *
 * @example
 * const options: RedisReplayStoreOptions = { prefix: 'billing-api:replay:', timeoutMs: 300 }
 */
export interface RedisReplayStoreOptions {
  /** Put in front of every key (one per application or environment sharing a Redis). Default `DEFAULT_REPLAY_PREFIX`. */
  prefix?: string | undefined
  /** Longest wait for Redis per proof, ms; past it the store rejects and the guard denies (500). Default `DEFAULT_REDIS_TIMEOUT_MS`. */
  timeoutMs?: number | undefined
}

/**
 * Default key prefix of the replay store: keys are this plus the guard's hash of the proof's key
 * thumbprint and `jti` (43 base64url characters).
 *
 * @example
 * createRedisReplayStore(redis, { prefix: `billing-api:${DEFAULT_REPLAY_PREFIX}` })
 */
export const DEFAULT_REPLAY_PREFIX = 'authlete-guard:replay:'

const FACTORY = 'createRedisReplayStore'

/**
 * A DPoP replay store (RFC 9449 §11.1) shared by every instance that uses the same Redis: a proof
 * accepted by one instance is refused by all of them. Each `remember` is one atomic round trip,
 * `SET <prefix><key> 1 NX PX <ttlMs>`: of two instances racing with one proof, Redis lets exactly
 * one win, and the key expires by itself when the proof's `iat` window has passed. Keys are the
 * guard's hashes, never a raw `jti` or token. One key per command, so a Redis Cluster spreads
 * them over its slots. When Redis fails or is slower than `timeoutMs`, `remember` rejects and the
 * guard denies with 500 (`ERR_STORE_UNAVAILABLE`): replay protection fails closed.
 *
 * @example
 * import { Redis } from 'ioredis'
 * import { createGuard } from '@authlete-guard/express'
 * import { createRedisReplayStore } from '@authlete-guard/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
 * const guard = createGuard({ authlete, replay: createRedisReplayStore(redis) })
 */
export function createRedisReplayStore(client: RedisClient, options: RedisReplayStoreOptions = {}): ReplayStore {
  assertClient(client, FACTORY)
  rejectUnknownOptions(options, ['prefix', 'timeoutMs'], FACTORY)
  const prefix = resolvePrefix(options.prefix, DEFAULT_REPLAY_PREFIX, FACTORY)
  const timeoutMs = resolveMs(options.timeoutMs, DEFAULT_REDIS_TIMEOUT_MS, 'timeoutMs', FACTORY)
  return {
    async remember(key, ttlMs) {
      const px = Math.max(1, Math.ceil(ttlMs))
      // NX: set only when absent, so the first caller gets 'OK' and every later one null.
      const reply = await withDeadline(client.set(prefix + key, '1', 'PX', px, 'NX'), timeoutMs, 'the replay check')
      return reply === 'OK'
    },
  }
}
