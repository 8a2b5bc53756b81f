/**
 * The protected resource's identity (RFC 8707, RFC 9728): its identifier checked (and kept as
 * written), the URL of its metadata, and how a token's audience is compared with it (canonical
 * forms). Pure.
 */
import { invalid } from '../errors'

/** The hosts `http` is allowed for in a resource identifier: this machine's. */
const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]']

/**
 * The RFC 9728 §3.1 well-known path segment, inserted before the resource's path (and, alone, the
 * metadata path of a resource without a path). The kit serves the metadata at paths made of it.
 */
export const RESOURCE_METADATA_WELL_KNOWN = '/.well-known/oauth-protected-resource'

/**
 * The canonical form of an `http(s)` URL as RFC 8707 and MCP compare resources: scheme and host
 * lower-case, default port dropped, no fragment, no trailing `/` (so a lone `/` path is dropped
 * too); the query is kept. `undefined` for anything that is not an absolute `http(s)` URL.
 *
 * @example
 * canonicalResource('HTTPS://API.Example.com:443/mcp/') // 'https://api.example.com/mcp'
 * canonicalResource('https://api.example.com/')        // 'https://api.example.com'
 */
export function canonicalResource(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname
  const credentials = url.username || url.password ? `${url.username}${url.password ? `:${url.password}` : ''}@` : ''
  return `${url.protocol}//${credentials}${url.host}${path}${url.search}`
}

/**
 * Whether two resource identifiers name the same resource: equal canonical forms
 * (`canonicalResource`); a value that is not an `http(s)` URL (a URN) only equals itself.
 *
 * @example
 * sameResource('https://API.example.com/mcp/', 'https://api.example.com/mcp') // true
 */
export function sameResource(a: string, b: string): boolean {
  return a === b || (canonicalResource(a) ?? a) === (canonicalResource(b) ?? b)
}

/**
 * A resource identifier as written: `scheme://authority` (no userinfo, backslash or space) and its
 * path, if any (no query or fragment, no space).
 */
const WRITTEN = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\\\s@]+)(\/[^?#\s]*)?$/

/**
 * Check a resource identifier given as configuration and return it as it is (RFC 9728 §3.3: the
 * metadata's `resource` is the identifier exactly): an absolute `https` URL (`http` only for
 * localhost, 127.0.0.1 or [::1]) without query, fragment or credentials, written as a URL parser
 * reads it (visible ASCII; no dot segment, backslash or character it would percent-encode in the path).
 * Anything else throws `ERR_INVALID_CONFIG` naming `name`. `canonicalResource` gives the form
 * tokens' audiences are compared in.
 *
 * @example
 * checkedResource('https://API.example.com/mcp/') // 'https://API.example.com/mcp/'
 */
export function checkedResource(value: unknown, name = 'resource'): string {
  const rule = `${name} must be an absolute https URL (http only for localhost, 127.0.0.1 or [::1]) without query or fragment, e.g. https://api.example.com/mcp`
  if (typeof value !== 'string' || value === '') invalid(`${rule}.`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return invalid(`${rule}; not ${JSON.stringify(value)}, which is not an absolute URL.`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') invalid(`${rule}; not ${JSON.stringify(value)}.`)
  if (value.includes('#')) invalid(`${rule}; ${JSON.stringify(value)} has a fragment (RFC 8707 §2).`)
  if (value.includes('?')) invalid(`${rule}; ${JSON.stringify(value)} has a query.`)
  if (url.username || url.password || /^[^/]*\/\/[^/]*@/.test(value)) invalid(`${name} must not carry credentials.`)
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.includes(url.hostname)) {
    invalid(`${rule}; http is refused for ${url.hostname}: tokens would travel in the clear.`)
  }
  const written = WRITTEN.exec(value)
  if (!written || !/^[\x21-\x7e]+$/.test(value) || (written[2] ?? '/') !== url.pathname) {
    invalid(`${name} is used exactly as written (RFC 9728 §3.3), so write it as a URL reads: ${JSON.stringify(value)} reads as ${JSON.stringify(url.href)} (no dot segments, backslashes, spaces, non-ASCII or characters to percent-encode).`)
  }
  return value
}

/**
 * The URL of a protected resource's metadata (RFC 9728 §3.1): the well-known segment
 * `/.well-known/oauth-protected-resource` inserted between the host and the path of the resource
 * identifier, as written. A terminating slash right after the host (the identifier's whole path
 * being `/`) is removed first; any other path is kept as it is, a trailing slash too. A resource
 * identifier that `createGuard` would refuse throws `ERR_INVALID_CONFIG`.
 *
 * @example
 * protectedResourceMetadataUrl('https://api.example.com/mcp')  // 'https://api.example.com/.well-known/oauth-protected-resource/mcp'
 * protectedResourceMetadataUrl('https://api.example.com/')     // 'https://api.example.com/.well-known/oauth-protected-resource'
 * protectedResourceMetadataUrl('https://api.example.com/mcp/') // 'https://api.example.com/.well-known/oauth-protected-resource/mcp/'
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const [, origin, path = ''] = WRITTEN.exec(checkedResource(resource))!
  return `${origin}${RESOURCE_METADATA_WELL_KNOWN}${path === '/' ? '' : path}`
}
