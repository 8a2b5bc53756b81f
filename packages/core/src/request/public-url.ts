import { headerValues } from './headers'
import { splitList, trustedElementIndex } from './trust-proxy'
import type { RequestLike, TrustProxy } from '../types'

/** Where the guard takes the public origin of a request from, for `htu`. */
export interface PublicUrlOptions {
  /** Fixed public origin, optionally with a path prefix (`https://api.example.com/v1`). */
  publicUrl?: string | undefined
  /** Believe `Forwarded` / `X-Forwarded-*` from the peer (see `TrustProxy`). */
  trustProxy?: TrustProxy | undefined
}

export type PublicUrlResult =
  | { ok: true; htu: string; targetUri: string; path: string }
  | { ok: false; reason: string }

/** A parsed fixed `publicUrl`: normalised origin and a prefix without a trailing slash. */
export interface FixedPublicUrl {
  origin: string
  prefix: string
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' }

// RFC 3986 §3.2.2-3.2.3: IP-literal / IPv4address / reg-name, then an optional port.
// reg-name = *( unreserved / pct-encoded / sub-delims ); no "/", "?", "#", "@" or spaces.
const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|\[v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+)(?::([0-9]*))?$/

/**
 * Validate a host[:port] against RFC 3986 authority syntax (no userinfo) and normalise it for a
 * scheme: host lower-cased, default port dropped. Returns `undefined` when it is not one, or when
 * a WHATWG URL parser would read the host differently (percent-encoded, IPvFuture, bad IDNA).
 */
export function normaliseAuthority(authority: string, scheme: string): string | undefined {
  const match = AUTHORITY.exec(authority)
  if (!match) return undefined
  const host = match[1]!.toLowerCase()
  const port = match[2]?.replace(/^0+(?=\d)/, '')
  if (port !== undefined && Number(port) > 65535) return undefined
  const authorityOut = port === undefined || port === '' || port === DEFAULT_PORTS[scheme] ? host : `${host}:${port}`
  // Also a host every URL parser reads the same way: no percent-encoded or IPvFuture hosts, no
  // invalid IDNA labels, so the client (which builds its htu with a URL parser) and Authlete see
  // exactly the string the guard sends.
  try {
    if (new URL(`${scheme}://${authorityOut}/`).host !== authorityOut) return undefined
  } catch {
    return undefined
  }
  return authorityOut
}

function normaliseScheme(value: string | undefined): string | undefined {
  const scheme = value?.trim().toLowerCase()
  return scheme === 'http' || scheme === 'https' ? scheme : undefined
}

/**
 * Parse and check a `publicUrl` option once, at configuration time.
 * Throws a plain `Error` with the reason; the caller wraps it in a coded error.
 */
export function parseFixedPublicUrl(publicUrl: string): FixedPublicUrl {
  let url: URL
  try {
    url = new URL(publicUrl)
  } catch {
    throw new Error(`publicUrl must be an absolute http(s) URL, got ${JSON.stringify(publicUrl)}`)
  }
  const scheme = normaliseScheme(url.protocol.slice(0, -1))
  if (!scheme) throw new Error('publicUrl must use http or https')
  if (url.search || url.hash || url.username || url.password) {
    throw new Error('publicUrl must not have a query, fragment or credentials')
  }
  return { origin: `${scheme}://${url.host}`, prefix: url.pathname.replace(/\/+$/, '') }
}

/** Split a request target into its path and query (no fragment), keeping the path as received. */
function splitTarget(target: string): { path: string; query: string; absolute?: { scheme: string; authority: string } } | undefined {
  let rest = target
  let absolute: { scheme: string; authority: string } | undefined
  const abs = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(target)
  if (abs) {
    absolute = { scheme: abs[1]!.toLowerCase(), authority: abs[2]! }
    rest = target.slice(abs[0].length) || '/'
  }
  const hash = rest.indexOf('#')
  if (hash !== -1) rest = rest.slice(0, hash)
  if (!rest.startsWith('/')) {
    if (rest.startsWith('?')) rest = `/${rest}`
    else return undefined
  }
  const q = rest.indexOf('?')
  const path = q === -1 ? rest : rest.slice(0, q)
  const query = q === -1 ? '' : rest.slice(q + 1)
  // Control characters or spaces can never be part of a valid request-target.
  if (/[\u0000-\u0020\u007f]/.test(path) || /[\u0000-\u0020\u007f]/.test(query)) return undefined
  return absolute ? { path, query, absolute } : { path, query }
}

// A "." or ".." segment, raw or percent-encoded (`%2e`, `.%2E`, ...), or a backslash, which URL
// parsers read as "/". Frameworks route on the raw path while Authlete (and any URL parser)
// compares htu normalised: `/files/../api/admin` would let a proof for `/api/admin` run the
// `/files/*` route. RFC 3986 §6.2.2.3 says a client removes dot segments before it sends.
const DOT_SEGMENT_OR_BACKSLASH = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)|\\/i

/** True when a path has a dot segment or a backslash (refused: see `resolvePublicUrl`). */
export function hasDotSegment(path: string): boolean {
  return DOT_SEGMENT_OR_BACKSLASH.test(path)
}

