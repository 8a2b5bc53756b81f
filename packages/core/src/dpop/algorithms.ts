import type { PublicJwk } from './jwk'

/** How WebCrypto imports and verifies with a key for one JWS `alg`. */
export interface VerifyAlgorithm {
  import: RsaHashedImportParams | EcKeyImportParams | Algorithm
  verify: RsaPssParams | EcdsaParams | Algorithm
  kty: string
  crv?: string
}

const rsa = (hash: string): VerifyAlgorithm => ({ import: { name: 'RSASSA-PKCS1-v1_5', hash }, verify: { name: 'RSASSA-PKCS1-v1_5' }, kty: 'RSA' })
const pss = (hash: string, saltLength: number): VerifyAlgorithm => ({ import: { name: 'RSA-PSS', hash }, verify: { name: 'RSA-PSS', saltLength } as RsaPssParams, kty: 'RSA' })
const ec = (crv: string, hash: string): VerifyAlgorithm => ({ import: { name: 'ECDSA', namedCurve: crv }, verify: { name: 'ECDSA', hash } as EcdsaParams, kty: 'EC', crv })

/**
 * The JWS algorithms the guard verifies itself with WebCrypto (RFC 7518 §3; RFC 8037 for EdDSA
 * over Ed25519). `ES256K` (secp256k1) and EdDSA over Ed448 have no WebCrypto primitive on every
 * runtime: such proofs are left to Authlete alone (no local check, no cache hit).
 */
const ALGORITHMS: Record<string, VerifyAlgorithm> = {
  RS256: rsa('SHA-256'),
  RS384: rsa('SHA-384'),
  RS512: rsa('SHA-512'),
  PS256: pss('SHA-256', 32),
  PS384: pss('SHA-384', 48),
  PS512: pss('SHA-512', 64),
  ES256: ec('P-256', 'SHA-256'),
  ES384: ec('P-384', 'SHA-384'),
  ES512: ec('P-521', 'SHA-512'),
  EdDSA: { import: { name: 'Ed25519' }, verify: { name: 'Ed25519' }, kty: 'OKP', crv: 'Ed25519' },
}

/** The WebCrypto algorithm for `alg` and this key, `undefined` when there is none (ES256K, Ed448). */
export function verifyAlgorithm(alg: string, jwk: PublicJwk): VerifyAlgorithm | undefined {
  const algorithm = ALGORITHMS[alg]
  if (!algorithm) return undefined
  if (alg === 'EdDSA' && jwk.crv !== 'Ed25519') return undefined
  return algorithm
}

/** RSA keys shorter than this are refused (RFC 7518 §3.3; jose does the same). */
export const MIN_RSA_BITS = 2048
