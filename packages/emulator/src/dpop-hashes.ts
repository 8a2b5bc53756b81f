import { createHash, type JsonWebKey } from 'node:crypto'

/**
 * The `ath` value of a DPoP proof: base64url(SHA-256(ASCII access token)), no padding
 * (RFC 9449 §4.2).
 *
 * @example
 * ```ts
 * computeAth('Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU') // 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo'
 * ```
 */
export function computeAth(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'utf8').digest('base64url')
}

// RFC 7638 §3.2: the required members of each key type, in lexicographic order.
const REQUIRED_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
  oct: ['k', 'kty'],
}

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url): the value of `cnf.jkt`, of Authlete's
 * `dpopKeyThumbprint`, and of `dpop_jkt`. Throws a TypeError for an unknown `kty` or a
 * missing required member.
 *
 * @example
 * ```ts
 * jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs', y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA' })
 * // '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I'
 * ```
 */
export function jwkThumbprint(jwk: Record<string, unknown> | JsonWebKey): string {
  const record = jwk as Record<string, unknown>
  const members = typeof record.kty === 'string' ? REQUIRED_MEMBERS[record.kty] : undefined
  if (!members) throw new TypeError(`Unsupported JWK kty: ${String(record.kty)}`)
  const canonical: Record<string, string> = {}
  for (const name of members) {
    const value = record[name]
    if (typeof value !== 'string' || value === '') throw new TypeError(`JWK member "${name}" is missing`)
    canonical[name] = value
  }
  return createHash('sha256').update(JSON.stringify(canonical), 'utf8').digest('base64url')
}
