import Fastify, { type FastifyInstance } from 'fastify'
import authleteGuard, { createGuard, getAuth } from '@authlete-guard/fastify'
import { certificateGuardOptions, MOUNT_PREFIX, principalOf, routeCounter, ROUTES, serverTlsOptions, type AdapterDriver, type ScenarioRoute } from '../harness'

/**
 * Fastify 5 through a real `listen` on 127.0.0.1. `/api/me` is protected in `preHandler` (as in
 * the README), the others in `onRequest`; `/v1/api/me` lives in an encapsulated plugin registered
 * with `prefix: '/v1'`. With `tls`, Fastify's own `https` option.
 */
export const fastify: AdapterDriver = {
  name: 'fastify',
  async start({ authlete, trustProxy, publicUrl, clientCertificate, tls }) {
    const guard = createGuard({ authlete, publicUrl, ...certificateGuardOptions(clientCertificate, true) })
    const counter = routeCounter()
    // Fastify's https overload types a different server; the instance is used the same way.
    const app = (tls ? Fastify({ trustProxy, logger: false, https: serverTlsOptions(tls) }) : Fastify({ trustProxy, logger: false })) as FastifyInstance
    await app.register(authleteGuard, { guard })
    const add = (target: FastifyInstance, route: ScenarioRoute, hook: 'onRequest' | 'preHandler', path = route.path) =>
      target.route({
        method: route.method,
        url: path,
        [hook]: target.protect(route.options),
        handler: async (request) => {
          counter.hit()
          return principalOf(getAuth(request))
        },
      })
    add(app, ROUTES.me, 'preHandler')
    for (const route of [ROUTES.items, ROUTES.admin, ROUTES.nonce]) add(app, route, 'onRequest')
    add(app, ROUTES.files, 'onRequest', `${ROUTES.files.catchAll}*`)
    await app.register(
      async (v1) => {
        add(v1, ROUTES.mountedMe, 'preHandler', ROUTES.mountedMe.mountedAt)
      },
      { prefix: MOUNT_PREFIX },
    )
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as { port: number }
    return {
      url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
      routeRuns: counter.count,
      async close() {
        await app.close()
        await guard.close()
      },
    }
  },
}
