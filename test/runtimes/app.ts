/**
 * The one Hono app the runtime tests run on workerd (worker.ts, bundled by esbuild), Deno and Bun
 * (server.ts), importing the BUILT packages (`@authlete-guard/hono` -> packages/hono/dist):
 *
 * | route             | protection                    | answers                                   |
 * | ----------------- | ----------------------------- | ----------------------------------------- |
 * | GET /api/me       | `{ scopes: ['profile'] }`     | `{ sub, clientId, scopes, tokenType }`    |
 * | GET /api/admin    | `{ scopes: ['admin'] }`       | the same                                  |
 * | GET /route-runs   | none                          | `{ runs }`: how often a protected route ran |
 *
 * The guard comes from a factory, built on the first request from `authleteOptionsFromEnv(env())`:
 * on Workers the bindings exist only inside a request. `env()` returning `undefined` means "the
 * process environment" (Deno, Bun), which is what `authleteOptionsFromEnv()` reads by default.
 */
import { Hono } from 'hono'
import { authleteOptionsFromEnv, createGuard, protect, type AuthEnv, type Guard } from '@authlete-guard/hono'

export type Env = Record<string, string | undefined>

export function createApp(env: () => Env | undefined): Hono<AuthEnv> {
  let guard: Guard | undefined
  // One guard for both routes (each protect() would otherwise call the factory once).
  const guardFactory = () => (guard ??= createGuard({ authlete: authleteOptionsFromEnv(env()) }))
  let runs = 0
  const app = new Hono<AuthEnv>()
  for (const [path, scope] of [['/api/me', 'profile'], ['/api/admin', 'admin']] as const) {
    app.get(path, protect(guardFactory, { scopes: [scope] }), (c) => {
      runs++
      const auth = c.get('auth')
      return c.json({ sub: auth.subject ?? null, clientId: auth.clientId, scopes: auth.scopes, tokenType: auth.tokenType })
    })
  }
  app.get('/route-runs', (c) => c.json({ runs }))
  return app
}
