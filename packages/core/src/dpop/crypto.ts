import type { VerifyAlgorithm } from './algorithms'
import { base64url, sha256, utf8 } from './encoding'
import type { PublicJwk } from './jwk'

/**
 * The primitives the guard's DPoP checks need. The root entry uses WebCrypto (every runtime);
 * `@authlete-guard/core/node` plugs in `node:crypto`, which on Node hashes synchronously and
 * verifies on libuv's thread pool or on the calling thread, as the guard's `verify` option says.
 */
export interface ProofCrypto {
  /** base64url(SHA-256(UTF-8 text)). */
  sha256(text: string): string | Promise<string>
  /** base64url(SHA-256(bytes)): a certificate's RFC 8705 thumbprint (`x5t#S256`) from its DER. */
  sha256Bytes(bytes: Uint8Array): string | Promise<string>
  /** Verify a JWS signature over `signingInput` with the key of `jwk`; `cacheKey` names the key (alg and thumbprint). */
  verify(alg: string, algorithm: VerifyAlgorithm, jwk: PublicJwk, cacheKey: string, signature: Uint8Array<ArrayBuffer>, signingInput: string): Promise<boolean> | boolean
}

/** Imported keys kept, by algorithm and thumbprint. */
export const MAX_CACHED_KEYS = 1000

/** A bounded LRU of keys (a Map in recency order), for either primitive set. */
export function keyCache<K>(): (cacheKey: string, load: () => K) => K {
  const keys = new Map<string, K>()
  return (cacheKey, load) => {
    let key = keys.get(cacheKey)
    if (key !== undefined) {
      keys.delete(cacheKey)
      keys.set(cacheKey, key)
      return key
    }
    key = load()
    keys.set(cacheKey, key)
    if (key instanceof Promise) key.catch(() => keys.delete(cacheKey))
    if (keys.size > MAX_CACHED_KEYS) keys.delete(keys.keys().next().value!)
    return key
  }
}

const webKeys = keyCache<Promise<CryptoKey>>()

/** WebCrypto: what the root entry uses on every runtime. */
export const webCrypto: ProofCrypto = {
  sha256,
  sha256Bytes: async (bytes) => base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))),
  async verify(_alg, algorithm, jwk, cacheKey, signature, signingInput) {
    const key = await webKeys(cacheKey, () => {
      const { kty, crv, x, y, n, e } = jwk
      return crypto.subtle.importKey('jwk', { kty, crv, x, y, n, e } as JsonWebKey, algorithm.import, false, ['verify'])
    })
    return crypto.subtle.verify(algorithm.verify, key, signature, utf8(signingInput))
  },
}
