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

/**
 * node:crypto's primitives: synchronous SHA-256 and a signature check on the calling thread with a
 * `KeyObject` kept per key, where WebCrypto on Node goes through the thread pool for each digest
 * and verification. Same checks, same answers.
 */
export const nodeCrypto: ProofCrypto = {
  sha256: (text) => createHash('sha256').update(text, 'utf8').digest('base64url'),
  verify(alg, _algorithm, jwk, cacheKey, signature, signingInput) {
    const key = keys(cacheKey, () => {
      const { kty, crv, x, y, n, e } = jwk
      return createPublicKey({ key: { kty, crv, x, y, n, e } as import('node:crypto').JsonWebKey, format: 'jwk' })
    })
    const options = signatureOptions(alg, key)
    return verify(options.hash, Buffer.from(signingInput, 'ascii'), options.key, signature)
  },
}
