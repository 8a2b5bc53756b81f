/**
 * A store's refusal to remember more proofs for one owner (one DPoP key of one service) right now:
 * the guard answers 429 with `Retry-After`.
 *
 * @example
 * const limited: ReplayLimited = { limited: true, retryAfterSeconds: 42 }
 */
export interface ReplayLimited {
  limited: true
  /** Whole seconds until the owner may try again (>= 1): when its oldest remembered proof expires (or, when the whole store is full, the store's oldest). */
  retryAfterSeconds: number
}

/**
 * Where the guard remembers the DPoP proofs it has accepted, so that a proof is used once
 * (RFC 9449 §11.1). `remember` resolves `true` the first time it sees `key` within `ttlMs` and
 * `false` after that, atomically (two concurrent calls with one key: exactly one `true`). Keys are
 * hashes (never a raw `jti` or token). A store that rejects or cannot answer makes the guard deny
 * (500): replay protection fails closed.
 *
 * @example
 * const store: ReplayStore = { remember: async (key, ttlMs) => (await redis.set(key, '1', 'PX', ttlMs, 'NX')) === 'OK' }
 */
export interface ReplayStore {
  /**
   * Remember `key` for `ttlMs`, atomically. Resolves `true` the first time, `false` if `key` is
   * still remembered (a replay), or a `ReplayLimited` when `owner` already holds its share of the
   * store (or the store is full): nothing is written then. `owner` is optional for old callers;
   * the guard always passes it (an opaque string: the service identity + the proof's jkt, no secrets).
   * Existing stores that take (key, ttlMs) and return boolean stay valid.
   */
  remember(key: string, ttlMs: number, owner?: string): Promise<boolean | ReplayLimited>
  /**
   * Optional read-only lookup: `true` when `key` is remembered and not expired. Never writes.
   * The guard calls it after the local proof checks and before introspection, so a replayed
   * proof never reaches Authlete. Stores without it are checked at `remember` only. The guard
   * passes the same `owner` as to `remember` (a store that files keys by owner needs it).
   */
  seen?(key: string, owner?: string): Promise<boolean>
}

/** Options of `createMemoryReplayStore`. */
export interface MemoryReplayStoreOptions {
  /** Most proofs remembered at once. Default `DEFAULT_REPLAY_MAX_ENTRIES`. */
  maxEntries?: number | undefined
  /** Most proofs one owner (one DPoP key of one service) may have remembered at once. Default `DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER`. */
  maxEntriesPerOwner?: number | undefined
  /** The clock, ms since the epoch (tests). Default `Date.now`. */
  now?: (() => number) | undefined
}

/**
 * Default size of the in-memory replay store: proofs accepted within one `iat` window (6 minutes
 * by default) at up to ~270 new proofs a second. Size it as peak proofs/s x window seconds.
 *
 * @example
 * createGuard({ authlete, replay: createMemoryReplayStore({ maxEntries: 10 * DEFAULT_REPLAY_MAX_ENTRIES }) })
 */
export const DEFAULT_REPLAY_MAX_ENTRIES = 100_000

/**
 * Default share of one owner (one DPoP key of one service) in a replay store: proofs of that key
 * inside their `iat` window, ~28 a second over the default 6 minutes. Past it that key's new
 * proofs get 429 until its oldest expire, so one client cannot fill the store for everyone.
 *
 * @example
 * createGuard({ authlete, replay: createMemoryReplayStore({ maxEntriesPerOwner: 2 * DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER }) })
 */
export const DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER = 10_000

/** Whether a store's answer to `remember` is a `ReplayLimited`. */
export const isReplayLimited = (answer: unknown): answer is ReplayLimited =>
  typeof answer === 'object' && answer !== null && (answer as ReplayLimited).limited === true

/** The `ReplayLimited` for an entry that expires at `expiry` (>= 1 s). */
const limitedUntil = (expiry: number, at: number): ReplayLimited => ({ limited: true, retryAfterSeconds: Math.max(1, Math.ceil((expiry - at) / 1000)) })

function positiveWhole(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`createMemoryReplayStore: ${name} must be a positive whole number.`)
  return value
}

/**
 * The in-process replay store (the guard's default): each accepted proof is remembered until its
 * `iat` window has passed. Bounded twice: one owner (a DPoP key of a service) holds at most
 * `maxEntriesPerOwner` proofs, and the store at most `maxEntries`. Past either it never forgets a
 * live proof early (that would let it be replayed): `remember` writes nothing and resolves a
 * `ReplayLimited`, so the guard answers that proof 429 with `Retry-After` until entries expire.
 * One process only: several instances need a shared store (`@authlete-guard/redis`).
 *
 * @example
 * const guard = createGuard({ authlete, replay: createMemoryReplayStore({ maxEntries: 500_000, maxEntriesPerOwner: 20_000 }) })
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const maxEntries = positiveWhole(options.maxEntries ?? DEFAULT_REPLAY_MAX_ENTRIES, 'maxEntries')
  const maxPerOwner = positiveWhole(options.maxEntriesPerOwner ?? DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER, 'maxEntriesPerOwner')
  const now = options.now ?? Date.now
  // key -> expiry and owner; owner -> its keys and expiries. Insertion order is expiry order when
  // every ttl is the same (one guard), so expired entries are swept from the front; a longer ttl
  // inserted later only delays the sweep.
  const entries = new Map<string, { expiry: number; owner: string | undefined }>()
  const owners = new Map<string, Map<string, number>>()
  const forget = (key: string, owner: string | undefined) => {
    entries.delete(key)
    const mine = owner === undefined ? undefined : owners.get(owner)
    if (mine?.delete(key) && mine.size === 0) owners.delete(owner!)
  }
  // Expired proofs are forgotten from the front, of the owner's list or of the whole store.
  const sweepOwner = (mine: Map<string, number>, owner: string, at: number) => {
    for (const [key, expiry] of mine) {
      if (expiry > at) break
      forget(key, owner)
    }
  }
  const sweepAll = (at: number) => {
    for (const [key, entry] of entries) {
      if (entry.expiry > at) break
      forget(key, entry.owner)
    }
  }
  /** The owner's refusal, if it holds its share of proofs still inside their window. */
  const ownerLimit = (owner: string | undefined, at: number): ReplayLimited | undefined => {
    const mine = owner === undefined ? undefined : owners.get(owner)
    if (mine === undefined || mine.size < maxPerOwner) return undefined
    sweepOwner(mine, owner!, at)
    return mine.size < maxPerOwner ? undefined : limitedUntil(mine.values().next().value!, at)
  }
  /** The store's refusal, if it is full of proofs still inside their window. */
  const storeLimit = (at: number): ReplayLimited | undefined => {
    if (entries.size < maxEntries) return undefined
    sweepAll(at)
    return entries.size < maxEntries ? undefined : limitedUntil(entries.values().next().value!.expiry, at)
  }
  const store: ReplayStore = {
    async remember(key, ttlMs, owner) {
      const at = now()
      const existing = entries.get(key)
      if (existing !== undefined && existing.expiry > at) return false
      if (existing !== undefined) forget(key, existing.owner)
      const limited = ownerLimit(owner, at) ?? storeLimit(at)
      if (limited) return limited
      entries.set(key, { expiry: at + ttlMs, owner })
      if (owner !== undefined) {
        let mine = owners.get(owner)
        if (mine === undefined) owners.set(owner, (mine = new Map()))
        mine.set(key, at + ttlMs)
      }
      return true
    },
    async seen(key) {
      const existing = entries.get(key)
      return existing !== undefined && existing.expiry > now()
    },
  }
  return store
}
