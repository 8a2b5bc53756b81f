import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Koa3 from 'koa'
import Koa2 from 'koa2'
import Router from '@koa/router'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import * as surface from '../src/index'
import { createGuard, isAuthleteGuardError, protect, toRequestLike, type Decision, type Guard } from '../src/index'

type Emulator = Awaited<ReturnType<typeof startEmulator>>

let emu: Emulator
let key: DpopKeyPair
const servers: Server[] = []
const guards: Guard[] = []

beforeAll(async () => {
  emu = await startEmulator({ port: 0 })
  key = await createDpopKeyPair('ES256')
})

afterAll(async () => {
  for (const server of servers) server.closeAllConnections()
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  await Promise.all(guards.map((g) => g.close()))
  await emu?.close()
})

function newGuard(): Guard {
  const guard = createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken } })
  guards.push(guard)
  return guard
}

async function serve(app: Koa3): Promise<string> {
  const server = createServer(app.callback())
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

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
    const failing: Guard = { ...guard, check: () => Promise.reject(new Error('boom')) }
    router.get('/broken', protect(failing), (ctx) => {
      runs++
      ctx.body = 'route ran'
    })
    app.use(router.routes())
    url = await serve(app)
  })

  it('allows a Bearer token and sets ctx.state.auth for the route', async () => {
    const { accessToken } = await emu.createToken({ subject: 'alice', scopes: ['profile'] })
    const before = runs
    const res = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${accessToken}` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: 'alice', scopes: ['profile'], tokenType: 'Bearer' })
    expect(runs - before).toBe(1)
  })

  it('RFC 6750 §3.1 sends the denial (status, challenge, JSON body) and never runs the route', async () => {
    const before = runs
    const res = await fetch(`${url}/me`, { headers: { authorization: 'Bearer nope' } })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
    expect(res.headers.get('cache-control')).toMatch(/no-store/)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toMatchObject({ error: 'invalid_token' })
    expect(runs).toBe(before)
  })

  it('RFC 9449 §8 puts the decision headers (DPoP-Nonce) on the allowed response', async () => {
    const { accessToken } = await emu.createToken({ subject: 'alice', scopes: [], dpopKeyThumbprint: key.thumbprint })
    const call = async (nonce?: string) =>
      fetch(`${url}/nonce`, {
        headers: {
          authorization: `DPoP ${accessToken}`,
          dpop: await createDpopProof(key, { htm: 'GET', htu: `${url}/nonce`, accessToken, ...(nonce ? { nonce } : {}) }),
        },
      })
    const first = await call()
    expect(first.status).toBe(401)
    const nonce = first.headers.get('dpop-nonce')
    expect(nonce).toBeTruthy()
    const second = await call(nonce!)
    expect(second.status).toBe(200)
    expect(second.headers.get('dpop-nonce')).toBeTruthy()
    expect(await second.json()).toEqual({ sub: 'alice' })
  })

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
  it('protect() refuses invalid route options and a missing guard at start-up', () => {
    const guard = newGuard()
    const codeOf = (fn: () => unknown) => {
      try {
        fn()
      } catch (error) {
        return isAuthleteGuardError(error) ? error.code : 'other'
      }
      return 'none'
    }
    expect(codeOf(() => protect(guard, { scopes: 'profile' as unknown as string[] }))).toBe('ERR_INVALID_CONFIG')
    expect(codeOf(() => protect(undefined as unknown as Guard))).toBe('ERR_INVALID_CONFIG')
    expect(codeOf(() => protect(guard, { scopes: ['profile'] }))).toBe('none')
  })

  it('exports exactly the public surface (no accidental growth)', () => {
    expect(Object.keys(surface).sort()).toEqual([
      'AuthleteGuardError', 'authleteOptionsFromEnv', 'createGuard', 'isAuthleteGuardError', 'protect', 'toRequestLike',
    ])
  })
})

describe('decision mapping', () => {
  it('copies every header of a denial and keeps the JSON Content-Type', async () => {
    const denial: Decision = {
      allowed: false,
      status: 400,
      headers: { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer error="invalid_request"', 'X-Extra': '1' },
      body: '{"error":"invalid_request"}',
      error: 'invalid_request',
      errorDescription: undefined,
    }
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
