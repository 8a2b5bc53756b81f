import { randomBytes } from 'node:crypto'

/**
 * Server-issued DPoP nonces, time-based like Authlete's: one current nonce at a time, each valid
 * for `dpopNonceDuration` seconds from its issue; a new one is minted when the current one expires.
 * A nonce is not one-time: any unexpired issued nonce is accepted.
 */
export class DpopNonces {
  readonly #issued = new Map<string, number>()
  #current: { value: string; issuedAt: number } | undefined

  /** The nonce to hand out now (minted when there is none or it has expired). */
  current(now: number, durationSeconds: number): string {
    const durationMs = durationSeconds * 1000
    if (!this.#current || now - this.#current.issuedAt >= durationMs || now < this.#current.issuedAt) {
      this.#prune(now, durationMs)
      const value = randomBytes(24).toString('base64url')
      this.#current = { value, issuedAt: now }
      this.#issued.set(value, now)
    }
    return this.#current.value
  }

  /** True when `nonce` was issued by this emulator and is still within its lifetime. */
  isValid(nonce: unknown, now: number, durationSeconds: number): boolean {
    if (typeof nonce !== 'string') return false
    const issuedAt = this.#issued.get(nonce)
    return issuedAt !== undefined && now >= issuedAt && now - issuedAt < durationSeconds * 1000
  }

  #prune(now: number, durationMs: number): void {
    for (const [value, issuedAt] of this.#issued) if (now - issuedAt >= durationMs) this.#issued.delete(value)
  }
}
