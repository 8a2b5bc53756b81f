/**
 * Remembers DPoP proof `jti` values (per `htu`) for as long as a proof could still pass the `iat`
 * window, so that a replayed proof is rejected (RFC 9449 §11.1; an assumption for Authlete).
 */
export class JtiCache {
  readonly #seen = new Map<string, number>()

  /** Record `jti` for `htu`; false when it was already recorded and has not expired. */
  remember(htu: string, jti: string, now: number, ttlMs: number): boolean {
    for (const [key, expiresAt] of this.#seen) if (expiresAt <= now) this.#seen.delete(key)
    const key = `${htu} ${jti}`
    if (this.#seen.has(key)) return false
    this.#seen.set(key, now + ttlMs)
    return true
  }

  clear(): void {
    this.#seen.clear()
  }
}
