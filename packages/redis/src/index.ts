/**
 * `@authlete-guard/redis`: the guard's replay store and introspection cache in Redis, so that
 * several instances of an API refuse each other's replayed DPoP proofs and share Authlete's
 * answers. Bring your own ioredis client (`Redis` or `Cluster`); nothing here opens a connection.
 */
export { createRedisReplayStore, DEFAULT_REPLAY_PREFIX } from './replay-store'
export type { RedisReplayStore, RedisReplayStoreOptions } from './replay-store'
export { createRedisIntrospectionCache, DEFAULT_CACHE_PREFIX, DEFAULT_LOCAL_TTL_MS } from './introspection-cache'
export type { RedisIntrospectionCacheOptions } from './introspection-cache'
export { DEFAULT_REDIS_TIMEOUT_MS } from './client'
export type { RedisClient } from './client'
