import { resourceMetadataFetchResponder } from '@authlete-guard/core'
import type { Guard, GuardFactory, ResourceMetadataServeOptions } from '@authlete-guard/core'

/** One App Router route handler of the metadata route. */
export type ResourceMetadataRouteHandler = (request: Request) => Promise<Response>

/**
 * The route handlers `resourceMetadata` returns, one per method: export them from the route file.
 * All are the same handler; the method decides the answer.
 */
export interface ResourceMetadataRoute {
  GET: ResourceMetadataRouteHandler
  HEAD: ResourceMetadataRouteHandler
  OPTIONS: ResourceMetadataRouteHandler
  POST: ResourceMetadataRouteHandler
  PUT: ResourceMetadataRouteHandler
  PATCH: ResourceMetadataRouteHandler
  DELETE: ResourceMetadataRouteHandler
}

/**
 * The App Router route handlers that serve the guard's OAuth 2.0 Protected Resource Metadata
 * (RFC 9728). Export them from `app/.well-known/oauth-protected-resource/[[...path]]/route.ts`:
 * the optional catch-all answers both `/.well-known/oauth-protected-resource` and the path of
 * `guard.resourceMetadataUrl` (e.g. `/.well-known/oauth-protected-resource/mcp`) with `GET` and
 * `HEAD` as cacheable `application/json` with `Access-Control-Allow-Origin: *`, and `OPTIONS` as a
 * CORS preflight; any other path under it gets 404. Export `POST`, `PUT`, `PATCH` and `DELETE` too
 * for a 405 with `Allow` (Next's own 405 for a method the file does not export has none).
 *
 * `guard` may be a function returning the guard (`GuardFactory`, as for `withAuth`): it is called
 * on the first request, so `next build` needs no `AUTHLETE_*`; if it cannot serve the metadata,
 * that request gets 500 and the cause goes to the guard's `onError`. A guard given as it is needs
 * `resource` and `resourceMetadata`, or this throws `ERR_INVALID_CONFIG` when the module loads.
 * Runs in the Node.js and the edge runtime.
 *
 * @example
 * // app/.well-known/oauth-protected-resource/[[...path]]/route.ts
 * import { resourceMetadata } from '@authlete-guard/next'
 * import { getGuard } from '@/lib/guard'
 *
 * export const { GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE } = resourceMetadata(getGuard)
 */
export function resourceMetadata(guard: Guard | GuardFactory, options?: ResourceMetadataServeOptions): ResourceMetadataRoute {
  const respond = resourceMetadataFetchResponder(guard, '@authlete-guard/next: resourceMetadata(guard)', options)
  const handler: ResourceMetadataRouteHandler = async (request) => respond(request) ?? new Response(null, { status: 404 })
  return { GET: handler, HEAD: handler, OPTIONS: handler, POST: handler, PUT: handler, PATCH: handler, DELETE: handler }
}