/** The path of a request target (origin-form or absolute), as received; `'/'` when it has none. */
export function requestPath(target: string): string {
  return splitTarget(target)?.path ?? '/'
}

/** RFC 7239 `Forwarded`: the trusted element's `proto` and `host`, only when it has both. */
function fromForwarded(values: string[], trust: TrustProxy | undefined, peer: string | undefined) {
  const elements = values.flatMap(splitList)
  const index = trustedElementIndex(trust, peer, elements.length)
  if (index === undefined) return undefined
  const params: Record<string, string> = {}
  for (const pair of elements[index]!.split(';')) {
    const eq = pair.indexOf('=')
    if (eq === -1) continue
    const key = pair.slice(0, eq).trim().toLowerCase()
    let value = pair.slice(eq + 1).trim()
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1).replace(/\\(.)/g, '$1')
    params[key] = value
  }
  if (params.proto === undefined || params.host === undefined) return undefined
  return { scheme: params.proto, authority: params.host }
}

/** `X-Forwarded-Host` with the scheme from `X-Forwarded-Proto` (else the socket's). */
function fromXForwarded(request: RequestLike, trust: TrustProxy | undefined) {
  const hosts = headerValues(request.headers, 'x-forwarded-host').flatMap(splitList)
  const protos = headerValues(request.headers, 'x-forwarded-proto').flatMap(splitList)
  const hostIndex = trustedElementIndex(trust, request.remoteAddress, hosts.length)
  const protoIndex = trustedElementIndex(trust, request.remoteAddress, protos.length)
  if (hostIndex === undefined && protoIndex === undefined) return undefined
  return {
    scheme: protoIndex === undefined ? undefined : protos[protoIndex]!,
    authority: hostIndex === undefined ? undefined : hosts[hostIndex]!,
  }
}

/**
 * The public URL of a request, as `htu` (scheme://host[:port]/path: lower-case scheme and host,
 * default port dropped, no query, no fragment, path as received) and `targetUri` (`htu` plus the
 * query). The origin comes from, in order: `publicUrl`; when `trustProxy` accepts the peer,
 * RFC 7239 `Forwarded` (proto and host) or `X-Forwarded-Proto` / `X-Forwarded-Host`; the
 * framework's own resolution (`frameworkOrigin`) when `trustProxy` is not set; the socket
 * (`encrypted`) and `Host`. A path with a dot segment (`/a/../b`, `%2e%2e`) or a backslash is
 * refused: the framework would route it raw while `htu` is compared normalised.
 *
 * @example
 * resolvePublicUrl({ method: 'GET', url: '/me?x=1', headers: { host: 'API.example.com:443' }, encrypted: true })
 * // { ok: true, htu: 'https://api.example.com/me', targetUri: 'https://api.example.com/me?x=1', path: '/me' }
 */
export function resolvePublicUrl(
  request: RequestLike,
  options: PublicUrlOptions & { fixed?: FixedPublicUrl | undefined } = {},
): PublicUrlResult {
  const target = splitTarget(request.url)
  if (!target) return { ok: false, reason: 'The request target is not a valid path.' }
  if (hasDotSegment(target.path)) return { ok: false, reason: 'The request path has a dot segment or a backslash.' }
  const finish = (origin: string, prefix = '') => {
    const htu = `${origin}${prefix}${target.path}`
    return { ok: true as const, htu, targetUri: target.query ? `${htu}?${target.query}` : htu, path: target.path }
  }

  const fixed = options.fixed ?? (options.publicUrl === undefined ? undefined : parseFixedPublicUrl(options.publicUrl))
  if (fixed) return finish(fixed.origin, fixed.prefix)

  let scheme: string | undefined
  let authority: string | undefined
  const trust = options.trustProxy
  if (trust !== undefined && trust !== false) {
    const forwarded = fromForwarded(headerValues(request.headers, 'forwarded'), trust, request.remoteAddress)
    const x = forwarded ? undefined : fromXForwarded(request, trust)
    const found = forwarded ?? x
    if (found) {
      if (found.scheme !== undefined) {
        scheme = normaliseScheme(found.scheme)
        if (!scheme) return { ok: false, reason: 'The forwarded protocol is not http or https.' }
      }
      authority = found.authority
    }
  } else if (trust === undefined && request.frameworkOrigin) {
    scheme = normaliseScheme(request.frameworkOrigin.protocol.replace(/:$/, ''))
    if (!scheme) return { ok: false, reason: 'The request protocol is not http or https.' }
    authority = request.frameworkOrigin.host
  }

  const hosts = headerValues(request.headers, 'host')
  if (hosts.length > 1) return { ok: false, reason: 'The request has more than one Host header.' }
  scheme ??= target.absolute && hosts.length === 0 ? normaliseScheme(target.absolute.scheme) : request.encrypted ? 'https' : 'http'
  if (!scheme) return { ok: false, reason: 'The request URL is not http or https.' }
  authority ??= hosts[0] ?? target.absolute?.authority
  if (authority === undefined || authority === '') return { ok: false, reason: 'The request has no Host header.' }
  const host = normaliseAuthority(authority.trim(), scheme)
  if (!host) return { ok: false, reason: 'The request host is not a valid RFC 3986 authority.' }
  return finish(`${scheme}://${host}`)
}
