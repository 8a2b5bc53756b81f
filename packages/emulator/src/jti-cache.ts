/**
 * Remembers DPoP proof `jti` values (per `htu`) for as long as a proof could still pass the `iat`
 * window, so that a replayed proof is rejected (RFC 9449 §11.1; an assumption for Authlete).
 */
export class JtiCache {
  readonly #seen = new Map<string, number>()

  /** Record `jti` for `htu`; false when it was already recorded and has not expired. */
  remember(htu: string, jti: string, now: number, ttlMs: number): boolean {
    // Entries are inserted with a constant TTL, so they expire roughly in insertion order:
    // pruning from the front keeps this O(1) amortised under benchmark load.
    for (const [key, expiresAt] of this.#seen) {
      if (expiresAt > now) break
      this.#seen.delete(key)
    }
    const key = `${htu} ${jti}`
    const seenUntil = this.#seen.get(key)
    if (seenUntil !== undefined && seenUntil > now) return false
    this.#seen.delete(key)
    this.#seen.set(key, now + ttlMs)
    return true
  }

  clear(): void {
    this.#seen.clear()
  }
}
