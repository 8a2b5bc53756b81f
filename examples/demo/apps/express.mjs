import express from 'express'
import { protect } from '@authlete-guard/express'
import { listen } from './listen.mjs'
import { ROUTES, principal } from './routes.mjs'

/** The protected API with Express: `protect(guard, routeOptions)` before each route. */
export async function startApi({ guard, port = 0 }) {
  const app = express()
  for (const { path, options } of ROUTES) {
    app.get(path, protect(guard, options), (req, res) => res.json(principal(req.auth)))
  }
  return listen(app.listen(port, '127.0.0.1'))
}
