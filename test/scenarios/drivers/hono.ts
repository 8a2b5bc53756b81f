import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import type { AddressInfo } from 'node:net'
import { createGuard, protect, type AuthEnv } from '@authlete-guard/hono'
import { certificateGuardOptions, MOUNT_PREFIX, principalOf, routeCounter, ROUTES, type AdapterDriver, type ScenarioRoute } from '../harness'

/**
 * Hono 4 on Node through `@hono/node-server` on 127.0.0.1 (the runtime tests run the same app on
 * workerd, Deno and Bun). `/v1/api/me` is a sub-app mounted with `app.route('/v1', ...)`. Hono has
 * no proxy-trust setting of its own, so `trustProxy` goes to the guard.
 */
export const hono: AdapterDriver = {
  name: 'hono',
  lacks: {
    peerAddress: "protect() hands the guard a fetch Request, with no peer address: the guard cannot tell the proxy from a client connecting directly (the header is trusted here with trustProxy: true)",
    tls: "protect() hands the guard a fetch Request, not the TLS socket: clientCertificate 'tls' finds no certificate",
  },
  async start({ authlete, trustProxy, publicUrl, clientCertificate }) {
    const guard = createGuard({ authlete, publicUrl, trustProxy, ...certificateGuardOptions(clientCertificate, false) })
    const counter = routeCounter()
    const app = new Hono<AuthEnv>()
    const add = (target: Hono<AuthEnv>, route: ScenarioRoute, path: string = route.path) =>
      target.on(route.method, path, protect(guard, route.options), (c) => {
        counter.hit()
        return c.json(principalOf(c.get('auth')))
      })
    for (const route of [ROUTES.me, ROUTES.items, ROUTES.admin, ROUTES.nonce]) add(app, route)
    add(app, ROUTES.files, `${ROUTES.files.catchAll}*`)
    const v1 = new Hono<AuthEnv>()
    add(v1, ROUTES.mountedMe, ROUTES.mountedMe.mountedAt)
    app.route(MOUNT_PREFIX, v1)
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
    })
    const { port } = server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      routeRuns: counter.count,
      async close() {
        ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
        await new Promise<void>((resolve) => server.close(() => resolve()))
        await guard.close()
      },
    }
  },
}
