import { invalid, rejectUnknownKeys } from '../errors'
import type { RequestLike, TrustProxy } from '../types'
import { certificatesOfPem, fromBase64, isCertificateDer, pemOfBase64, toBase64 } from './certificate'
import { headerValues } from './headers'
import { splitList, splitUnquoted, trustedElementIndex, unquote } from './trust-proxy'

/**
 * How a certificate header is written: `'rfc9440'` (RFC 9440 `Client-Cert`, a byte sequence
 * `:<base64 DER>:`), `'url-pem'` (the PEM, URL-encoded: nginx `$ssl_client_escaped_cert`, AWS ALB
 * `X-Amzn-Mtls-Clientcert`), `'xfcc'` (Envoy `x-forwarded-client-cert`, its `Cert=`).
 *
 * @example
 * const encoding: ClientCertificateEncoding = behindEnvoy ? 'xfcc' : 'rfc9440'
 */
export type ClientCertificateEncoding = 'rfc9440' | 'url-pem' | 'xfcc'

/**
 * Where the guard takes the client's certificate from (RFC 8705 certificate-bound tokens):
 * `'tls'`, the certificate of the server's own TLS socket (`RequestLike.clientCertificate`, which
 * `fromNodeRequest` fills); or a header a TLS-terminating proxy sets, believed only from a peer
 * `trustProxy` trusts. `encoding` defaults to `'rfc9440'` for the `client-cert` header and must be
 * given for any other; `chainHeader` (RFC 9440 only) names the chain's header, by default
 * `client-cert-chain` beside `client-cert`.
 *
 * @example
 * createGuard({ authlete, trustProxy: 1, clientCertificate: { header: 'x-ssl-client-cert', encoding: 'url-pem' } })
 */
export type ClientCertificateSource =
  | 'tls'
  | { header: string; encoding?: ClientCertificateEncoding | undefined; chainHeader?: string | undefined }

/** A `ClientCertificateSource` checked: `'tls'`, or a header with its encoding (names lower-case). */
export type CertificateSource = 'tls' | { header: string; encoding: ClientCertificateEncoding; chainHeader: string | undefined }

/** The certificate a request presented: PEM (for Authlete), DER (for the thumbprint), and the chain when asked for. */
export interface PresentedCertificate {
  pem: string
  der: Uint8Array
  /** The certificates after the leaf, PEM, when `readClientCertificate` was asked for the chain. */
  chain?: string[]
}

/** A certificate, none, or why the request is refused (400 `invalid_request`). */
export type CertificateReading = { ok: true; certificate: PresentedCertificate | undefined } | { ok: false; description: string }

/** Longest certificate header read, bytes (RFC 9440 advises bounds; a P-256 certificate is about 1 KiB). */
export const MAX_CERTIFICATE_HEADER_LENGTH = 16384

const ENCODINGS: readonly string[] = ['rfc9440', 'url-pem', 'xfcc']
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/
const NONE: CertificateReading = { ok: true, certificate: undefined }
const refused = (description: string): CertificateReading => ({ ok: false, description })
const more = (header: string) => `The request has more than one ${header} header.`

function headerName(value: unknown, key: string): string {
  const name = typeof value === 'string' ? value.toLowerCase() : ''
  if (!HEADER_NAME.test(name)) invalid(`clientCertificate.${key} must be a header name, e.g. 'client-cert'.`)
  return name
}

/**
 * Check the guard's `clientCertificate` option (`'tls'` when absent). A header source needs
 * `trustProxy` (`true`, a hop count of at least 1, or a function): each mistake throws `ERR_INVALID_CONFIG`.
 *
 * @example
 * resolveClientCertificateSource({ header: 'Client-Cert' }, 1) // { header: 'client-cert', encoding: 'rfc9440', chainHeader: 'client-cert-chain' }
 */
export function resolveClientCertificateSource(option: unknown, trustProxy: TrustProxy | undefined): CertificateSource {
  if (option === undefined || option === 'tls') return 'tls'
  if (option === null || typeof option !== 'object' || Array.isArray(option)) invalid(`clientCertificate must be 'tls' or { header, encoding? }, e.g. { header: 'client-cert' }.`)
  rejectUnknownKeys(option, ['header', 'encoding', 'chainHeader'], 'clientCertificate')
  const { header, encoding, chainHeader } = option as Exclude<ClientCertificateSource, 'tls'>
  const name = headerName(header, 'header')
  const chosen = encoding ?? (name === 'client-cert' ? 'rfc9440' : undefined)
  if (chosen === undefined) invalid(`clientCertificate { header: '${name}' } needs an encoding: 'rfc9440' (RFC 9440 :base64 DER:), 'url-pem' (URL-encoded PEM: nginx $ssl_client_escaped_cert, AWS ALB X-Amzn-Mtls-Clientcert) or 'xfcc' (Envoy x-forwarded-client-cert).`)
  if (!ENCODINGS.includes(chosen)) invalid(`clientCertificate.encoding must be 'rfc9440', 'url-pem' or 'xfcc'; not ${JSON.stringify(chosen)}.`)
  if (chainHeader !== undefined && chosen !== 'rfc9440') invalid(`clientCertificate.chainHeader goes with encoding 'rfc9440' only (an 'xfcc' element carries its Chain=, a 'url-pem' header the whole chain).`)
  if (trustProxy === undefined || trustProxy === false || trustProxy === 0) {
    invalid(`clientCertificate { header: '${name}' } is believed only from a trusted proxy: set trustProxy too (true, the number of proxies in front of the app, or (address) => boolean for your proxy's address), e.g. createGuard({ ..., clientCertificate: { header: '${name}'${encoding ? `, encoding: '${chosen}'` : ''} }, trustProxy: 1 }).`)
  }
  const chain = chainHeader !== undefined ? headerName(chainHeader, 'chainHeader') : name === 'client-cert' && chosen === 'rfc9440' ? 'client-cert-chain' : undefined
  return { header: name, encoding: chosen, chainHeader: chain }
}

