import { constants, createHash, createPublicKey, verify, type KeyObject, type VerifyKeyObjectInput, type VerifyPublicKeyInput } from 'node:crypto'
import { availableParallelism } from 'node:os'
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

/**
 * node:crypto's primitives: synchronous SHA-256, and a signature check with a `KeyObject` kept per
 * key. `pool: true` runs each signature check on libuv's thread pool (one-shot `crypto.verify` with
 * a callback): the main thread, which a busy Node server runs out of first, only hands it over;
 * `pool: false` checks on the calling thread, which costs less in all on a single CPU. Same checks,
 * same answers either way.
 */
export function createNodeCrypto({ pool }: { pool: boolean }): ProofCrypto {
  return {
    sha256: (text) => createHash('sha256').update(text, 'utf8').digest('base64url'),
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

/** What `@authlete-guard/core/node` uses: the thread pool when the machine has more than one CPU. */
export const nodeCrypto: ProofCrypto = createNodeCrypto({ pool: availableParallelism() > 1 })
