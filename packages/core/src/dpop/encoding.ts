import { fromBase64, toBase64 } from '../request/certificate'

const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true })
const UTF8_ENCODER = new TextEncoder()

/** RFC 4648 §5 base64url (no padding) of bytes, without `Buffer`: `toBase64` in the URL alphabet. */
export function base64url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Bytes of a base64url string; `undefined` for anything that is not canonical base64url. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined
  if (text === '') return new Uint8Array(0)
  return fromBase64(text.replace(/-/g, '+').replace(/_/g, '/'))
}

/** The JSON object a base64url segment holds, or `undefined`. */
export function jsonSegment(segment: string): Record<string, unknown> | undefined {
  const bytes = fromBase64url(segment)
  if (!bytes) return undefined
  try {
    const value: unknown = JSON.parse(UTF8_DECODER.decode(bytes))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

export const utf8 = (text: string): Uint8Array<ArrayBuffer> => UTF8_ENCODER.encode(text) as Uint8Array<ArrayBuffer>

/** base64url(SHA-256(text)): `ath` (RFC 9449 §4.2), JWK thumbprints (RFC 7638), cache keys. */
export async function sha256(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(text))))
}
