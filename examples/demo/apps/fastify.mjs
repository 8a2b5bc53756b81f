import Fastify from 'fastify'
import authleteGuard from '@authlete-guard/fastify'
import { ROUTES, principal } from './routes.mjs'

/** The protected API with Fastify: register the plugin, then `app.protect(routeOptions)` as a preHandler. */
export async function startApi({ guard, port = 0 }) {
  const app = Fastify()
  await app.register(authleteGuard, { guard })
  for (const { path, options } of ROUTES) {
    app.get(path, { preHandler: app.protect(options) }, async (request) => principal(request.auth))
  }
  const url = await app.listen({ port, host: '127.0.0.1' })
  return { url, close: () => app.close() }
}
