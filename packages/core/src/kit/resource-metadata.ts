/**
 * Serving the guard's OAuth 2.0 Protected Resource Metadata (RFC 9728) in one place: which
 * requests ask for it, and the answer to each (status, headers, body), for every framework
 * adapter's `resourceMetadata(guard)` to write its own way. Runtime-neutral (exported from the
 * root entry).
 */
import { AuthleteGuardError, isAuthleteGuardError } from '../errors'
import type { Guard } from '../guard'
import { createReporter } from '../report'
import { requestPath } from '../request/public-url'
import { RESOURCE_METADATA_WELL_KNOWN as WELL_KNOWN } from '../resource/identity'
import type { GuardFactory } from './guard-source'
import { lazyGuard } from './guard-source'
import { checkedMaxAge, metadataAnswer, serialised, unavailableAnswer, type MetadataAnswer, type SerialisedDocument } from './metadata-answer'

/**
 * Default `max-age` of the metadata's `Cache-Control: public, max-age=…`, in seconds: an hour,
 * so clients (and shared caches) need not fetch the document before every authorization, and a
 * changed document (a new authorization server, new scopes) reaches them within the hour.
 *
 * @example
 * app.use(resourceMetadata(guard, { maxAgeSeconds: DEFAULT_RESOURCE_METADATA_MAX_AGE_SECONDS / 4 }))
 */
export const DEFAULT_RESOURCE_METADATA_MAX_AGE_SECONDS = 3600

/** Options of `resourceMetadataResponder`, and of every adapter's `resourceMetadata(guard, options)`. */
export interface ResourceMetadataServeOptions {
  /** `max-age` of `Cache-Control: public, max-age=…`, in seconds (an integer, 0 or more). Default `DEFAULT_RESOURCE_METADATA_MAX_AGE_SECONDS`. */
  maxAgeSeconds?: number
}

/** An answer to send as it is: status, headers, body (`''`: none). */
export type ResourceMetadataAnswer = MetadataAnswer

/**
 * Answers one request: `undefined` when it does not ask for the metadata (the framework goes on),
 * else the answer to send.
 */
export type ResourceMetadataResponder = (request: { method: string; url: string }) => ResourceMetadataAnswer | undefined

/** One guard's document, serialised once, and the paths it is served at. */
interface Served {
  paths: ReadonlySet<string>
  document: SerialisedDocument
}

const servedByGuard = new WeakMap<Guard, Served>()

/**
 * The paths the metadata of `guard` is served at: the path of `guard.resourceMetadataUrl` (RFC
 * 9728 §3.1, e.g. `/.well-known/oauth-protected-resource/mcp`) and `/.well-known/oauth-protected-resource`
 * (one path for a resource without a path). Throws `ERR_INVALID_CONFIG`, naming `where`, for a guard
 * without `resource` or `resourceMetadata`: for adapters that register routes (Fastify).
 *
 * @example
 * for (const url of resourceMetadataPaths(guard, 'my-adapter: resourceMetadata(guard)')) app.get(url, handler)
 */
export function resourceMetadataPaths(guard: Guard, where: string): string[] {
  return [...servedOf(guard, where).paths]
}

function servedOf(guard: Guard, where: string): Served {
  const known = servedByGuard.get(guard)
  if (known) return known
  const url = guard.resourceMetadataUrl
  if (url === undefined) {
    throw new AuthleteGuardError('ERR_INVALID_CONFIG', `${where} needs a guard created with resource and resourceMetadata (createGuard({ ..., resource, resourceMetadata: { authorization_servers } }))`)
  }
  let document: SerialisedDocument
  try {
    document = serialised(guard.resourceMetadata())
  } catch (error) {
    throw new AuthleteGuardError('ERR_INVALID_CONFIG', `${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  const served = { paths: new Set([new URL(url).pathname, WELL_KNOWN]), document }
  servedByGuard.set(guard, served)
  return served
}

/**
 * The metadata endpoint of a guard, as a function of the request: `GET` and `HEAD` at either path
 * (see `resourceMetadataPaths`) get 200 with the document as `application/json` (HEAD: no body),
 * `Cache-Control: public, max-age=<maxAgeSeconds>` and `Access-Control-Allow-Origin: *`; `OPTIONS` gets 204
 * with the CORS headers a browser's preflight needs; another method 405 with `Allow`. Any other
 * path is `undefined`: not answered, the framework goes on. The document is serialised once per guard.
 *
 * A guard given as it is must have `resource` and `resourceMetadata`, or this throws
 * `ERR_INVALID_CONFIG` now (at start-up). A guard factory is called on the first request for
 * the metadata; if it throws or its guard cannot serve the metadata, that request gets 500 (fail
 * closed) and the cause is reported (the guard's `onError`, else `console.warn` once a minute).
 *
 * @example
 * const respond = resourceMetadataResponder(guard, 'my-adapter: resourceMetadata(guard)')
 * server.on('request', (req, res) => {
 *   const answer = respond({ method: req.method!, url: req.url! })
 *   if (answer) return writeDenial(res, answer)
 *   app(req, res)
 * })
 */
export function resourceMetadataResponder(source: Guard | GuardFactory, where: string, options: ResourceMetadataServeOptions = {}): ResourceMetadataResponder {
  const getGuard = lazyGuard(source, where)
  const maxAge = checkedMaxAge(options?.maxAgeSeconds, DEFAULT_RESOURCE_METADATA_MAX_AGE_SECONDS, where)
  if (typeof source !== 'function') servedOf(source, where) // misconfiguration fails at start-up
  const unhandled = createReporter(undefined)
  return (request) => {
    const path = requestPath(request.url)
    if (path !== WELL_KNOWN && !path.startsWith(`${WELL_KNOWN}/`)) return undefined
    let guard: Guard | undefined
    let served: Served
    try {
      guard = getGuard()
      served = servedOf(guard, where)
    } catch (error) {
      const report = guard?.options.onError ? createReporter(guard.options.onError) : unhandled
      // The factory's own error (its message may be anything of the app's) stays the cause.
      const cause = isAuthleteGuardError(error) ? error : new AuthleteGuardError('ERR_CALLBACK_FAILED', `${where}: the guard factory threw`, { cause: error })
      report(cause, 'resource metadata', { method: request.method, url: request.url, headers: {} }, path)
      return unavailableAnswer(UNAVAILABLE_BODY)
    }
    return served.paths.has(path) ? metadataAnswer(request.method.toUpperCase(), served.document, maxAge, 'resource metadata') : undefined
  }
}

/**
 * `resourceMetadataResponder` for fetch-style handlers (Hono, Next.js, Workers): a `Request` in,
 * the answer as a `Response` out, or `undefined` for a request that does not ask for the metadata.
 *
 * @example
 * const respond = resourceMetadataFetchResponder(getGuard, 'my-adapter: resourceMetadata(guard)')
 * export default { fetch: (request: Request) => respond(request) ?? app.fetch(request) }
 */
export function resourceMetadataFetchResponder(source: Guard | GuardFactory, where: string, options?: ResourceMetadataServeOptions): (request: Request) => Response | undefined {
  const respond = resourceMetadataResponder(source, where, options)
  return (request) => {
    const answer = respond({ method: request.method, url: request.url })
    // A 204, and a HEAD, has no body (a Response with status 204 and a body throws).
    return answer && new Response(answer.body === '' ? null : answer.body, { status: answer.status, headers: answer.headers })
  }
}

/** The 500 body of a metadata request whose guard cannot answer it: nothing else is served in its place. */
const UNAVAILABLE_BODY = JSON.stringify({ error: 'server_error', error_description: 'The resource metadata is not available.' })
