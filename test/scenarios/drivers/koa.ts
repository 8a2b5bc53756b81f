import type Koa from 'koa'
import Router from '@koa/router'
import { createGuard } from '@authlete-guard/core'
import { protect } from '@authlete-guard/koa'
import { certificateGuardOptions, FILES_PATTERN, listen, MOUNT_PREFIX, principalOf, routeCounter, ROUTES, type AdapterDriver, type ScenarioRoute } from '../harness'

/** A driver for one Koa major with `@koa/router`: the app is built the same way with Koa 2 and 3. */
export function koaDriver(name: string, KoaClass: typeof Koa): AdapterDriver {
  return {
    name,
    async start({ authlete, trustProxy, publicUrl, clientCertificate, tls }) {
      const guard = createGuard({ authlete, publicUrl, ...certificateGuardOptions(clientCertificate, true) })
      const counter = routeCounter()
      const app = new KoaClass({ proxy: trustProxy })
      const add = (router: Router, route: ScenarioRoute, path: string | RegExp = route.path) => {
        const method = route.method === 'GET' ? 'get' : 'post'
        router[method](path, protect(guard, route.options), (ctx) => {
          counter.hit()
          ctx.body = principalOf(ctx.state.auth)
        })
      }
      const root = new Router()
      for (const route of [ROUTES.me, ROUTES.items, ROUTES.admin, ROUTES.nonce]) add(root, route)
      add(root, ROUTES.files, FILES_PATTERN)
      const mounted = new Router({ prefix: MOUNT_PREFIX })
      add(mounted, ROUTES.mountedMe, ROUTES.mountedMe.mountedAt)
      app.use(root.routes()).use(mounted.routes())
      const server = await listen(app.callback(), () => guard.close(), tls)
      return { url: server.url, routeRuns: counter.count, close: server.close }
    },
  }
}
