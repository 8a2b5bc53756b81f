import { hasGet } from '../authlete/client'
import { AuthleteGuardError, asGuardError, invalid } from '../errors'
import type { Reporter } from '../report'
import { requestPath } from '../request/public-url'
import type { AuthleteClient, RequestLike } from '../types'

/**
 * How long `as.metadata()` keeps the discovery document from Authlete's `/service/configuration`,
 * in milliseconds: every client's discovery would otherwise be one Authlete call. Failures are
 * never kept. Set `metadataTtlMs: 0` to ask Authlete every time.
 *
 * @example
 * createAuthorizationServer({ authlete, metadataTtlMs: DEFAULT_METADATA_TTL_MS * 5 }) // five minutes
 */
export const DEFAULT_METADATA_TTL_MS = 60_000

/** Largest `metadataTtlMs`: one day. */
const MAX_METADATA_TTL_MS = 86_400_000

/** The Authlete API that builds the discovery document from the service settings. */
const CONFIGURATION_PATH = '/service/configuration'

/** The well-known paths every issuer's metadata is served at, whatever its path (RFC 8414 §3, OpenID Connect Discovery §4). */
const ROOT_PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'] as const

/**
 * The paths an authorization server's metadata is fetched at: `/.well-known/oauth-authorization-server`
 * and `/.well-known/openid-configuration`; for an issuer with a path (`https://as.example.com/tenant`)
 * also the RFC 8414 §3.1 form (`/.well-known/oauth-authorization-server/tenant`), the same
 * insertion for `openid-configuration`, and OpenID Connect Discovery §4.1's
 * `/tenant/.well-known/openid-configuration`, which clients such as MCP's try in turn.
 *
 * @example
 * authorizationServerMetadataPaths('https://as.example.com/tenant')
 * // ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration',
 * //  '/.well-known/oauth-authorization-server/tenant', '/.well-known/openid-configuration/tenant', '/tenant/.well-known/openid-configuration']
 */
export function authorizationServerMetadataPaths(issuer: string): string[] {
  let path = ''
  try {
    path = new URL(issuer).pathname.replace(/\/+$/, '')
  } catch {
    // Not a URL: the root paths only.
  }
  if (path === '') return [...ROOT_PATHS]
  return [...ROOT_PATHS, `${ROOT_PATHS[0]}${path}`, `${ROOT_PATHS[1]}${path}`, `${path}${ROOT_PATHS[1]}`]
}

/** Check `metadataTtlMs` (at start-up): a whole number of milliseconds from 0 to one day. */
export function resolveMetadataTtl(value: unknown): number {
  if (value === undefined) return DEFAULT_METADATA_TTL_MS
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_METADATA_TTL_MS) {
    invalid('metadataTtlMs must be a whole number of milliseconds from 0 to 86400000.')
  }
  return value
}

/** The document, or the coded reason it is not one (RFC 8414 §2 requires `issuer`). */
function checkedDocument(reply: Record<string, unknown>): Record<string, unknown> {
  if (typeof reply.issuer !== 'string' || reply.issuer === '') {
    throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', `Authlete's ${CONFIGURATION_PATH} reply is not a discovery document: it has no issuer.`)
  }
  return reply
}

/** `as.metadata()`: the discovery document, see {@link createMetadataSource}. */
export type MetadataSource = (request?: RequestLike) => Promise<Record<string, unknown>>

/**
 * The authorization server's `metadata()`: `GET /service/configuration` (the API version's path),
 * the parsed discovery document, kept `ttlMs` in this process. Concurrent calls share one
 * Authlete call; each caller gets its own copy. A failure is never kept: it rejects with a coded
 * `AuthleteGuardError` (a transport or HTTP failure as for every Authlete call;
 * `ERR_AUTHLETE_INVALID_RESPONSE` for a reply without `issuer`; `ERR_INVALID_CONFIG` for an
 * `authlete` client without `get`) and, when the call serves a `request`, is reported (`onError`,
 * operation `'metadata'`) as every endpoint's 500 is.
 */
export function createMetadataSource(authlete: AuthleteClient, ttlMs: number, report: Reporter, now: () => number = () => Date.now()): MetadataSource {
  let kept: { document: Record<string, unknown>; until: number } | undefined
  let pending: Promise<Record<string, unknown>> | undefined

  const fetchDocument = async (): Promise<Record<string, unknown>> => {
    if (!hasGet(authlete)) {
      throw new AuthleteGuardError('ERR_INVALID_CONFIG', 'as.metadata() needs an Authlete client with get(): pass authlete options or a client from createAuthleteClient.')
    }
    const document = checkedDocument(await authlete.get(CONFIGURATION_PATH))
    if (ttlMs > 0) kept = { document, until: now() + ttlMs }
    return document
  }

  const current = (): Promise<Record<string, unknown>> => {
    if (kept && kept.until > now()) return Promise.resolve(kept.document)
    pending ??= fetchDocument().finally(() => {
      pending = undefined
    })
    return pending
  }

  return async (request) => {
    try {
      return structuredClone(await current())
    } catch (error) {
      const cause = asGuardError(error, 'authorization server metadata request')
      if (request) report(cause, 'metadata', request, requestPath(request.url))
      throw cause
    }
  }
}
