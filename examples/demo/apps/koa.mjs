import Koa from 'koa'
import Router from '@koa/router'
import { protect } from '@authlete-guard/koa'
import { listen } from './listen.mjs'
import { ROUTES, principal } from './routes.mjs'

/** The protected API with Koa and @koa/router: `protect(guard, routeOptions)` before each route. */
export async function startApi({ guard, port = 0 }) {
  const app = new Koa()
  const router = new Router()
  for (const { path, options } of ROUTES) {
    router.get(path, protect(guard, options), (ctx) => {
      ctx.body = principal(ctx.state.auth)
    })
  }
  app.use(router.routes())
  return listen(app.listen(port, '127.0.0.1'))
}
