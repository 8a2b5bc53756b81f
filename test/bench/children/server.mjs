// The Express 5 server under test, one variant per process. The parent brackets each timed
// window with mark-start / mark-end and gets this process's CPU time and request count for it.
import http from 'node:http'
import { pathToFileURL } from 'node:url'
import express from 'express'
import { Pool } from 'undici'
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer'
import { serve } from '../lib/ipc.mjs'

const config = JSON.parse(process.env.BENCH_SERVER)
const { variant, emu, jwt, publicUrl, replayMaxEntries } = config
// The adapter (and with it the core) of this checkout, or of another one (run.mjs: BENCH_BUILDS).
const { createGuard, createMemoryReplayStore, protect } = await import(config.adapter ? pathToFileURL(config.adapter).href : '@authlete-guard/express')
const route = { scopes: ['read'] }
const closers = []

function authleteMiddleware() {
  switch (variant) {
    case 'bare':
      return []
    case 'cacheOff':
    case 'cacheOn': {
      const guard = createGuard({
        authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken },
        publicUrl,
        cache: variant === 'cacheOn',
        // Every proof of the whole run stays inside its iat window: size the store for all of them.
        replay: createMemoryReplayStore({ maxEntries: replayMaxEntries }),
      })
      closers.push(() => guard.close())
      return [protect(guard, route)]
    }
    case 'auth0':
      return [auth({ issuerBaseURL: jwt.issuerBaseURL, audience: jwt.audience, dpop: { enabled: true, required: true } }), requiredScopes('read')]
    case 'undici': {
      // What a user writes without the SDK: one undici Pool (its defaults), POST JSON, parse, check action.
      const pool = new Pool(emu.url)
      closers.push(() => pool.close())
      const path = `/api/${emu.serviceId}/auth/introspection`
      const headers = { authorization: `Bearer ${emu.accessToken}`, 'content-type': 'application/json' }
      return [
        async (req, res, next) => {
          const authorization = req.headers.authorization
          const dpop = req.headers.dpop
          if (typeof authorization !== 'string' || !authorization.startsWith('DPoP ') || typeof dpop !== 'string') {
            res.status(401).set('www-authenticate', 'DPoP algs="ES256"').end()
            return
          }
          try {
            const body = JSON.stringify({ token: authorization.slice(5), scopes: route.scopes, dpop, htm: req.method, htu: `${publicUrl}${req.path}` })
            const reply = await pool.request({ method: 'POST', path, headers, body })
            const result = await reply.body.json()
            if (reply.statusCode !== 200) {
              res.status(500).end()
              return
            }
            if (result.action !== 'OK') {
              res.status(result.action === 'FORBIDDEN' ? 403 : result.action === 'BAD_REQUEST' ? 400 : 401)
              if (result.responseContent) res.set('www-authenticate', result.responseContent)
              res.end()
              return
            }
            req.auth = { subject: result.subject }
            next()
          } catch (error) {
            next(error)
          }
        },
      ]
    }
    default:
      throw new Error(`unknown variant ${variant}`)
  }
}

const app = express()
const subjectOf = (req) => req.auth?.subject ?? req.auth?.payload?.sub ?? 'anonymous'
app.get('/api/me', ...authleteMiddleware(), (req, res) => {
  res.json({ sub: subjectOf(req) })
})

// express-oauth2-jwt-bearer reports denials as errors carrying status and headers: answer them
// (quietly: Express's default handler would log every stack).
app.use((error, req, res, next) => {
  res.status(error.status ?? 500)
  if (error.headers) res.set(error.headers)
  res.json({ error: error.code ?? 'server_error' })
})

const server = http.createServer(app)
server.keepAliveTimeout = 60_000
let requests = 0
server.on('request', () => {
  requests++
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))

let mark
serve({
  'mark-start'() {
    mark = { cpu: process.cpuUsage(), requests, at: performance.now() }
    return true
  },
  'mark-end'() {
    const cpu = process.cpuUsage(mark.cpu)
    return { cpuMicros: cpu.user + cpu.system, requests: requests - mark.requests, ms: performance.now() - mark.at }
  },
  memory() {
    return process.memoryUsage()
  },
  async exit() {
    setImmediate(async () => {
      server.closeAllConnections?.()
      server.close()
      for (const close of closers) await close().catch(() => {})
      process.exit(0)
    })
  },
})

process.send({ event: 'ready', port: server.address().port })
