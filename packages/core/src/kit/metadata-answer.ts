/**
 * The answers of a metadata endpoint that clients discover (RFC 9728 protected resource metadata,
 * RFC 8414 authorization server metadata), in one place: `GET` and `HEAD` as cacheable JSON open
 * to any origin, `OPTIONS` as a CORS preflight, 405 for the other methods, 500 when the document
 * cannot be had. Pure, runtime-neutral: the kit's `resourceMetadataResponder` and the
 * authorization server's `authorizationServerMetadataResponder` both answer with it.
 */
import { AuthleteGuardError } from '../errors'

/** The methods a metadata endpoint answers, for `Allow` and `Access-Control-Allow-Methods`. */
export const METADATA_METHODS = 'GET, HEAD, OPTIONS'

/**
 * The request headers a browser client may send: the MCP SDK's client sends `MCP-Protocol-Version`
 * with its metadata requests (and retries without it only after a failed preflight).
 */
const ALLOWED_HEADERS = 'MCP-Protocol-Version'

/** How long a browser may reuse a preflight answer (browsers cap it: Chrome at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 86_400

/** An answer to send as it is: status, headers, body (`''`: none). */
export interface MetadataAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

/** A document serialised once: its JSON and that JSON's length in bytes (`Content-Length`). */
export interface SerialisedDocument {
  json: string
  length: string
}

/** Serialise a metadata document once, for every answer that carries it. */
export function serialised(document: unknown): SerialisedDocument {
  const json = JSON.stringify(document)
  return { json, length: String(new TextEncoder().encode(json).byteLength) }
}

/**
 * `maxAgeSeconds` checked (an integer, 0 or more), `fallback` when it is not given; anything else
 * throws `ERR_INVALID_CONFIG` naming `where` (at start-up).
 */
export function checkedMaxAge(value: unknown, fallback: number, where: string): number {
  if (value === undefined) return fallback
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
  throw new AuthleteGuardError('ERR_INVALID_CONFIG', `${where}: maxAgeSeconds must be an integer number of seconds, 0 or more; not ${String(value)}`)
}

/**
 * The answer of `method` (upper-case) at a metadata path: `GET` and `HEAD` 200 with the document
 * (`HEAD`: same headers, no body), `Cache-Control: public, max-age=<maxAge>` and
 * `Access-Control-Allow-Origin: *`; `OPTIONS` 204 with the preflight's CORS headers; any other
 * method 405 with `Allow`, its JSON body naming `what` ("resource metadata").
 */
export function metadataAnswer(method: string, document: SerialisedDocument, maxAge: number, what: string): MetadataAnswer {
  if (method === 'GET' || method === 'HEAD') {
    const headers = {
      'Content-Type': 'application/json',
      'Content-Length': document.length,
      'Cache-Control': `public, max-age=${maxAge}`,
      'Access-Control-Allow-Origin': '*',
    }
    return { status: 200, headers, body: method === 'GET' ? document.json : '' }
  }
  if (method === 'OPTIONS') {
    const headers = {
      Allow: METADATA_METHODS,
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': METADATA_METHODS,
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_SECONDS),
    }
    return { status: 204, headers, body: '' }
  }
  const body = JSON.stringify({ error: 'method_not_allowed', error_description: `The ${what} answers ${METADATA_METHODS}.` })
  return { status: 405, headers: { Allow: METADATA_METHODS, 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' }, body }
}

/**
 * The fail-closed answer of a metadata path whose document cannot be had: 500 with `body` (JSON),
 * `Cache-Control: no-store` (never kept in place of the document) and `Access-Control-Allow-Origin: *`.
 */
export function unavailableAnswer(body: string): MetadataAnswer {
  return { status: 500, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Access-Control-Allow-Origin': '*' }, body }
}
