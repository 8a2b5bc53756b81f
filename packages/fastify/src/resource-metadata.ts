import type { FastifyPluginAsync, HTTPMethods } from 'fastify'
import fp from 'fastify-plugin'
import { assertGuard, resourceMetadataPaths, resourceMetadataResponder } from '@authlete-guard/core'
import { sendFastifyDenial } from '@authlete-guard/core/node'
import type { Guard, ResourceMetadataServeOptions } from '@authlete-guard/core'

const WHERE = '@authlete-guard/fastify: resourceMetadata(guard)'

/**
 * The methods the metadata routes take: GET, HEAD (registered itself, so Fastify adds no HEAD
 * route of its own) and OPTIONS are answered; the others get 405 with `Allow`, not Fastify's 404.
 */
const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE']

/**
 * A Fastify plugin that serves the guard's OAuth 2.0 Protected Resource Metadata (RFC 9728): it
 * registers one route at the path of `guard.resourceMetadataUrl` (e.g.
 * `/.well-known/oauth-protected-resource/mcp`) and one at `/.well-known/oauth-protected-resource`,
 * answering `GET` and `HEAD` as cacheable `application/json` with `Access-Control-Allow-Origin: *`,
 * `OPTIONS` as a CORS preflight, and `POST`, `PUT`, `PATCH`, `DELETE` with 405. The routes are
 * the root's whatever `prefix` the plugin is registered with (the well-known paths are the
 * origin's). The guard needs `resource` and `resourceMetadata`, or this throws
 * `ERR_INVALID_CONFIG` (at start-up). Independent of the `authleteGuard` plugin.
 *
 * @example
 * const guard = createGuard({ authlete: authleteOptionsFromEnv(), resource: 'https://api.example.com/mcp', resourceMetadata: { authorization_servers: ['https://as.example.com'] } })
 * await app.register(authleteGuard, { guard })
 * await app.register(resourceMetadata(guard))
 */
export function resourceMetadata(guard: Guard, options?: ResourceMetadataServeOptions): FastifyPluginAsync {
  assertGuard(guard, WHERE)
  const respond = resourceMetadataResponder(guard, WHERE, options)
  const paths = resourceMetadataPaths(guard, WHERE)
  const plugin: FastifyPluginAsync = async (app) => {
    for (const path of paths) {
      app.route({
        method: METHODS,
        // find-my-way reads ':' as a parameter; '::' is a literal colon.
        url: path.replaceAll(':', '::'),
        exposeHeadRoute: false,
        handler: async (request, reply) => {
          const answer = respond({ method: request.method, url: request.url })
          // Only a path Fastify matched loosely (ignoreTrailingSlash, a case-insensitive router) is not ours.
          return answer ? sendFastifyDenial(reply, answer) : reply.callNotFound()
        },
      })
    }
  }
  return fp(plugin, { name: '@authlete-guard/fastify:resource-metadata', fastify: '5.x' })
}
