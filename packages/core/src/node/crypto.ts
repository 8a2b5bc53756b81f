import { constants, createHash, createPublicKey, verify, type KeyObject, type VerifyKeyObjectInput, type VerifyPublicKeyInput } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import { keyCache, type ProofCrypto } from '../dpop/crypto'

const keys = keyCache<KeyObject>()

/** node:crypto's arguments for each JWS alg (RFC 7518 §3): hash, and the key's options. */
function signatureOptions(alg: string, key: KeyObject): { hash: string | null; key: VerifyKeyObjectInput | VerifyPublicKeyInput } {
  const bits = alg.slice(2)
  if (alg.startsWith('RS')) return { hash: `sha${bits}`, key: { key } }
  if (alg.startsWith('PS')) return { hash: `sha${bits}`, key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 } }
  if (alg.startsWith('ES')) return { hash: `sha${bits}`, key: { key, dsaEncoding: 'ieee-p1363' } }
  return { hash: null, key: { key } } // EdDSA
}

/** How often `busyLoop` looks at the event loop's utilisation, ms. */
const SAMPLE_MS = 100

/**
 * Whether this thread's event loop was busy more than half the time since the last look (at most
 * every `SAMPLE_MS`), from perf_hooks' event-loop utilisation: one cheap read per 100 ms, no timer.
 */
export function busyLoop(): () => boolean {
  let last = performance.eventLoopUtilization()
  let sampledAt = performance.now()
  let busy = false
  return () => {
    const now = performance.now()
    if (now - sampledAt >= SAMPLE_MS) {
      const current = performance.eventLoopUtilization()
      busy = performance.eventLoopUtilization(current, last).utilization > 0.5
      last = current
      sampledAt = now
    }
    return busy
  }
}

/**
 * node:crypto's primitives: synchronous SHA-256, and a signature check with a `KeyObject` kept per
 * key, either on the calling thread or on libuv's thread pool (one-shot `crypto.verify` with a
 * callback), as `pool` says for each check. On the pool the main thread, which a busy Node server
 * runs out of first, only hands the check over, at the price of a thread hop; on the calling
 * thread there is no hop. Same checks, same answers either way.
 */
export function createNodeCrypto({ pool }: { pool: boolean | (() => boolean) }): ProofCrypto {
  const onPool = typeof pool === 'function' ? pool : () => pool
  return {
    sha256: (text) => createHash('sha256').update(text, 'utf8').digest('base64url'),
    verify(alg, _algorithm, jwk, cacheKey, signature, signingInput) {
      const key = keys(cacheKey, () => {
        const { kty, crv, x, y, n, e } = jwk
        return createPublicKey({ key: { kty, crv, x, y, n, e } as import('node:crypto').JsonWebKey, format: 'jwk' })
      })
      const options = signatureOptions(alg, key)
      const data = Buffer.from(signingInput, 'latin1')
      if (!onPool()) return verify(options.hash, data, options.key, signature)
      return new Promise<boolean>((resolve, reject) => verify(options.hash, data, options.key, signature, (error, valid) => (error ? reject(error) : resolve(valid))))
    },
  }
}

/**
 * What `@authlete-guard/core/node` uses: with more than one CPU, signatures go to the thread pool
 * while the event loop is busy (more than half of the last 100 ms) and are checked on the calling
 * thread otherwise; with one CPU, always on the calling thread.
 */
export const nodeCrypto: ProofCrypto = createNodeCrypto({ pool: availableParallelism() > 1 ? busyLoop() : false })
