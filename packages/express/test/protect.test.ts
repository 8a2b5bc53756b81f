import express5 from 'express'
import express4 from 'express4'
import type { ErrorRequestHandler } from 'express'
import { beforeAll, describe, expect, it } from 'vitest'
import { itBehavesLikeAnAdapter, itChecksProtectArguments, itServesStackedGuardsOnce, useAdapterTestbed, SAMPLE_DENIAL } from '../../../test/support/adapter-testbed'
import * as surface from '../src/index'
import { createGuard, getAuth, protect, toRequestLike, type Decision, type Guard } from '../src/index'

const bed = useAdapterTestbed()
const { newGuard, serve } = bed

/** An error handler that reports what reached `next(err)`. */
const reportError: ErrorRequestHandler = (err, _req, res, _next) => {
  res.status(599).json({ caught: (err as Error).message })
}

describe.each([
  ['Express 5', express5],
  ['Express 4', express4],
] as const)('%s', (_name, express) => {
  let url: string
  let runs = 0

  beforeAll(async () => {
    const guard = newGuard()
    const app = express()
    app.get('/me', protect(guard, { scopes: ['profile'] }), (req, res) => {
      runs++
      res.json({ sub: req.auth?.subject, scopes: req.auth?.scopes, tokenType: req.auth?.tokenType })
    })
    app.get('/nonce', protect(guard, { dpopNonceRequired: true }), (req, res) => {
      runs++
      res.json({ sub: req.auth?.subject })
    })
    app.get('/stacked', protect(guard, { scopes: ['profile'] }), protect(guard, { scopes: ['write'] }), (req, res) => {
      runs++
      res.json({ sub: req.auth.subject })
    })
    const failing: Guard = { ...guard, check: () => Promise.reject(new Error('boom')) }
    app.get('/broken', protect(failing), (_req, res) => {
      runs++
      res.send('route ran')
    })
    app.get('/unprotected', (req, res) => {
      runs++
      res.json({ sub: getAuth(req).subject })
    })
    app.use(reportError)
    url = await serve(app)
  })

  itBehavesLikeAnAdapter(bed, { url: () => url, runs: () => runs, principal: 'req.auth' })
  itServesStackedGuardsOnce(bed, { url: () => url, runs: () => runs })

  it('passes an unexpected error to next(err) and never runs the route', async () => {
    const before = runs
    const res = await fetch(`${url}/broken`, { headers: { authorization: 'Bearer x' } })
    expect(res.status).toBe(599)
    expect(await res.json()).toEqual({ caught: 'boom' })
    expect(runs).toBe(before)
  })

  it('writes a denial exactly as the guard made it: Content-Type without charset, no ETag', async () => {
    const res = await fetch(`${url}/me`, { headers: { authorization: 'Bearer nope' } })
    expect(res.status).toBe(401)
    expect({ contentType: res.headers.get('content-type'), etag: res.headers.get('etag') }).toEqual({ contentType: 'application/json', etag: null })
    expect(await res.json()).toMatchObject({ error: 'invalid_token' })
  })

  it('getAuth on a route without protect() goes to the error handler', async () => {
    const res = await fetch(`${url}/unprotected`)
    expect(res.status).toBe(599)
    expect((await res.json()).caught).toMatch(/add protect\(\) to the route/)
  })

  it('reads scheme and host (port kept) through the app\'s trust proxy setting', async () => {
    const app = express()
    app.get('/origin', (req, res) => res.json(toRequestLike(req).frameworkOrigin))
    app.set('trust proxy', true)
    const trusted = await serve(app)
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com:8443' }
    expect(await (await fetch(`${trusted}/origin`, { headers: forwarded })).json()).toEqual({ protocol: 'https', host: 'api.example.com:8443' })

    const plain = express()
    plain.get('/origin', (req, res) => res.json(toRequestLike(req).frameworkOrigin))
    const untrusted = await serve(plain)
    expect(await (await fetch(`${untrusted}/origin`, { headers: forwarded })).json()).toEqual({ protocol: 'http', host: new URL(untrusted).host })
  })

  it('gives the guard the full original URL under a mount prefix', async () => {
    const app = express()
    const router = express.Router()
    router.get('/me', (req, res) => res.json({ url: toRequestLike(req).url }))
    app.use('/v1', router)
    const base = await serve(app)
    expect(await (await fetch(`${base}/v1/me?x=1`)).json()).toEqual({ url: '/v1/me?x=1' })
  })
})

describe('configuration', () => {
  itChecksProtectArguments(bed, protect)

  it('exports exactly the public surface (no accidental growth)', () => {
    expect(Object.keys(surface).sort()).toEqual([
      'AuthleteGuardError', 'DEFAULT_FORM_BODY_LIMIT', 'authleteOptionsFromEnv', 'authorizationServerMetadata', 'createAuthorizationServer', 'createGuard', 'createMemoryReplayStore', 'getAuth',
      'isAuthleteGuardError', 'parEndpoint', 'protect', 'resourceMetadata', 'sendEndpointResponse', 'toRequestLike', 'tokenEndpoint', 'userinfoEndpoint',
    ])
  })
})

describe('decision mapping', () => {
  it('copies every header of a denial and writes the body as is', async () => {
    const denial = SAMPLE_DENIAL
    const guard: Guard = { ...newGuard(), check: async () => denial }
    const app = express5()
    app.get('/x', protect(guard), (_req, res) => res.send('route ran'))
    const res = await fetch(`${await serve(app)}/x`)
    expect(res.status).toBe(400)
    expect(res.headers.get('x-extra')).toBe('1')
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_request"')
    expect(await res.text()).toBe('{"error":"invalid_request"}')
  })
})
