import { headerValues } from '../request/headers'
import type { RequestLike } from '../types'

/** Client credentials the request carried in `Authorization: Basic` (RFC 6749 §2.3.1). */
export type ClientCredentials =
  /** No `Authorization: Basic` header: the client authenticates otherwise (form, mTLS, JWT) or is public. */
  | { kind: 'none' }
  | { kind: 'basic'; clientId: string; clientSecret: string }
  /** A `Basic` header that cannot be read: RFC 6749 §5.2 `invalid_client`, 401 with a `Basic` challenge. */
  | { kind: 'malformed'; description: string }
  /** More than one `Authorization` header: RFC 6749 §3.2 `invalid_request` (400). */
  | { kind: 'ambiguous'; description: string }

const BASIC = /^basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i

/** `application/x-www-form-urlencoded` decoding of one value (`+` is a space), `undefined` if invalid. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Read client credentials from `Authorization: Basic` as RFC 6749 §2.3.1 defines them: the
 * client id and secret are form-urlencoded, then joined with `:` and base64-encoded (RFC 7617),
 * so both are URL-decoded after the split. Another scheme (`DPoP`, `Bearer`) is no client
 * authentication and counts as none.
 *
 * @example
 * readClientCredentials({ method: 'POST', url: '/token', headers: { authorization: 'Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW' } })
 * // { kind: 'basic', clientId: 's6BhdRkqt3', clientSecret: 'gX1fBat3bV' }
 */
export function readClientCredentials(request: RequestLike): ClientCredentials {
  const values = headerValues(request.headers, 'authorization')
  if (values.length === 0) return { kind: 'none' }
  // A fetch `Headers` joins repeats with ", "; no credentials contain a comma (RFC 7235 token68).
  if (values.length > 1 || values[0]!.includes(',')) return { kind: 'ambiguous', description: 'The request has more than one Authorization header.' }
  const value = values[0]!.trim()
  if (!/^basic(?:[ ]|$)/i.test(value)) return { kind: 'none' }
  const match = BASIC.exec(value)
  const malformed = { kind: 'malformed', description: 'The Basic client credentials are malformed.' } as const
  if (!match) return malformed
  const encoded = match[1]!
  const padded = encoded.padEnd(Math.ceil(encoded.length / 4) * 4, '=')
  let decoded: string
  try {
    const binary = atob(padded)
    // Insist on a faithful round trip (no stray bits in the last character), then strict UTF-8.
    if (btoa(binary) !== padded) return malformed
    decoded = UTF8.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
  } catch {
    return malformed
  }
  const colon = decoded.indexOf(':')
  if (colon === -1) return malformed
  const clientId = formDecode(decoded.slice(0, colon))
  const clientSecret = formDecode(decoded.slice(colon + 1))
  if (clientId === undefined || clientSecret === undefined || clientId === '') return malformed
  return { kind: 'basic', clientId, clientSecret }
}
