import Koa3 from 'koa'
import Koa2 from 'koa2'
import Router from '@koa/router'
import { beforeAll, describe, expect, it } from 'vitest'
import { itBehavesLikeAnAdapter, itChecksProtectArguments, itServesStackedGuardsOnce, useAdapterTestbed, SAMPLE_DENIAL } from '../../../test/support/adapter-testbed'
import * as surface from '../src/index'
import { createGuard, protect, toRequestLike, type Decision, type Guard } from '../src/index'

const bed = useAdapterTestbed()
const { newGuard, serve } = bed

describe.each([
  ['Koa 3', Koa3],
  ['Koa 2', Koa2],
] as const)('%s', (_name, Koa) => {
  let url: string
  let runs = 0
  const thrown: unknown[] = []

  beforeAll(async () => {
    const guard = newGuard()
    const app = new Koa()
    app.silent = true
    app.on('error', (err: unknown) => thrown.push(err))
    const router = new Router()
    router.get('/me', protect(guard, { scopes: ['profile'] }), (ctx) => {
      runs++
      ctx.body = { sub: ctx.state.auth.subject, scopes: ctx.state.auth.scopes, tokenType: ctx.state.auth.tokenType }
    })
    router.get('/nonce', protect(guard, { dpopNonceRequired: true }), (ctx) => {
      runs++
      ctx.body = { sub: ctx.state.auth.subject }
    })
    router.get('/stacked', protect(guard, { scopes: ['profile'] }), protect(guard, { scopes: ['write'] }), (ctx) => {
      runs++
      ctx.body = { sub: ctx.state.auth.subject }
    })
    const failing: Guard = { ...guard, check: () => Promise.reject(new Error('boom')) }
    router.get('/broken', protect(failing), (ctx) => {
      runs++
      ctx.body = 'route ran'
    })
    app.use(router.routes())
    url = await serve(app)
  })

  itBehavesLikeAnAdapter(bed, { url: () => url, runs: () => runs, principal: 'ctx.state.auth' })
  itServesStackedGuardsOnce(bed, { url: () => url, runs: () => runs })

  it('throws an unexpected error to Koa (500, app error event) and never runs the route', async () => {
    const before = runs
    thrown.length = 0
    const res = await fetch(`${url}/broken`, { headers: { authorization: 'Bearer x' } })
    expect(res.status).toBe(500)
    expect(thrown).toHaveLength(1)
    expect((thrown[0] as Error).message).toBe('boom')
    expect(runs).toBe(before)
  })

  it('reads scheme and host through app.proxy', async () => {
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com:8443' }
    const trusting = new Koa({ proxy: true })
    trusting.use((ctx) => {
      ctx.body = toRequestLike(ctx).frameworkOrigin
    })
    const trusted = await serve(trusting)
    expect(await (await fetch(`${trusted}/o`, { headers: forwarded })).json()).toEqual({ protocol: 'https', host: 'api.example.com:8443' })

    const plain = new Koa()
    plain.use((ctx) => {
      ctx.body = toRequestLike(ctx).frameworkOrigin
    })
    const untrusted = await serve(plain)
    expect(await (await fetch(`${untrusted}/o`, { headers: forwarded })).json()).toEqual({ protocol: 'http', host: new URL(untrusted).host })
  })

  it('gives the guard the full original URL under a router prefix and a nested router', async () => {
    const app = new Koa()
    const inner = new Router()
    inner.get('/me', (ctx) => {
      ctx.body = { url: toRequestLike(ctx).url }
    })
    const outer = new Router({ prefix: '/v1' })
    outer.use('/api', inner.routes())
    app.use(outer.routes())
    const base = await serve(app)
    expect(await (await fetch(`${base}/v1/api/me?x=1`)).json()).toEqual({ url: '/v1/api/me?x=1' })
  })

  it('keeps the full original URL when a mount rewrites ctx.path (as koa-mount does)', async () => {
    const app = new Koa()
    app.use(async (ctx, next) => {
      if (!ctx.path.startsWith('/v1/')) return
      ctx.path = ctx.path.slice('/v1'.length)
      await next()
    })
    app.use((ctx) => {
      ctx.body = { url: toRequestLike(ctx).url, path: ctx.path }
    })
    const base = await serve(app)
    expect(await (await fetch(`${base}/v1/api/me?x=1`)).json()).toEqual({ url: '/v1/api/me?x=1', path: '/api/me' })
  })
})

describe('configuration', () => {
  itChecksProtectArguments(bed, protect)

  it('exports exactly the public surface (no accidental growth)', () => {
    expect(Object.keys(surface).sort()).toEqual([
      'AuthleteGuardError', 'authleteOptionsFromEnv', 'createGuard', 'createMemoryReplayStore', 'isAuthleteGuardError', 'protect', 'resourceMetadata', 'toRequestLike',
    ])
  })
})

describe('decision mapping', () => {
  it('copies every header of a denial and keeps the JSON Content-Type', async () => {
    const denial = SAMPLE_DENIAL
    const guard: Guard = { ...newGuard(), check: async () => denial }
    const app = new Koa3()
    app.use(protect(guard)).use((ctx) => {
      ctx.body = 'route ran'
    })
    const res = await fetch(`${await serve(app)}/x`)
    expect(res.status).toBe(400)
    expect(res.headers.get('x-extra')).toBe('1')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_request"')
    expect(await res.text()).toBe('{"error":"invalid_request"}')
  })
})
