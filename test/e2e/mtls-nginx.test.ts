/**
 * Certificate-bound tokens (RFC 8705) end to end, behind a real TLS-terminating proxy (issue 22,
 * point 4): nginx (test/support/nginx.ts) verifies the client certificate and forwards it as
 * `X-SSL-Client-Cert` (URL-encoded PEM) and RFC 9440 `Client-Cert`, in front of a real Express app
 * and a real Fastify app; the emulator plays Authlete and binds the tokens to client A's
 * certificate (`emu.createToken({ certificateThumbprint })`).
 *
 * Each app protects one route per certificate source, each with its own guard (`cache: true`):
 * `/url-pem/accounts` (`{ header: 'x-ssl-client-cert', encoding: 'url-pem' }`),
 * `/rfc9440/accounts` (`{ header: 'client-cert' }`) and `/tls/accounts` (`'tls'`, for the app
 * served directly over TLS by `node:https` with `requestCert`).
 *
 * Telling nginx from a client that connects to the app directly: both run on this machine, so
 * nginx opens its upstream connections from 127.0.0.2 (`proxy_bind`) and the header guards trust
 * that peer only (`trustProxy: (address) => address === '127.0.0.2'`); a direct client connects
 * from 127.0.0.1. Every request the app receives is recorded (peer address, certificate headers)
 * before the guard runs, so each case also shows what reached the app.
 *
 * A status table of every case is printed after the file (no token, no certificate in it).
 */
import express from 'express'
import Fastify, { type FastifyInstance } from 'fastify'
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { Agent, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGuard as createExpressGuard, protect, type ClientCertificateSource, type Guard } from '@authlete-guard/express'
import authleteGuard, { createGuard as createFastifyGuard, getAuth } from '@authlete-guard/fastify'
import { startEmulator } from '@authlete-guard/emulator'
import { removeTestCertificates, testCertificates, type TestCertificate, type TestCertificates } from '../support/certs'
import { startNginx, type Nginx } from '../support/nginx'

type Emulator = Awaited<ReturnType<typeof startEmulator>>

/** The source address of nginx's upstream connections, and the only peer the header guards trust. */
const NGINX_ADDRESS = '127.0.0.2'
const trustNginx = (address: string) => address === NGINX_ADDRESS
const TIMEOUT_MS = 5000

/** The header forms nginx forwards, each the `clientCertificate` of one route's guard. */
const HEADER_SOURCES = {
  'url-pem': { header: 'x-ssl-client-cert', encoding: 'url-pem' },
  rfc9440: { header: 'client-cert' },
} as const satisfies Record<string, ClientCertificateSource>
type HeaderForm = keyof typeof HEADER_SOURCES
/** How a client would forge each header, sending it straight to the app. */
const forged = (form: HeaderForm, certificate: TestCertificate): Record<string, string> =>
  form === 'url-pem' ? { 'x-ssl-client-cert': encodeURIComponent(certificate.certPem) } : { 'client-cert': `:${certificate.derBase64}:` }

/** What the app received, recorded before the guard runs. */
interface Arrival {
  peer: string | undefined
  certificateHeaders: string[]
}

/** A running app: behind nginx (plain HTTP from 127.0.0.2), reachable directly, and served over TLS. */
interface Deployment {
  framework: 'express' | 'fastify'
  nginx: Nginx
  /** `http://127.0.0.1:PORT`: the app nginx proxies to, which a client may also reach directly. */
  http: string
  /** `https://127.0.0.1:PORT`: the same app served by node:https with requestCert, no nginx. */
  https: string
  arrivals: Arrival[]
}

let emu: Emulator
let certs: TestCertificates
let a: TestCertificate
let b: TestCertificate
const deployments: Deployment[] = []
const cleanups: Array<() => Promise<unknown>> = []
const agents = new Map<string, Agent>()
/** One row per request, printed after the file. */
const rows: string[][] = []

beforeAll(async () => {
  ;[emu, certs] = await Promise.all([startEmulator({ port: 0 }), testCertificates({ clients: 2 })])
  ;[a, b] = certs.clients as [TestCertificate, TestCertificate]
  for (const framework of ['express', 'fastify'] as const) deployments.push(await deploy(framework))
})

afterAll(async () => {
  printTable()
  await Promise.allSettled([...agents.values()].map((agent) => agent.close()))
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  await emu?.close()
  await removeTestCertificates()
})

