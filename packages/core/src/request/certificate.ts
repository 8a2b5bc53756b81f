/**
 * X.509 certificates as bytes and text, without Node: a minimal DER check (is it a Certificate
 * SEQUENCE?), standard base64, and PEM in and out. Pure; the root entry and `/node` share it.
 */

/** A DER element: its tag, where its content starts, and where it ends. */
interface Element {
  tag: number
  start: number
  end: number
}

/** The DER element at `offset` (definite length, at most 4 length bytes), or `undefined` when it does not fit. */
function elementAt(der: Uint8Array, offset: number, limit: number): Element | undefined {
  if (offset + 2 > limit) return undefined
  const tag = der[offset]!
  let length = der[offset + 1]!
  let start = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    if (count === 0 || count > 4 || start + count > limit) return undefined
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!
    start += count
  }
  const end = start + length
  return end <= limit ? { tag, start, end } : undefined
}

/**
 * Whether `der` is shaped as an X.509 Certificate (RFC 5280 §4.1): one SEQUENCE filling the bytes,
 * holding a SEQUENCE (tbsCertificate), a SEQUENCE (signatureAlgorithm) and a BIT STRING
 * (signatureValue), nothing else. A sanity check on what a proxy forwarded, not a validation:
 * Authlete parses the certificate.
 *
 * @example
 * isCertificateDer(new Uint8Array([0x30, 0x00])) // false: an empty SEQUENCE
 */
export function isCertificateDer(der: Uint8Array): boolean {
  const outer = elementAt(der, 0, der.length)
  if (!outer || outer.tag !== 0x30 || outer.end !== der.length) return false
  const tbs = elementAt(der, outer.start, outer.end)
  const algorithm = tbs && tbs.tag === 0x30 ? elementAt(der, tbs.end, outer.end) : undefined
  const signature = algorithm && algorithm.tag === 0x30 ? elementAt(der, algorithm.end, outer.end) : undefined
  return signature !== undefined && signature.tag === 0x03 && signature.end === outer.end
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** Bytes of standard base64 (RFC 4648 §4; padding optional); `undefined` for anything else. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) return undefined
  let binary: string
  try {
    binary = atob(text)
  } catch {
    return undefined
  }
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** Standard base64 (padded) of bytes, without `Buffer`. */
export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!)
  return btoa(binary)
}

/**
 * The PEM of a certificate given as base64 DER: lines of 64 characters between the `CERTIFICATE`
 * markers, no final newline. What Authlete receives as `clientCertificate`, from every source.
 *
 * @example
 * pemOfBase64(der.toString('base64')) // '-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----'
 */
export function pemOfBase64(base64: string): string {
  return `-----BEGIN CERTIFICATE-----\n${base64.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----`
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g

/**
 * The DER of each `CERTIFICATE` block of a PEM text, in order; `undefined` when there is none, when
 * anything but blocks and whitespace is there, or when a block is not a certificate (`isCertificateDer`).
 *
 * @example
 * certificatesOfPem(readFileSync('chain.pem', 'utf8'))?.length // 2: leaf and intermediate
 */
export function certificatesOfPem(text: string): Uint8Array[] | undefined {
  const found: Uint8Array[] = []
  const rest = text.replace(PEM_BLOCK, (_block, body: string) => {
    const der = fromBase64(body.replace(/\s+/g, ''))
    found.push(der && isCertificateDer(der) ? der : new Uint8Array(0))
    return ''
  })
  if (found.length === 0 || rest.trim() !== '' || found.some((der) => der.length === 0)) return undefined
  return found
}
