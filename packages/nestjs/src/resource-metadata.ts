import { resourceMetadataResponder } from '@authlete-guard/core'
import type { Guard, ResourceMetadataResponder, ResourceMetadataServeOptions } from '@authlete-guard/core'
import { writeDenial } from '@authlete-guard/core/node'
import type { IncomingMessage, ServerResponse } from 'node:http'

/** Injection token of the metadata responder (`null`: the module does not serve the metadata). */
export const RESOURCE_METADATA = Symbol.for('@authlete-guard/nestjs:resource-metadata')

/**
 * The responder of the module's `resourceMetadata` option, or `null` without it. Throws
 * `ERR_INVALID_CONFIG` (the application does not start) when the option is on and the guard has no
 * `resource` or `resourceMetadata`.
 */
export function metadataResponderOf(guard: Guard, option: boolean | ResourceMetadataServeOptions | undefined, call: string): ResourceMetadataResponder | null {
  if (option === undefined || option === false) return null
  return resourceMetadataResponder(guard, `@authlete-guard/nestjs: AuthleteGuardModule.${call}({ resourceMetadata })`, option === true ? {} : option)
}

/** What `resourceMetadataMiddleware` is called with: Node's request (Express's, or Fastify's raw one) and response. */
type NodeRequest = IncomingMessage & { originalUrl?: string }

/**
 * The middleware `AuthleteGuardModule` puts on the HTTP server itself (`httpAdapter.use`) when
 * `resourceMetadata` is on: it answers the metadata requests and passes every other request on.
 * On the server, not through Nest's `MiddlewareConsumer`, because those are mounted under the
 * global prefix (`app.setGlobalPrefix('api')`), while the well-known paths are the origin's.
 */
export function resourceMetadataMiddleware(respond: ResourceMetadataResponder): (req: NodeRequest, res: ServerResponse, next: () => void) => void {
  return function authleteResourceMetadata(req, res, next) {
    const answer = respond({ method: req.method ?? 'GET', url: req.originalUrl ?? req.url ?? '/' })
    if (answer) writeDenial(res, answer)
    else next()
  }
}