function newGuard(framework: Deployment['framework'], clientCertificate: ClientCertificateSource): Guard {
  const create = framework === 'express' ? createExpressGuard : createFastifyGuard
  const options = clientCertificate === 'tls' ? {} : { clientCertificate, trustProxy: trustNginx }
  const guard = create({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken, timeoutMs: 3000 }, cache: true, ...options })
  cleanups.push(() => guard.close())
  return guard
}

function arrival(req: IncomingMessage): Arrival {
  return { peer: req.socket.remoteAddress, certificateHeaders: ['x-ssl-client-cert', 'client-cert'].filter((name) => req.headers[name] !== undefined) }
}

const answer = (auth: { certificateThumbprint?: string | undefined; source: string }) => ({ x5t: auth.certificateThumbprint ?? null, source: auth.source })

/** The Express app: one router per certificate source, each with its own guard. */
function expressApp(guards: Record<string, Guard>, arrivals: Arrival[]): express.Express {
  const app = express()
  app.use((req, _res, next) => void (arrivals.push(arrival(req)), next()))
  for (const [prefix, guard] of Object.entries(guards)) {
    app.get(`/${prefix}/accounts`, protect(guard, { scopes: ['accounts'] }), (req, res) => void res.json(answer(req.auth!)))
  }
  return app
}

/** The Fastify app: one encapsulated context per certificate source, each registering the plugin with its own guard. */
async function fastifyApp(app: FastifyInstance, guards: Record<string, Guard>, arrivals: Arrival[]): Promise<FastifyInstance> {
  app.addHook('onRequest', async (request) => void arrivals.push(arrival(request.raw)))
  for (const [prefix, guard] of Object.entries(guards)) {
    await app.register(
      async (context) => {
        await context.register(authleteGuard, { guard })
        context.get('/accounts', { onRequest: context.protect({ scopes: ['accounts'] }) }, async (request) => answer(getAuth(request)))
      },
      { prefix: `/${prefix}` },
    )
  }
  return app
}

const tlsServerOptions = () => ({ key: certs.server.keyPem, cert: certs.server.certPem, ca: certs.ca.certPem, requestCert: true, rejectUnauthorized: false })

async function listenNode(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))))
  return (server.address() as AddressInfo).port
}

async function listenFastify(app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  cleanups.push(() => app.close())
  return (app.server.address() as AddressInfo).port
}

/** The app over plain HTTP (behind nginx), the same app over TLS with requestCert, and nginx in front of the first. */
async function deploy(framework: Deployment['framework']): Promise<Deployment> {
  const arrivals: Arrival[] = []
  const guards = () => ({ 'url-pem': newGuard(framework, HEADER_SOURCES['url-pem']), rfc9440: newGuard(framework, HEADER_SOURCES.rfc9440), tls: newGuard(framework, 'tls') })
  let httpPort: number
  let httpsPort: number
  if (framework === 'express') {
    const app = expressApp(guards(), arrivals)
    httpPort = await listenNode(createHttpServer(app))
    httpsPort = await listenNode(createHttpsServer(tlsServerOptions(), app))
  } else {
    httpPort = await listenFastify(await fastifyApp(Fastify({ logger: false }), guards(), arrivals))
    httpsPort = await listenFastify(await fastifyApp(Fastify({ logger: false, https: tlsServerOptions() }) as unknown as FastifyInstance, guards(), arrivals))
  }
  const http = `http://127.0.0.1:${httpPort}`
  const nginx = await startNginx({ upstream: http, certs, proxyBind: NGINX_ADDRESS })
  cleanups.push(() => nginx.close())
  return { framework, nginx, http, https: `https://127.0.0.1:${httpsPort}`, arrivals }
}

/** An agent per TLS identity (`client`'s certificate, or none): a new connection per identity, kept alive. */
function agentFor(client: TestCertificate | undefined): Agent {
  const key = client?.subject ?? 'none'
  let agent = agents.get(key)
  if (!agent) {
    agent = new Agent({ connect: { ca: certs.ca.certPem, ...(client ? { cert: client.certPem, key: client.keyPem } : {}) }, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS })
    agents.set(key, agent)
  }
  return agent
}

const introspections = () => emu.requests.filter((r) => r.apiPath === '/auth/introspection')

interface Outcome {
  status: number
  body: { x5t?: string | null; source?: string; error?: string }
  wwwAuthenticate: string | undefined
  /** The Authlete calls this request made: what the guard sent, and the reply. */
  calls: Array<{ clientCertificate: unknown; resultCode: unknown; responseContent: unknown }>
  arrival: Arrival | undefined
}

