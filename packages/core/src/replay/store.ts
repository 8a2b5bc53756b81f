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
  remember(key: string, ttlMs: number): Promise<boolean>
}

/** Options of `createMemoryReplayStore`. */
export interface MemoryReplayStoreOptions {
  /** Most proofs remembered at once. Default `DEFAULT_REPLAY_MAX_ENTRIES`. */
  maxEntries?: number | undefined
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
 * Marks stores made by `createMemoryReplayStore`: they answer at once, so the guard sets them no
 * deadline. A registered symbol, not a WeakSet: the root entry and `/node` are separate bundles, and
 * a store made by one (an adapter re-exports the root's) is given to a guard made by the other.
 */
const MEMORY_STORE = Symbol.for('authlete-guard.memoryReplayStore')
export const isMemoryReplayStore = (store: ReplayStore): boolean => (store as unknown as Record<symbol, unknown>)[MEMORY_STORE] === true

/**
 * The in-process replay store (the guard's default): each accepted proof is remembered until its
 * `iat` window has passed. Bounded: when `maxEntries` proofs are still inside their window, it
 * refuses to forget one early (that would let it be replayed) and rejects instead, so the guard
 * denies with 500 and reports `ERR_STORE_UNAVAILABLE` until entries expire. One process only:
 * several instances need a shared store (`@authlete-guard/redis`).
 *
 * @example
 * const guard = createGuard({ authlete, replay: createMemoryReplayStore({ maxEntries: 500_000 }) })
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  const maxEntries = options.maxEntries ?? DEFAULT_REPLAY_MAX_ENTRIES
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new TypeError('createMemoryReplayStore: maxEntries must be a positive whole number.')
  const now = options.now ?? Date.now
  // key -> expiry. Insertion order is expiry order when every ttl is the same (one guard), so
  // expired entries are swept from the front; a longer ttl inserted later only delays the sweep.
  const seen = new Map<string, number>()
  const sweep = (at: number) => {
    for (const [key, expiry] of seen) {
      if (expiry > at) break
      seen.delete(key)
    }
  }
  const store: ReplayStore = {
    async remember(key, ttlMs) {
      const at = now()
      const expiry = seen.get(key)
      if (expiry !== undefined && expiry > at) return false
      if (expiry !== undefined) seen.delete(key)
      if (seen.size >= maxEntries) sweep(at)
      if (seen.size >= maxEntries) throw new Error(`the in-memory replay store is full: ${maxEntries} proofs are inside their iat window (raise maxEntries)`)
      seen.set(key, at + ttlMs)
      return true
    },
  }
  Object.defineProperty(store, MEMORY_STORE, { value: true })
  return store
}
