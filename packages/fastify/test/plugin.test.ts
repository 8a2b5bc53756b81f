/**
 * Fastify-specific behaviour of the plugin. The protocol answers (status, challenge, principal)
 * for every adapter are pinned by the shared scenario table in `test/scenarios`; these tests cover
 * what only Fastify has: hooks, encapsulation, `request.log`, `inject`.
 */
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import authleteGuard, { authleteGuard as namedPlugin, createGuard, getAuth, type Guard } from '../src/index'
import { unreachableUrl } from '../../../test/support/unreachable'

type Emulator = Awaited<ReturnType<typeof startEmulator>>

let emu: Emulator
let key: DpopKeyPair
let app: FastifyInstance | undefined
let guard: Guard | undefined

beforeAll(async () => {
  emu = await startEmulator({ port: 0 })
  key = await createDpopKeyPair('ES256')
})
afterEach(async () => {
  await app?.close()
  await guard?.close()
  app = undefined
  guard = undefined
})
afterAll(async () => {
  await emu.close()
})

const authlete = () => ({ baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken })

/** Log lines Fastify's pino logger writes, parsed. */
function logCapture() {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      callback()
    },
  })
  return { lines, logger: { level: 'debug', stream } }
}

async function start(options: { trustProxy?: boolean; logger?: object; baseUrl?: string } = {}) {
  guard = createGuard({ authlete: { ...authlete(), ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) } })
  app = Fastify({ trustProxy: options.trustProxy ?? false, logger: options.logger ?? false })
  await app.register(authleteGuard, { guard })
  return app
}

async function listen(instance: FastifyInstance) {
  await instance.listen({ host: '127.0.0.1', port: 0 })
  const { port } = instance.server.address() as { port: number }
  return `http://127.0.0.1:${port}`
}

async function boundToken(scopes = ['profile']) {
  const { accessToken } = await emu.createToken({ subject: 'alice', scopes, dpopKeyThumbprint: key.thumbprint })
  return accessToken
}