/** GET `url` over `client`'s TLS identity (for https URLs), recording the Authlete calls it made and what reached the app. */
async function get(deployment: Deployment, url: string, token: string, client: TestCertificate | undefined, headers: Record<string, string> = {}): Promise<Outcome> {
  const [before, arrived] = [introspections().length, deployment.arrivals.length]
  const reply = await request(url, { dispatcher: agentFor(client), headers: { authorization: `Bearer ${token}`, ...headers }, signal: AbortSignal.timeout(TIMEOUT_MS) })
  const text = await reply.body.text()
  const www = reply.headers['www-authenticate']
  const calls = introspections()
    .slice(before)
    .map((call) => {
      const sent = call.body as { clientCertificate?: unknown }
      const got = call.reply?.body as { resultCode?: unknown; responseContent?: unknown } | undefined
      return { clientCertificate: sent.clientCertificate, resultCode: got?.resultCode, responseContent: got?.responseContent }
    })
  return { status: reply.statusCode, body: JSON.parse(text), wwwAuthenticate: Array.isArray(www) ? www.join(', ') : www, calls, arrival: deployment.arrivals.slice(arrived)[0] }
}

/** A fresh token bound to client A's certificate (`unbound`: a plain one). */
async function mint(unbound = false): Promise<string> {
  const binding = unbound ? {} : { certificateThumbprint: a.x5tS256 }
  return (await emu.createToken({ subject: 'alice', scopes: ['accounts'], ...binding })).accessToken
}

const nameOf = (x5t: string | null | undefined) => (x5t === a.x5tS256 ? 'A' : x5t === b.x5tS256 ? 'B' : x5t ? '?' : '-')
const codeOf = (outcome: Outcome) => /\[(A\d{6})\]/.exec(outcome.wwwAuthenticate ?? '')?.[1] ?? ''

function record(deployment: Deployment, path: string, name: string, outcome: Outcome) {
  const authlete = outcome.calls.length === 0 ? 'cache' : outcome.calls.map((call) => String(call.resultCode)).join('+')
  rows.push([deployment.framework, path, name, String(outcome.status), outcome.body.error ?? '', codeOf(outcome), nameOf(outcome.body.x5t), authlete, outcome.arrival?.peer ?? '-'])
}

