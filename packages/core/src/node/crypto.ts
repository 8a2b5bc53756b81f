import { constants, createHash, createPublicKey, verify, type KeyObject, type VerifyKeyObjectInput, type VerifyPublicKeyInput } from 'node:crypto'
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

/** Where `@authlete-guard/core/node` checks DPoP signatures: libuv's thread pool, or the calling thread. */
export type VerifyOn = 'pool' | 'inline'

/**
 * Default of `verify`: signatures are checked on libuv's thread pool, so the event loop only hands
 * each check over. In the committed bench (test/bench/RESULTS.md, 2 CPUs) the pool gave 1.18x the
 * cached req/s of checking on the calling thread; on a process limited to one CPU, `'inline'` saves
 * the thread hop.
 *
 * @example
 * createNodeGuard({ authlete, verify: process.env.CPUS === '1' ? 'inline' : DEFAULT_VERIFY })
 */
export const DEFAULT_VERIFY: VerifyOn = 'pool'

/**
 * node:crypto's primitives: synchronous SHA-256 (of text and of bytes), and a signature check with a `KeyObject` kept per
 * key, on libuv's thread pool (one-shot `crypto.verify` with a callback) or on the calling thread,
 * as `verify` says. Same checks, same answers either way.
 */
export function createNodeCrypto(on: VerifyOn): ProofCrypto {
  const pool = on === 'pool'
  return {
    sha256: (text) => createHash('sha256').update(text, 'utf8').digest('base64url'),
    sha256Bytes: (bytes) => createHash('sha256').update(bytes).digest('base64url'),
    verify(alg, _algorithm, jwk, cacheKey, signature, signingInput) {
      const key = keys(cacheKey, () => {
        const { kty, crv, x, y, n, e } = jwk
        return createPublicKey({ key: { kty, crv, x, y, n, e } as import('node:crypto').JsonWebKey, format: 'jwk' })
      })
      const options = signatureOptions(alg, key)
      const data = Buffer.from(signingInput, 'latin1')
      if (!pool) return verify(options.hash, data, options.key, signature)
      return new Promise<boolean>((resolve, reject) => verify(options.hash, data, options.key, signature, (error, valid) => (error ? reject(error) : resolve(valid))))
    },
  }
}