/** Whether `trustProxy` believes the TCP peer's headers at all (a hop count always does; the peer is its nearest proxy). */
function peerTrusted(trust: TrustProxy | undefined, peer: string | undefined): boolean {
  if (trust === true) return true
  if (typeof trust === 'number') return trust >= 1
  return typeof trust === 'function' && trust(peer ?? '', 0)
}

function presented(ders: Uint8Array[], chain: boolean): PresentedCertificate {
  const [leaf, ...rest] = ders
  const certificate: PresentedCertificate = { pem: pemOfBase64(toBase64(leaf!)), der: leaf! }
  if (chain) certificate.chain = rest.map((der) => pemOfBase64(toBase64(der)))
  return certificate
}

/**
 * The certificate `request` presents through `source`. `'tls'`: `RequestLike.clientCertificate`
 * (PEM). A header: only from a peer `trustProxy` trusts (from any other, none, as if no certificate
 * came); one header line at most, at most `MAX_CERTIFICATE_HEADER_LENGTH` bytes, an empty value
 * being none. What does not hold a certificate is refused. PEM out is canonical (64-character lines).
 *
 * @example
 * const reading = readClientCertificate(request, { header: 'client-cert', encoding: 'rfc9440', chainHeader: 'client-cert-chain' }, 1)
 * if (reading.ok && reading.certificate) body.clientCertificate = reading.certificate.pem
 */
export function readClientCertificate(request: RequestLike, source: CertificateSource, trustProxy: TrustProxy | undefined, options: { chain?: boolean } = {}): CertificateReading {
  const chain = options.chain === true
  if (source === 'tls') {
    if (!request.clientCertificate) return NONE
    const ders = certificatesOfPem(request.clientCertificate)
    return ders ? { ok: true, certificate: presented(ders, chain) } : refused('The client certificate is not an X.509 certificate.')
  }
  if (!peerTrusted(trustProxy, request.remoteAddress)) return NONE
  const value = singleValue(request, source.header)
  if (value === undefined || typeof value === 'object') return value ?? NONE
  const ders = decode(source, value, trustProxy, request.remoteAddress, chain)
  if (ders === undefined) return NONE
  if (typeof ders === 'string') return refused(ders)
  if (chain && source.chainHeader !== undefined) {
    const rest = rfc9440Chain(request, source.chainHeader)
    if (typeof rest === 'string') return refused(rest)
    ders.push(...rest)
  }
  return { ok: true, certificate: presented(ders, chain) }
}

/** The one value of a header: `undefined` when absent or empty, the refusal for several lines or too many bytes. */
function singleValue(request: RequestLike, header: string): string | CertificateReading | undefined {
  const values = headerValues(request.headers, header)
  if (values.length > 1) return refused(more(header))
  const value = values[0]?.trim()
  if (!value) return undefined
  if (value.length > MAX_CERTIFICATE_HEADER_LENGTH) return refused(`The ${header} header is longer than ${MAX_CERTIFICATE_HEADER_LENGTH} bytes.`)
  return value
}

/** A header's certificates (leaf first), `undefined` for none, or the refusal's description. */
function decode(source: Exclude<CertificateSource, 'tls'>, value: string, trust: TrustProxy | undefined, peer: string | undefined, chain: boolean): Uint8Array[] | string | undefined {
  const { header, encoding } = source
  if (encoding === 'xfcc') return xfccCertificates(header, value, trust, peer, chain)
  // A comma outside a quoted string never occurs in either form: it is two header lines a fetch `Headers` joined.
  if (encoding === 'url-pem' ? value.includes(',') : splitList(value).length > 1) return more(header)
  if (encoding === 'url-pem') return urlPemCertificates(value) ?? `The ${header} header does not hold a URL-encoded PEM certificate.`
  const der = sfCertificate(value)
  return der ? [der] : `The ${header} header does not hold an RFC 9440 certificate (:base64 DER:).`
}