function printTable() {
  const header = ['app', 'path', 'case', 'status', 'error', 'code', 'x5t', 'authlete', 'peer']
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)))
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')
  console.log(['mTLS end to end (x5t: A = the certificate the token is bound to, B = another client\'s)', line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n'))
}

/** A 401 `invalid_token` with Authlete's challenge verbatim, for result `code`, and the route did not run. */
function expectRefused(outcome: Outcome, code: string) {
  expect(outcome.status, JSON.stringify(outcome.body)).toBe(401)
  expect(outcome.body.error).toBe('invalid_token')
  expect(outcome.calls.map((call) => call.resultCode)).toEqual([code])
  expect(outcome.wwwAuthenticate).toBe(outcome.calls[0]!.responseContent)
  expect(outcome.wwwAuthenticate).toMatch(new RegExp(`^Bearer error="invalid_token",error_description="\\[${code}\\] `))
}

describe.each(['express', 'fastify'] as const)('%s behind nginx terminating mutual TLS', (framework) => {
  const deployment = () => deployments.find((d) => d.framework === framework)!

  describe.each(Object.keys(HEADER_SOURCES) as HeaderForm[])('clientCertificate %s, trustProxy: nginx (127.0.0.2) only', (form) => {
    const viaNginx = () => `${deployment().nginx.url}/${form}/accounts`
    const direct = () => `${deployment().http}/${form}/accounts`
    const path = `nginx ${HEADER_SOURCES[form].header}`

    it('the certificate the token is bound to -> 200, auth.certificateThumbprint is its x5t#S256 (Authlete got the PEM)', async () => {
      const outcome = await get(deployment(), viaNginx(), await mint(), a)
      record(deployment(), path, 'certificate A', outcome)
      expect([outcome.status, outcome.body]).toEqual([200, { x5t: a.x5tS256, source: 'authlete' }])
      expect(outcome.calls).toMatchObject([{ clientCertificate: a.certPem.trim(), resultCode: 'A056001' }])
      expect(outcome.arrival).toEqual({ peer: NGINX_ADDRESS, certificateHeaders: ['x-ssl-client-cert', 'client-cert'] })
    })

    it('an unbound token with certificate A -> 200, no auth.certificateThumbprint (the route gets the token\'s binding, not the certificate)', async () => {
      const outcome = await get(deployment(), viaNginx(), await mint(true), a)
      record(deployment(), path, 'certificate A, unbound token', outcome)
      expect([outcome.status, outcome.body]).toEqual([200, { x5t: null, source: 'authlete' }])
      expect(outcome.calls).toMatchObject([{ clientCertificate: a.certPem.trim(), resultCode: 'A056001' }])
    })

    it('another client\'s certificate -> 401 invalid_token, Authlete\'s challenge verbatim (A065305)', async () => {
      const outcome = await get(deployment(), viaNginx(), await mint(), b)
      record(deployment(), path, 'certificate B', outcome)
      expectRefused(outcome, 'A065305')
      expect(outcome.calls[0]!.clientCertificate).toBe(b.certPem.trim())
    })

    it('no certificate -> 401 invalid_token (A065304); nginx sends no certificate header', async () => {
      const outcome = await get(deployment(), viaNginx(), await mint(), undefined)
      record(deployment(), path, 'no certificate', outcome)
      expectRefused(outcome, 'A065304')
      expect(outcome.arrival).toEqual({ peer: NGINX_ADDRESS, certificateHeaders: [] })
    })

    it('a client-sent certificate header through nginx, without a certificate -> nginx drops it: 401 (A065304)', async () => {
      const outcome = await get(deployment(), viaNginx(), await mint(), undefined, forged(form, a))
      record(deployment(), path, 'no certificate, forged header', outcome)
      expectRefused(outcome, 'A065304')
      expect(outcome.arrival?.certificateHeaders).toEqual([])
    })

    it('the same token through nginx twice -> the second is a cache hit (one introspection)', async () => {
      const token = await mint()
      const before = introspections().length
      const first = await get(deployment(), viaNginx(), token, a)
      const second = await get(deployment(), viaNginx(), token, a)
      record(deployment(), path, 'certificate A, same token again', second)
      expect([first.body, second.body]).toEqual([{ x5t: a.x5tS256, source: 'authlete' }, { x5t: a.x5tS256, source: 'cache' }])
      expect(introspections().length - before).toBe(1)
    })

    it('the header sent straight to the app (peer 127.0.0.1, not nginx) is ignored: 401 as without a certificate (A065304)', async () => {
      const outcome = await get(deployment(), direct(), await mint(), undefined, forged(form, a))
      record(deployment(), `direct http, ${HEADER_SOURCES[form].header}`, 'forged header of A', outcome)
      // The header did reach the app, from a peer that is not nginx, and the guard judged the request without it.
      expect(outcome.arrival).toEqual({ peer: '127.0.0.1', certificateHeaders: [HEADER_SOURCES[form].header] })
      expectRefused(outcome, 'A065304')
      expect(outcome.calls[0]!.clientCertificate).toBeUndefined()
    })

    it('with an unbound token, the header sent straight to the app never reaches the route as a trusted certificate', async () => {
      const outcome = await get(deployment(), direct(), await mint(true), undefined, forged(form, a))
      record(deployment(), `direct http, ${HEADER_SOURCES[form].header}`, 'forged header of A, unbound token', outcome)
      expect(outcome.arrival?.certificateHeaders).toEqual([HEADER_SOURCES[form].header])
      expect([outcome.status, outcome.body]).toEqual([200, { x5t: null, source: 'authlete' }])
      expect(outcome.calls.map((call) => call.clientCertificate)).toEqual([undefined])
    })
  })

  describe('direct TLS: node:https with requestCert, clientCertificate \'tls\' (no nginx)', () => {
    const url = () => `${deployment().https}/tls/accounts`

    it('the certificate the token is bound to -> 200 with its x5t#S256; another -> 401 (A065305); none -> 401 (A065304); an unbound token with A -> 200 without one', async () => {
      const token = await mint()
      const right = await get(deployment(), url(), token, a)
      const other = await get(deployment(), url(), token, b)
      const none = await get(deployment(), url(), token, undefined)
      const unbound = await get(deployment(), url(), await mint(true), a)
      for (const [name, outcome] of [['certificate A', right], ['certificate B', other], ['no certificate', none], ['certificate A, unbound token', unbound]] as const) record(deployment(), 'direct TLS', name, outcome)
      expect([right.status, right.body]).toEqual([200, { x5t: a.x5tS256, source: 'authlete' }])
      expect([unbound.status, unbound.body]).toEqual([200, { x5t: null, source: 'authlete' }])
      expect(right.calls[0]!.clientCertificate).toBe(a.certPem.trim())
      expectRefused(other, 'A065305')
      expectRefused(none, 'A065304')
      expect([right, other, none, unbound].map((outcome) => outcome.arrival?.peer)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1'])
    })
  })
})
