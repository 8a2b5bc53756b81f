/**
 * The contract between the scenario runner and the framework drivers.
 *
 * A driver starts a real app of its framework on 127.0.0.1 with the adapter's `protect` on these
 * routes (every driver exposes exactly these, so every scenario runs unchanged on every adapter):
 *
 * | method | path           | route options                 | answers (200, JSON)                      |
 * |--------|----------------|-------------------------------|------------------------------------------|
 * | GET    | /api/me        | `{ scopes: ['profile'] }`     | `principalOf(auth)`                      |
 * | POST   | /api/items     | `{ scopes: ['write'] }`       | `principalOf(auth)`                      |
 * | GET    | /api/admin     | `{ scopes: ['admin'] }`       | `principalOf(auth)`                      |
 * | GET    | /api/nonce     | `{ dpopNonceRequired: true }` | `principalOf(auth)`                      |
 * | GET    | /v1/api/me     | `{ scopes: ['profile'] }`     | `principalOf(auth)`; the `/api/me` route |
 * |        |                |                               | mounted under `/v1` the framework's way  |
 * |        |                |                               | (Express `app.use('/v1', router)`, Koa   |
 * |        |                |                               | router prefix, Fastify prefix, Next dir) |
 * | GET    | /files/*       | `{ scopes: ['profile'] }`     | `principalOf(auth)`: a catch-all (every  |
 * |        |                |                               | path under `/files/`, raw), the weaker   |
 * |        |                |                               | route a dot segment would reach          |
 *
 * `ROUTES` below is that table as data. Every route handler calls `app.routeRuns` bookkeeping
 * (`counter.hit()`), so the runner can assert that a denied request never reached the route.
 * The guard is created by the driver with `createGuard({ authlete, publicUrl })` and no explicit
 * `trustProxy`: trust follows the framework's own setting, which `trustProxy` switches on.
 */
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AccessTokenInfo, AuthleteOptions, RouteOptions } from '@authlete-guard/core'

/** A running app under test. */
export interface ScenarioApp {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string
  /** How many times any route handler ran since the app started. */
  routeRuns(): number
  /** Stop the server and close the guard. */
  close(): Promise<void>
}

/** One framework adapter, as the scenario runner sees it. */
export interface AdapterDriver {
  /** `'express5'`, `'express4'`, `'koa3'`, `'koa2'`, later `'fastify'`, `'next'`. */
  name: string
  /**
   * Start a real app on 127.0.0.1:0 with a guard on `authlete`. `trustProxy: true` means the
   * framework's own proxy-trust setting is on (Next: the guard's `trustProxy`). `publicUrl` is
   * passed to `createGuard`.
   */
  start(options: { authlete: AuthleteOptions; trustProxy: boolean; publicUrl?: string }): Promise<ScenarioApp>
}

/** A route every driver's app exposes. */
export interface ScenarioRoute {
  method: 'GET' | 'POST'
  /** Path as the client requests it. */
  path: string
  /** Path of the route inside the mounted sub-router (`/api/me` for `/v1/api/me`), else `path`. */
  mountedAt?: string
  /** A catch-all route: every path that starts with this prefix (`/files/`), as the framework routes it. */
  catchAll?: string
  options: RouteOptions
}

/** The routes of the table above. */
export const ROUTES = {
  me: { method: 'GET', path: '/api/me', options: { scopes: ['profile'] } },
  items: { method: 'POST', path: '/api/items', options: { scopes: ['write'] } },
  admin: { method: 'GET', path: '/api/admin', options: { scopes: ['admin'] } },
  nonce: { method: 'GET', path: '/api/nonce', options: { dpopNonceRequired: true } },
  mountedMe: { method: 'GET', path: '/v1/api/me', mountedAt: '/api/me', options: { scopes: ['profile'] } },
  files: { method: 'GET', path: '/files/report', catchAll: '/files/', options: { scopes: ['profile'] } },
} as const satisfies Record<string, ScenarioRoute>

/** `ROUTES.files` as a RegExp, for frameworks that route on one (Express 4 and 5, `@koa/router`). */
export const FILES_PATTERN = /^\/files\/.*/

/** The prefix `ROUTES.mountedMe` is mounted under. */
export const MOUNT_PREFIX = '/v1'

/** What every protected route answers with: the same JSON in every framework. */
export interface Principal {
  sub: string | null
  clientId: number
  scopes: string[]
  tokenType: 'DPoP' | 'Bearer'
}

/** The route's JSON answer for an allowed request. */
export function principalOf(auth: AccessTokenInfo): Principal {
  return { sub: auth.subject ?? null, clientId: auth.clientId, scopes: auth.scopes, tokenType: auth.tokenType }
}

/** Counts route runs for `ScenarioApp.routeRuns`. */
export function routeCounter(): { hit(): void; count(): number } {
  let runs = 0
  return { hit: () => void runs++, count: () => runs }
}

/**
 * Serve `listener` on 127.0.0.1:0. `close` also drops keep-alive connections so the test run ends
 * promptly, then runs `cleanup` (e.g. `guard.close()`).
 */
export async function listen(
  listener: RequestListener,
  cleanup: () => Promise<void> = async () => {},
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await cleanup()
    },
  }
}
