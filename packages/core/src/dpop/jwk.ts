import { fromBase64url } from './encoding'

/** A public JWK as a DPoP proof carries it (RFC 9449 §4.2 `jwk`). */
export type PublicJwk = Record<string, unknown> & { kty: string }

// RFC 7517 §4 / RFC 7518 §6: members that make a JWK private (or symmetric).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']

/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
const REQUIRED: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
}

/** Why a proof's `jwk` is not a usable public key, or `undefined` when it is. */
export function publicJwkFault(jwk: unknown): string | undefined {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return 'The DPoP proof has no jwk header.'
  const key = jwk as Record<string, unknown>
  if (PRIVATE_MEMBERS.some((member) => member in key)) return 'The DPoP proof\'s jwk is not a public key.'
  const required = typeof key.kty === 'string' ? REQUIRED[key.kty] : undefined
  if (!required) return 'The DPoP proof\'s jwk has an unsupported key type.'
  if (!required.every((member) => typeof key[member] === 'string' && key[member] !== '')) return 'The DPoP proof\'s jwk is incomplete.'
  return undefined
}

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url) of a checked public JWK: the value a DPoP-bound
 * token's `cnf.jkt` holds.
 */
export function jwkThumbprint(jwk: PublicJwk, sha256: (text: string) => string | Promise<string>): string | Promise<string> {
  const members = REQUIRED[jwk.kty]!
  return sha256(`{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`)
}

/**
 * The size in bits of an RSA JWK's modulus `n` (RFC 7518 §6.3.1.1), measured without leading zero
 * octets, so a short key padded with zeros is measured as what it is; 0 when `n` is not base64url.
 */
export function rsaModulusBits(n: string): number {
  const bytes = fromBase64url(n)
  if (!bytes) return 0
  let first = 0
  while (first < bytes.length && bytes[first] === 0) first++
  if (first === bytes.length) return 0
  return (bytes.length - first - 1) * 8 + (32 - Math.clz32(bytes[first]!))
}
