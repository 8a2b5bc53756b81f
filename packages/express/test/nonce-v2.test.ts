// Issue 19, point 6b: Authlete API V2 has no DPoP nonces, so a route that requires one cannot be
// enforced there. protect(v2Guard, { dpopNonceRequired: true }) throws ERR_INVALID_CONFIG when the
// app is built, instead of serving a route whose nonce nobody checks.
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startEmulator } from '@authlete-guard/emulator'
import { createGuard, protect, type Guard, type RouteOptions } from '../src/index'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
let emu: Emulator
let v2: Guard
let v3: Guard
let server: import('node:http').Server | undefined

beforeAll(async () => {
  emu = await startEmulator()
  v2 = createGuard({ authlete: { baseUrl: emu.url, apiKey: emu.apiKey, apiSecret: emu.apiSecret } })
  v3 = createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken } })
})
afterAll(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  await Promise.all([v2?.close(), v3?.close()])
  await emu?.close()
})

it('protect(v2Guard, { dpopNonceRequired: true }) throws ERR_INVALID_CONFIG naming the reason; a V3 guard takes the route', () => {
  const route: RouteOptions = { dpopNonceRequired: true }
  expect(v2.authlete.apiVersion).toBe('V2')
  expect(() => protect(v2, route)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringMatching(/Authlete API V2 has no DPoP nonces.*Use API V3/) }))
  expect(typeof protect(v3, route)).toBe('function')
})

it('the V2 guard still protects routes without a required nonce (a real request through Authlete V2)', async () => {
  const app = express()
  app.get('/me', protect(v2, { scopes: ['read'] }), (req, res) => void res.json({ sub: req.auth.subject }))
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server!.once('listening', resolve))
  const { accessToken } = await emu.createToken({ subject: 'alice', scopes: ['read'] })
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/me`, { headers: { authorization: `Bearer ${accessToken}` } })
  expect([res.status, await res.json()]).toEqual([200, { sub: 'alice' }])
  expect(emu.requests.at(-1)?.path).toBe('/api/auth/introspection')
})