describe('@authlete-guard/fastify', () => {
  test('registers as a named fastify-plugin for Fastify 5, default and named export alike', async () => {
    expect(namedPlugin).toBe(authleteGuard)
    expect((authleteGuard as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')]).toBe('@authlete-guard/fastify')
    expect((authleteGuard as unknown as Record<symbol, { fastify?: string }>)[Symbol.for('plugin-meta')]?.fastify).toBe('5.x')
    const instance = await start()
    expect(instance.hasPlugin('@authlete-guard/fastify')).toBe(true)
    expect(instance.hasRequestDecorator('auth')).toBe(true)
  })

  test('refuses to register without a guard (ERR_INVALID_CONFIG)', async () => {
    app = Fastify()
    await expect(app.register(authleteGuard, {} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_CONFIG' })
  })

  test('protect() in an encapsulated child plugin under a prefix: htu carries the full path', async () => {
    const instance = await start()
    await instance.register(
      async (child) => {
        await child.register(async (grandchild) => {
          grandchild.get('/me', { onRequest: grandchild.protect({ scopes: ['profile'] }) }, async (request) => ({ sub: getAuth(request).subject, url: request.url }))
        }, { prefix: '/users' })
      },
      { prefix: '/v2' },
    )
    const url = await listen(instance)
    const accessToken = await boundToken()
    const call = async (htu: string) =>
      fetch(`${url}/v2/users/me`, { headers: { authorization: `DPoP ${accessToken}`, dpop: await createDpopProof(key, { htm: 'GET', htu, accessToken }) } })
    const ok = await call(`${url}/v2/users/me`)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ sub: 'alice', url: '/v2/users/me' })
    expect((await call(`${url}/me`)).status).toBe(401)
  })

  test('works through inject(): htu is http://localhost/... from the injected Host header', async () => {
    const instance = await start()
    instance.get('/api/me', { preHandler: instance.protect({ scopes: ['profile'] }) }, async (request) => ({ sub: request.auth.subject }))
    const accessToken = await boundToken()
    const proof = await createDpopProof(key, { htm: 'GET', htu: 'http://localhost/api/me', accessToken })
    const response = await instance.inject({ method: 'GET', url: '/api/me', headers: { authorization: `DPoP ${accessToken}`, dpop: proof } })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ sub: 'alice' })
  })

  test('onRequest denies before the body is parsed: a malformed JSON body without a token is 401, not 400', async () => {
    const instance = await start()
    let runs = 0
    instance.post('/api/items', { onRequest: instance.protect({ scopes: ['write'] }) }, async () => ++runs)
    const url = await listen(instance)
    const response = await fetch(`${url}/api/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' })
    expect(response.status).toBe(401)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(response.headers.get('www-authenticate')).toMatch(/Bearer/)
    expect(runs).toBe(0)
  })

  test('request.auth is null on routes without protect(); getAuth() there is a 500, not a silent pass', async () => {
    const instance = await start()
    instance.get('/open', async (request) => ({ auth: request.auth }))
    instance.get('/forgot', async (request) => ({ sub: getAuth(request).subject }))
    const url = await listen(instance)
    expect(await (await fetch(`${url}/open`)).json()).toEqual({ auth: null })
    const forgot = await fetch(`${url}/forgot`)
    expect(forgot.status).toBe(500)
  })

  test('Fastify trustProxy decides whether X-Forwarded-Proto/Host make the htu', async () => {
    const accessToken = await boundToken()
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' }
    for (const trustProxy of [true, false]) {
      const instance = await start({ trustProxy })
      instance.get('/api/me', { preHandler: instance.protect({ scopes: ['profile'] }) }, async (request) => ({ sub: getAuth(request).subject }))
      const url = await listen(instance)
      const proof = await createDpopProof(key, { htm: 'GET', htu: 'https://api.example.com/api/me', accessToken })
      const response = await fetch(`${url}/api/me`, { headers: { ...forwarded, authorization: `DPoP ${accessToken}`, dpop: proof } })
      expect(response.status, `trustProxy: ${trustProxy}`).toBe(trustProxy ? 200 : 401)
      await instance.close()
      await guard!.close()
      app = undefined
      guard = undefined
    }
  })

  test('logs through request.log: warn with the error code on a 500, debug on a denial, never the token', async () => {
    const { lines, logger } = logCapture()
    const instance = await start({ logger, baseUrl: await unreachableUrl() })
    let runs = 0
    instance.get('/api/me', { preHandler: instance.protect({ scopes: ['profile'] }) }, async () => ++runs)
    const url = await listen(instance)
    const accessToken = await boundToken()
    const proof = await createDpopProof(key, { htm: 'GET', htu: `${url}/api/me`, accessToken })
    const failed = await fetch(`${url}/api/me`, { headers: { authorization: `DPoP ${accessToken}`, dpop: proof } })
    expect(failed.status).toBe(500)
    expect(runs).toBe(0)
    const denied = await fetch(`${url}/api/me`)
    expect(denied.status).toBe(401)

    const warn = lines.find((line) => line.level === 40)
    expect(warn).toMatchObject({ code: 'ERR_AUTHLETE_UNREACHABLE', status: 500 })
    expect(typeof warn?.reqId).toBe('string') // request.log, not the instance logger
    expect(lines.find((line) => line.level === 20 && line.status === 401)).toBeDefined()
    const all = JSON.stringify(lines)
    expect(all).not.toContain(accessToken)
    expect(all).not.toContain(proof)
  })

  test('a DPoP refusal is logged at debug with the operator reason (htu the guard computed vs the proof\'s)', async () => {
    const { lines, logger } = logCapture()
    const instance = await start({ logger })
    instance.get('/api/me', { preHandler: instance.protect({ scopes: ['profile'] }) }, async () => 'ran')
    const url = await listen(instance)
    const accessToken = await boundToken()
    const proof = await createDpopProof(key, { htm: 'GET', htu: 'https://elsewhere.example/api/me', accessToken })
    const res = await fetch(`${url}/api/me`, { headers: { authorization: `DPoP ${accessToken}`, dpop: proof } })
    expect(res.status).toBe(401)
    expect(await res.text()).not.toContain('elsewhere')
    const line = lines.find((l) => l.level === 20 && l.status === 401)
    expect(line?.reason).toEqual({ check: 'htu', expected: `${url}/api/me`, actual: 'https://elsewhere.example/api/me' })
    expect(JSON.stringify(lines)).not.toContain(proof)
  })

  test('adds the decision headers (DPoP-Nonce) to the route response', async () => {
    const instance = await start()
    instance.get('/api/nonce', { preHandler: instance.protect({ dpopNonceRequired: true }) }, async (request) => ({ sub: getAuth(request).subject }))
    const url = await listen(instance)
    const accessToken = await boundToken()
    const first = await fetch(`${url}/api/nonce`, {
      headers: { authorization: `DPoP ${accessToken}`, dpop: await createDpopProof(key, { htm: 'GET', htu: `${url}/api/nonce`, accessToken }) },
    })
    expect(first.status).toBe(401)
    const nonce = first.headers.get('dpop-nonce')
    expect(nonce).toBeTruthy()
    const second = await fetch(`${url}/api/nonce`, {
      headers: { authorization: `DPoP ${accessToken}`, dpop: await createDpopProof(key, { htm: 'GET', htu: `${url}/api/nonce`, accessToken, nonce: nonce! }) },
    })
    expect(second.status).toBe(200)
    expect(second.headers.get('dpop-nonce')).toBeTruthy()
    expect(await second.json()).toEqual({ sub: 'alice' })
  })
})

describe('route options', () => {
  test('app.protect() checks them when the route is declared', async () => {
    const app = Fastify()
    await app.register(authleteGuard, { guard: { check: async () => { throw new Error('never called') } } as never })
    expect(() => app.protect({ scopes: 'profile' as never })).toThrow(/scopes must be an array/)
    expect(() => app.protect({ maxAge: -1 })).toThrow(/maxAge/)
    expect(() => app.protect({ scopes: ['profile'] })).not.toThrow()
    await app.close()
  })
})

describe('two guards on one route (onRequest and preHandler)', () => {
  test('one proof check, one Authlete call, no false replay; the second hook judges its own scopes', async () => {
    const instance = await start()
    let runs = 0
    instance.get('/stacked', { onRequest: instance.protect({ scopes: ['profile'] }), preHandler: instance.protect({ scopes: ['write'] }) }, async (request) => {
      runs++
      return { sub: getAuth(request).subject }
    })
    const url = await listen(instance)
    const call = async (scopes: string[]) => {
      const { accessToken } = await emu.createToken({ subject: 'alice', scopes, dpopKeyThumbprint: key.thumbprint })
      const dpop = await createDpopProof(key, { htm: 'GET', htu: `${url}/stacked`, accessToken })
      const before = emu.requests.filter((r) => r.path.endsWith('/auth/introspection')).length
      const res = await fetch(`${url}/stacked`, { headers: { authorization: `DPoP ${accessToken}`, dpop } })
      return { status: res.status, calls: emu.requests.filter((r) => r.path.endsWith('/auth/introspection')).length - before }
    }
    expect(await call(['profile', 'write'])).toEqual({ status: 200, calls: 1 })
    expect(await call(['profile'])).toEqual({ status: 403, calls: 1 })
    expect(runs).toBe(1)
  })
})
