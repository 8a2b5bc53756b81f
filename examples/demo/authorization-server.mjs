import express from 'express'
import { tokenEndpoint } from '@authlete-guard/express'
import { listen } from './apps/listen.mjs'

/**
 * A minimal authorization server: only the token endpoint, which passes the form body, the DPoP
 * proof, htm/htu and the client's credentials to Authlete's /auth/token (RFC 9449 §5).
 */
export async function startAuthorizationServer(as, { port = 0 } = {}) {
  const app = express()
  app.post('/token', tokenEndpoint(as))
  return listen(app.listen(port, '127.0.0.1'))
}
