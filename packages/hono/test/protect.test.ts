import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { createDpopProof } from '@authlete-guard/emulator'
import { beforeAll, describe, expect, it } from 'vitest'
import { itBehavesLikeAnAdapter, itChecksProtectArguments, itServesStackedGuardsOnce, SAMPLE_DENIAL, useAdapterTestbed } from '../../../test/support/adapter-testbed'
import * as surface from '../src/index'
import { getAuth, protect, type AuthEnv, type Guard } from '../src/index'

const bed = useAdapterTestbed()
const { newGuard, serve } = bed

describe('Hono on Node (@hono/node-server)', () => {
  let url: string
  let runs = 0
  let factoryCalls = 0

  beforeAll(async () => {
    const guard = newGuard()
    const app = new Hono<AuthEnv>()
    app.get('/me', protect(guard, { scopes: ['profile'] }), (c) => {
      runs++
      const auth = c.get('auth')
      return c.json({ sub: auth.subject, scopes: auth.scopes, tokenType: auth.tokenType })
    })
    app.get('/nonce', protect(guard, { dpopNonceRequired: true }), (c) => {
      runs++
      return c.json({ sub: c.get('auth').subject })
    })
    app.get('/stacked', protect(guard, { scopes: ['profile'] }), protect(guard, { scopes: ['write'] }), (c) => {
      runs++
      return c.json({ sub: c.get('auth').subject })
    })
    // A guard factory: called once, on the first request (Workers have env only inside a request).
    app.get('/lazy', protect(() => (factoryCalls++, guard)), (c) => {
      runs++
      return c.json({ sub: getAuth(c).subject })
    })
    // A handler that answers with an immutable Response (a fetch result): headers are still added.
    app.get('/raw', protect(guard, { dpopNonceRequired: true }), async () => {
      runs++
      return fetch(`${bed.emu().url}/nowhere`)
    })
    app.get('/unprotected', (c) => c.json({ sub: getAuth(c).subject }))
    const denying: Guard = { ...guard, check: async () => SAMPLE_DENIAL }
    app.get('/denied', protect(denying), () => {
      runs++
      return new Response('route ran')
    })
    const failing: Guard = { ...guard, check: () => Promise.reject(new Error('boom')) }
    app.get('/broken', protect(failing), () => {
      runs++
      return new Response('route ran')
    })
    url = await serve(getRequestListener(app.fetch))
  })

  itBehavesLikeAnAdapter(bed, { url: () => url, runs: () => runs, principal: "c.get('auth')" })
  itServesStackedGuardsOnce(bed, { url: () => url, runs: () => runs })

  it('copies every header of the denial and the body as is, and never runs the route', async () => {
    const before = runs
    const res = await fetch(`${url}/denied`)
    expect(res.status).toBe(400)
    expect(res.headers.get('x-extra')).toBe('1')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.text()).toBe(SAMPLE_DENIAL.allowed ? '' : SAMPLE_DENIAL.body)
    expect(runs).toBe(before)
  })

  it('RFC 9449 §8 DPoP-Nonce reaches a response whose headers are immutable (a fetch result)', async () => {
    const key = bed.key()
    const { accessToken } = await bed.emu().createToken({ subject: 'alice', scopes: [], dpopKeyThumbprint: key.thumbprint })
    const call = async (nonce?: string) =>
      fetch(`${url}/raw`, {
        headers: { authorization: `DPoP ${accessToken}`, dpop: await createDpopProof(key, { htm: 'GET', htu: `${url}/raw`, accessToken, ...(nonce ? { nonce } : {}) }) },
      })
    const nonce = (await call()).headers.get('dpop-nonce')
    expect(nonce).toBeTruthy()
    const before = runs
    const res = await call(nonce!)
    expect(runs - before).toBe(1)
    expect(res.status).toBe(404) // the fetched response, passed on
    expect(res.headers.get('dpop-nonce')).toBeTruthy()
  })

  it('a guard factory is called once, on the first request', async () => {
    const { accessToken } = await bed.emu().createToken({ subject: 'alice', scopes: ['profile'] })
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/lazy`, { headers: { authorization: `Bearer ${accessToken}` } })
      expect(await res.json()).toEqual({ sub: 'alice' })
    }
    expect(factoryCalls).toBe(1)
  })

  it('a guard factory that returns no guard: ERR_INVALID_CONFIG to Hono\'s error handling (500), the route never runs', async () => {
    const errors: unknown[] = []
    let ran = 0
    const app = new Hono<AuthEnv>()
    app.onError((error, c) => (errors.push(error), c.text('failed', 500)))
    app.get('/wrong', protect(() => ({}) as Guard), () => new Response(`route ran ${++ran}`))
    const wrongUrl = await serve(getRequestListener(app.fetch))
    const res = await fetch(`${wrongUrl}/wrong`, { headers: { authorization: 'Bearer x' } })
    expect([res.status, ran]).toEqual([500, 0])
    expect(errors).toEqual([expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringContaining('the guard factory needs to return a guard') })])
  })

  it('an unexpected error goes to Hono\'s error handling (500) and the route never runs', async () => {
    const before = runs
    const res = await fetch(`${url}/broken`, { headers: { authorization: 'Bearer x' } })
    expect(res.status).toBe(500)
    expect(runs).toBe(before)
  })

  it('getAuth on a route without protect() is a 500, not undefined', async () => {
    const res = await fetch(`${url}/unprotected`)
    expect(res.status).toBe(500)
  })

  itChecksProtectArguments(bed, protect)

  it('exports the same set as every adapter, plus its own', () => {
    expect(Object.keys(surface).sort()).toEqual(['AuthleteGuardError', 'authleteOptionsFromEnv', 'createGuard', 'createMemoryReplayStore', 'getAuth', 'isAuthleteGuardError', 'protect', 'resourceMetadata', 'toRequestLike'])
  })
})
