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
 *
 * Client certificates (RFC 8705): with `clientCertificate` (a header source) the driver adds
 * `certificateGuardOptions(...)` to the guard: the header is believed from `PROXY_ADDRESS` only,
 * the source address the runner connects from when a scenario plays the proxy; with `tls` the app
 * is served by `node:https` asking for a client certificate (`serverTlsOptions`), and the guard
 * keeps its default source `'tls'`. A driver that cannot carry a kind of scenario says why in
 * `lacks`, and the runner skips those scenarios with that reason.
 */
import { createServer, type RequestListener, type Server } from 'node:http'
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { AccessTokenInfo, AuthleteOptions, ClientCertificateSource, RouteOptions, TrustProxy } from '@authlete-guard/core'

/** A running app under test. */
export interface ScenarioApp {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string
  /** How many times any route handler ran since the app started. */
  routeRuns(): number
  /** Stop the server and close the guard. */
  close(): Promise<void>
}

/**
 * What a scenario may need from a driver beyond plain HTTP. `peerAddress`: the adapter gives the
 * guard the TCP peer's address (`RequestLike.remoteAddress`), so a `trustProxy` function can tell
 * the proxy from a client connecting directly. `tls`: the app can be served over TLS and the
 * adapter hands the guard the TLS socket's client certificate (`clientCertificate: 'tls'`).
 */
export type Capability = 'peerAddress' | 'tls'

/** The TLS material of an app served by `node:https`: its certificate and key, and the CA its clients' certificates come from. */
export interface ServerTls {
  key: string
  cert: string
  ca: string
}

/** Options of `AdapterDriver.start`. */
export interface StartOptions {
  authlete: AuthleteOptions
  trustProxy: boolean
  publicUrl?: string
  /** A certificate header the guard reads (`clientCertificate`), believed from `PROXY_ADDRESS` only: see `certificateGuardOptions`. */
  clientCertificate?: ClientCertificateSource
  /** Serve over TLS, asking every client for a certificate (`serverTlsOptions`); the app's `url` is then `https://`. */
  tls?: ServerTls
}

/** One framework adapter, as the scenario runner sees it. */
export interface AdapterDriver {
  /** `'express5'`, `'express4'`, `'koa3'`, `'koa2'`, later `'fastify'`, `'next'`. */
  name: string
  /**
   * Start a real app on 127.0.0.1:0 with a guard on `authlete`. `trustProxy: true` means the
   * framework's own proxy-trust setting is on (Next: the guard's `trustProxy`). `publicUrl` is
   * passed to `createGuard`; `clientCertificate` and `tls` as described on `StartOptions`.
   */
  start(options: StartOptions): Promise<ScenarioApp>
  /** The capabilities this driver lacks, each with the reason; scenarios that need one are skipped with it. */
  lacks?: Partial<Record<Capability, string>>
}

/** The source address the runner connects from when a scenario plays the TLS-terminating proxy (Linux binds all of 127.0.0.0/8). */
export const PROXY_ADDRESS = '127.0.0.2'

/**
 * The guard options for a certificate header: `clientCertificate`, and `trustProxy` believing only
 * `PROXY_ADDRESS` where the adapter gives the guard the peer's address (`peerAddress`); where it
 * does not (a fetch `Request` has none), `true`: every request is taken as the proxy's, which is
 * right only when nothing reaches the app around the proxy. No certificate header: no options.
 */
export function certificateGuardOptions(source: ClientCertificateSource | undefined, peerAddress: boolean): { clientCertificate?: ClientCertificateSource; trustProxy?: TrustProxy } {
  if (source === undefined) return {}
  return { clientCertificate: source, trustProxy: peerAddress ? (address: string) => address === PROXY_ADDRESS : true }
}

/** `node:https` options asking for a client certificate, and letting a connection without one through (the guard judges). */
export function serverTlsOptions(tls: ServerTls): ServerTls & Pick<HttpsServerOptions, 'requestCert' | 'rejectUnauthorized'> {
  return { key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true, rejectUnauthorized: false }
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
  /** `auth.certificateThumbprint`, only for a certificate-bound token: the certificate it is bound to. */
  certificateThumbprint?: string
}

/** The route's JSON answer for an allowed request. */
export function principalOf(auth: AccessTokenInfo): Principal {
  const principal: Principal = { sub: auth.subject ?? null, clientId: auth.clientId, scopes: auth.scopes, tokenType: auth.tokenType }
  if (auth.certificateThumbprint !== undefined) principal.certificateThumbprint = auth.certificateThumbprint
  return principal
}

/** Counts route runs for `ScenarioApp.routeRuns`. */
export function routeCounter(): { hit(): void; count(): number } {
  let runs = 0
  return { hit: () => void runs++, count: () => runs }
}

/**
 * Serve `listener` on 127.0.0.1:0, over TLS with `tls` (`serverTlsOptions`). `close` also drops
 * keep-alive connections so the test run ends promptly, then runs `cleanup` (e.g. `guard.close()`).
 */
export async function listen(
  listener: RequestListener,
  cleanup: () => Promise<void> = async () => {},
  tls?: ServerTls,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server: Server = tls ? createHttpsServer(serverTlsOptions(tls), listener) : createServer(listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    server,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await cleanup()
    },
  }
}