// RFC 8941 §3.1.2 parameters (`;` key [ "=" bare-item ]), each bare item one of §3.3: an integer
// or decimal, a string, a token, a byte sequence, a boolean (and RFC 9651's date). One pass, no
// backtracking between alternatives: each starts with its own character.
const SF_PARAMETER = String.raw`;\x20*[a-z*][a-z0-9_.*-]*(?:=(?:-?\d{1,15}(?:\.\d{1,3})?|"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*"|[A-Za-z*][!#$%&'*+.^_\x60|~:/A-Za-z0-9-]*|:[A-Za-z0-9+/]*={0,2}:|\?[01]|@-?\d{1,15}))?`
/** RFC 8941 §3.3.5 byte sequence, with parameters (RFC 9440 defines none; any are ignored). */
const SF_BINARY = new RegExp(`^:([A-Za-z0-9+/]*={0,2}):(?:${SF_PARAMETER})*$`)

/** The DER of one RFC 8941 Item, a byte sequence holding a certificate (its parameters ignored), else `undefined`. */
function sfCertificate(item: string): Uint8Array | undefined {
  const match = SF_BINARY.exec(item.trim())
  const der = match ? fromBase64(match[1]!) : undefined
  return der && isCertificateDer(der) ? der : undefined
}

/** RFC 9440 `Client-Cert-Chain`: a list of byte sequences, each with any parameters (header lines joined), or the refusal. */
function rfc9440Chain(request: RequestLike, header: string): Uint8Array[] | string {
  const value = headerValues(request.headers, header).join(',')
  if (value.length > MAX_CERTIFICATE_HEADER_LENGTH) return `The ${header} header is longer than ${MAX_CERTIFICATE_HEADER_LENGTH} bytes.`
  const ders = splitList(value).map(sfCertificate)
  return ders.every((der) => der !== undefined) ? (ders as Uint8Array[]) : `The ${header} header does not hold RFC 9440 certificates (:base64 DER:, ...).`
}

/** A URL-encoded PEM (one certificate, or a chain with the leaf first), or `undefined` (malformed). */
function urlPemCertificates(value: string): Uint8Array[] | undefined {
  let text: string
  try {
    text = decodeURIComponent(value)
  } catch {
    return undefined
  }
  return certificatesOfPem(text)
}

/** The key=value pairs of one XFCC element (keys lower-case, values unquoted; the first of a repeated key). */
function xfccFields(element: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const pair of splitUnquoted(element, ';')) {
    const at = pair.indexOf('=')
    const key = pair.slice(0, at).trim().toLowerCase()
    if (at > 0 && !fields.has(key)) fields.set(key, unquote(pair.slice(at + 1).trim()))
  }
  return fields
}

/**
 * Envoy's `x-forwarded-client-cert`: elements separated by `,`, key=value pairs by `;`, values
 * quoted when they hold `,;=` (RFC 9110 quoted strings, `splitUnquoted`). Each proxy that appends
 * (Envoy's `APPEND_FORWARD`) adds its element on the right, after what came in, which a client may
 * have written. With a hop count `n` the element read is the `n`-th from the right (none with
 * fewer elements); with `true` or a function, which element a proxy wrote is unknown, so more than
 * one element is refused (ambiguous: set `trustProxy` to the number of proxies) and a lone element
 * is read. Its `Cert` (URL-encoded PEM) is the certificate; an element without `Cert` is refused
 * (`Hash` alone is no PEM for Authlete).
 */
function xfccCertificates(header: string, value: string, trust: TrustProxy | undefined, peer: string | undefined, chain: boolean): Uint8Array[] | string | undefined {
  const elements = splitList(value)
  if (typeof trust !== 'number' && elements.length > 1) {
    return `The ${header} header has ${elements.length} elements: which one the proxy wrote is ambiguous. Set trustProxy to the number of proxies in front of the app (the guard then reads the element the outermost of them wrote).`
  }
  const index = trustedElementIndex(trust, peer, elements.length)
  if (index === undefined) return undefined
  const fields = xfccFields(elements[index]!)
  const cert = fields.get('cert')
  if (cert === undefined) return `The ${header} element has no Cert: the proxy must forward the whole certificate (Envoy: set_current_client_cert_details with cert: true).`
  const leaf = urlPemCertificates(cert)
  if (leaf === undefined || leaf.length !== 1) return `The ${header} header does not hold a URL-encoded PEM certificate in Cert.`
  const path = chain && fields.has('chain') ? urlPemCertificates(fields.get('chain')!) : []
  if (path === undefined) return `The ${header} header does not hold URL-encoded PEM certificates in Chain.`
  // Envoy's Chain starts with the leaf itself.
  const intermediates = path.length > 0 && sameBytes(path[0]!, leaf[0]!) ? path.slice(1) : path
  return [leaf[0]!, ...intermediates]
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}
