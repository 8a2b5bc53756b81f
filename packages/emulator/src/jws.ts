import { constants, sign, verify, type KeyObject } from 'node:crypto'

/**
 * Asymmetric JWS algorithms accepted in DPoP proofs, in the order Authlete lists them in its
 * `algs` challenge parameter. `none` and HMAC algorithms are never accepted (RFC 9449 §4.2).
 *
 * @example
 * ```ts
 * DPOP_ALGORITHMS.includes('ES256') // true
 * ```
 */
export const DPOP_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'ES256K',
  'EdDSA',
] as const

/** An algorithm of {@link DPOP_ALGORITHMS}. */
export type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number]

interface AlgorithmSpec {
  /** Digest for node:crypto; null for EdDSA, which hashes internally. */
  digest: 'sha256' | 'sha384' | 'sha512' | null
  kty: 'RSA' | 'EC' | 'OKP'
  /** Allowed curves for EC/OKP keys. */
  curves?: readonly string[]
  pss?: boolean
}

const SPECS: Record<DpopAlgorithm, AlgorithmSpec> = {
  RS256: { digest: 'sha256', kty: 'RSA' },
  RS384: { digest: 'sha384', kty: 'RSA' },
  RS512: { digest: 'sha512', kty: 'RSA' },
  PS256: { digest: 'sha256', kty: 'RSA', pss: true },
  PS384: { digest: 'sha384', kty: 'RSA', pss: true },
  PS512: { digest: 'sha512', kty: 'RSA', pss: true },
  ES256: { digest: 'sha256', kty: 'EC', curves: ['P-256'] },
  ES384: { digest: 'sha384', kty: 'EC', curves: ['P-384'] },
  ES512: { digest: 'sha512', kty: 'EC', curves: ['P-521'] },
  ES256K: { digest: 'sha256', kty: 'EC', curves: ['secp256k1'] },
  EdDSA: { digest: null, kty: 'OKP', curves: ['Ed25519', 'Ed448'] },
}

/** True when `alg` is an allowed DPoP algorithm. */
export function isDpopAlgorithm(alg: unknown): alg is DpopAlgorithm {
  return typeof alg === 'string' && Object.hasOwn(SPECS, alg)
}

/** True when a public JWK's `kty`/`crv` fit `alg` (e.g. ES256 needs an EC P-256 key). */
export function jwkFitsAlgorithm(alg: DpopAlgorithm, jwk: Record<string, unknown>): boolean {
  const spec = SPECS[alg]
  if (jwk.kty !== spec.kty) return false
  if (spec.curves) return typeof jwk.crv === 'string' && spec.curves.includes(jwk.crv)
  return true
}

function options(alg: DpopAlgorithm, key: KeyObject) {
  const spec = SPECS[alg]
  if (spec.kty === 'EC') return { key, dsaEncoding: 'ieee-p1363' as const }
  if (spec.pss) return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
  return { key }
}

/** Sign `data` with `alg` (JWS encoding of the signature: raw r||s for ECDSA). */
export function jwsSign(alg: DpopAlgorithm, privateKey: KeyObject, data: Buffer): Buffer {
  return sign(SPECS[alg].digest, data, options(alg, privateKey))
}

/** Verify a JWS signature; false (never throws) when it does not verify. */
export function jwsVerify(alg: DpopAlgorithm, publicKey: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return verify(SPECS[alg].digest, data, options(alg, publicKey), signature)
  } catch {
    return false
  }
}
