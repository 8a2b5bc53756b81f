import type express from 'express'
import { createGuard } from '@authlete-guard/core'
import { protect } from '@authlete-guard/express'
import { certificateGuardOptions, FILES_PATTERN, listen, MOUNT_PREFIX, principalOf, routeCounter, ROUTES, type AdapterDriver, type ScenarioRoute } from '../harness'

/** A driver for one Express major: the app is built the same way with Express 4 and 5. */
export function expressDriver(name: string, createExpress: typeof express): AdapterDriver {
  return {
    name,
    async start({ authlete, trustProxy, publicUrl, clientCertificate, tls }) {
      const guard = createGuard({ authlete, publicUrl, ...certificateGuardOptions(clientCertificate, true) })
      const counter = routeCounter()
      const app = createExpress()
      app.set('trust proxy', trustProxy)
      const handle = (route: ScenarioRoute): express.RequestHandler[] => [
        protect(guard, route.options),
        (req, res) => {
          counter.hit()
          res.json(principalOf(req.auth!))
        },
      ]
      const add = (target: express.Router, route: ScenarioRoute, path = route.path) =>
        route.method === 'GET' ? target.get(path, ...handle(route)) : target.post(path, ...handle(route))
      for (const route of [ROUTES.me, ROUTES.items, ROUTES.admin, ROUTES.nonce]) add(app, route)
      app.get(FILES_PATTERN, ...handle(ROUTES.files)) // a RegExp: the same catch-all in Express 4 and 5
      const mounted = createExpress.Router()
      add(mounted, ROUTES.mountedMe, ROUTES.mountedMe.mountedAt)
      app.use(MOUNT_PREFIX, mounted)
      const server = await listen(app, () => guard.close(), tls)
      return { url: server.url, routeRuns: counter.count, close: server.close }
    },
  }
}
