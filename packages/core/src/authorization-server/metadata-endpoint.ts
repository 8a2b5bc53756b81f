/**
 * Serving the authorization server's metadata (RFC 8414, OpenID Connect Discovery) in one place:
 * which requests ask for it and the answer to each, for every framework adapter to write its own
 * way (Express: `authorizationServerMetadata(as)`).
 */
import { AuthleteGuardError } from '../errors'
import { checkedMaxAge, metadataAnswer, serialised, unavailableAnswer } from '../kit/metadata-answer'
import { requestPath } from '../request/public-url'
import type { RequestLike } from '../types'
import { authorizationServerMetadataPaths } from './metadata'
import { SERVER_ERROR_BODY } from './response'
import type { AuthorizationServer, EndpointResponse } from './types'

/**
 * Default `max-age` of the metadata's `Cache-Control: public, max-age=…`, in seconds: an hour, as
 * for the protected resource metadata. A changed service setting reaches clients within it.
 *
 * @example
 * app.use(authorizationServerMetadata(as, { maxAgeSeconds: DEFAULT_METADATA_MAX_AGE_SECONDS / 4 }))
 */
export const DEFAULT_METADATA_MAX_AGE_SECONDS = 3600

/** Options of `authorizationServerMetadataResponder`, and of the adapters' `authorizationServerMetadata(as, options)`. */
export interface AuthorizationServerMetadataOptions {
  /** `max-age` of `Cache-Control: public, max-age=…`, in seconds (an integer, 0 or more). Default `DEFAULT_METADATA_MAX_AGE_SECONDS`. */
  maxAgeSeconds?: number | undefined
}

/** The paths every issuer's metadata is served at (an issuer with a path adds its own forms). */
const ROOT_PATHS: readonly string[] = authorizationServerMetadataPaths('')

/**
 * Whether a path may be a metadata path of some issuer (a root path with the issuer's path after it,
 * or the issuer's path before `/.well-known/openid-configuration`): only the document's `issuer` can tell.
 */
const maybeMetadataPath = (path: string): boolean => ROOT_PATHS.some((root) => path.startsWith(root)) || path.endsWith(ROOT_PATHS[1]!)

/** What the 405 answer's `error_description` calls the document. */
const WHAT = 'authorization server metadata'

/**
 * The metadata endpoint of an authorization server, as a function of the request. At
 * `/.well-known/oauth-authorization-server` and `/.well-known/openid-configuration` (and, for an
 * issuer with a path, its forms: `authorizationServerMetadataPaths`), `GET` and `HEAD` get 200
 * with `as.metadata()` as `application/json` (HEAD: no body), `Cache-Control: public,
 * max-age=<maxAgeSeconds>` and `Access-Control-Allow-Origin: *`; `OPTIONS` gets 204 with the
 * CORS headers of a preflight; another method 405 with `Allow`. Any other path resolves to
 * `undefined`: the framework goes on. When Authlete does not give the document the answer is a
 * generic 500 (`no-store`) and the cause goes to the server's `onError`. A bad `maxAgeSeconds`
 * throws `ERR_INVALID_CONFIG` here (at start-up).
 *
 * @example
 * const respond = authorizationServerMetadataResponder(as)
 * const answer = await respond(fromNodeRequest(req))
 * if (answer) return writeDenial(res, answer)
 */
export function authorizationServerMetadataResponder(
  as: AuthorizationServer,
  options: AuthorizationServerMetadataOptions = {},
): (request: RequestLike) => Promise<EndpointResponse | undefined> {
  if (!as || typeof as.metadata !== 'function') throw new AuthleteGuardError('ERR_INVALID_CONFIG', 'authorization server metadata needs a server from createAuthorizationServer()')
  const maxAge = checkedMaxAge(options?.maxAgeSeconds, DEFAULT_METADATA_MAX_AGE_SECONDS, WHAT)
  return async (request) => {
    const path = requestPath(request.url)
    const root = ROOT_PATHS.includes(path)
    if (!root && !maybeMetadataPath(path)) return undefined
    const method = request.method.toUpperCase()
    // A preflight at a root path needs no document; elsewhere the issuer's path decides.
    if (root && method === 'OPTIONS') return metadataAnswer(method, serialised({}), maxAge, WHAT)
    let document: Record<string, unknown>
    try {
      document = await as.metadata(request)
    } catch {
      return unavailableAnswer(SERVER_ERROR_BODY) // nothing about the cause
    }
    if (!root && !authorizationServerMetadataPaths(String(document.issuer)).includes(path)) return undefined
    return metadataAnswer(method, serialised(document), maxAge, WHAT)
  }
}
