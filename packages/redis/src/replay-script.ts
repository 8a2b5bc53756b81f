import { createHash } from 'node:crypto'
import type { ReplayLimited } from '@authlete-guard/core'
import type { RedisClient } from './client'

/**
 * The per-owner replay check, run by Redis as one script (atomic: no other command runs in
 * between). KEYS[1] the proof's key, KEYS[2] the owner's sorted set (members: the proofs' keys,
 * scores: their expiry, ms, on Redis's clock). ARGV[1] the ttl, ms; ARGV[2] the owner's bound.
 * Answers 1 (remembered), 0 (already remembered: a replay) or -n (the owner holds its bound: try
 * again in n >= 1 seconds; nothing was written). `TIME` is Redis's clock, so the instances' clocks
 * do not matter; `replicate_commands` lets Redis before 5 replicate a script that reads it.
 */
const SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  local wait = math.ceil((tonumber(oldest[2]) - now) / 1000)
  if wait < 1 then wait = 1 end
  return -wait
end
local ttl = tonumber(ARGV[1])
redis.call('SET', KEYS[1], '1', 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
`

const SHA1 = createHash('sha1').update(SCRIPT).digest('hex')

/**
 * The owner's share of a Cluster slot: the owner goes inside `{...}` (Redis Cluster's hash tag),
 * so its proofs and its set are in one slot and the script may touch both. Escaped so that the
 * tag is never empty and holds no brace (either would move keys out of the slot), and two owners
 * never share a tag.
 */
export function ownerKeys(prefix: string, owner: string, key: string): { proof: string; owner: string } {
  const tag = owner === '' ? '%' : owner.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  const set = `${prefix}{${tag}}`
  return { proof: `${set}:${key}`, owner: set }
}

/**
 * Run the script: `EVALSHA` (one round trip once Redis has it), and `EVAL` when this Redis (or
 * this Cluster node) answers `NOSCRIPT` (first use, or after a restart or `SCRIPT FLUSH`).
 * Resolves `remember`'s answer: `true`, `false` (a replay) or the owner's `ReplayLimited`.
 */
export async function runReplayScript(client: RedisClient, keys: { proof: string; owner: string }, ttlMs: number, maxEntries: number, member: string): Promise<boolean | ReplayLimited> {
  const args = [keys.proof, keys.owner, ttlMs, maxEntries, member] as const
  let reply: unknown
  try {
    reply = await client.evalsha(SHA1, 2, ...args)
  } catch (error) {
    if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error
    reply = await client.eval(SCRIPT, 2, ...args)
  }
  if (reply === 1 || reply === 0) return reply === 1
  if (typeof reply === 'number' && Number.isInteger(reply) && reply < 0) return { limited: true, retryAfterSeconds: -reply }
  throw new Error('Redis answered the replay check with something unexpected')
}
