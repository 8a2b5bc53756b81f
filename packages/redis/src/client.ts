import type { Cluster, Redis } from 'ioredis'
import { AuthleteGuardError } from '@authlete-guard/core'

/**
 * The connection the stores use: your ioredis client, a standalone or Sentinel `Redis` or a
 * `Cluster`. The stores only send commands on it; they never open, close or configure it, so its
 * reconnect and offline-queue settings stay yours (see `docs/several-instances.md` for fail-fast ones).
 *
 * @example
 * const redis: RedisClient = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
 */
export type RedisClient = Redis | Cluster

/**
 * Longest wait for one Redis command, ms, before the store rejects (and so the guard denies with
 * 500, `ERR_STORE_UNAVAILABLE`). Below the guard's own 2 s bound, so that a slow Redis is reported
 * as what it is.
 *
 * @example
 * createRedisReplayStore(redis, { timeoutMs: DEFAULT_REDIS_TIMEOUT_MS / 2 })
 */
export const DEFAULT_REDIS_TIMEOUT_MS = 500

export function invalidConfig(message: string): never {
  throw new AuthleteGuardError('ERR_INVALID_CONFIG', `@authlete-guard/redis: ${message}`)
}

export function assertClient(client: unknown, factory: string): asserts client is RedisClient {
  const c = client as { get?: unknown; set?: unknown } | null | undefined
  if (!c || typeof c !== 'object' || typeof c.get !== 'function' || typeof c.set !== 'function') {
    invalidConfig(`${factory}(client) needs an ioredis client (new Redis(...) or new Cluster(...)).`)
  }
}

export function rejectUnknownOptions(options: object, known: readonly string[], factory: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) invalidConfig(`${factory}: unknown option "${key}" (known: ${known.join(', ')}).`)
  }
}

export function resolvePrefix(prefix: unknown, fallback: string, factory: string): string {
  if (prefix === undefined) return fallback
  if (typeof prefix !== 'string') invalidConfig(`${factory}: prefix must be a string.`)
  return prefix
}

export function resolveMs(value: unknown, fallback: number, name: string, factory: string, min = 1): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 86_400_000) {
    invalidConfig(`${factory}: ${name} must be a whole number of milliseconds from ${min} to 86400000.`)
  }
  return value
}

/**
 * One Redis command bounded in time: rejects when Redis has not answered within `timeoutMs` (a
 * command queued while ioredis reconnects included). The command itself is not cancelled; its
 * late answer is ignored.
 */
export function withDeadline<T>(command: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer ${what} within ${timeoutMs} ms`)), timeoutMs)
  })
  // A command that fails after the deadline must not become an unhandled rejection.
  command.catch(() => {})
  return Promise.race([command, deadline]).finally(() => clearTimeout(timer))
}
