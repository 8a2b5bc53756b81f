/**
 * Runs every scenario of `table.ts` against every driver of `drivers/index.ts`: real apps on
 * 127.0.0.1, one emulator as Authlete for the whole file, a freshly signed DPoP proof per request.
 * Each test also plays its scenario on the reference driver (the first one run) and checks that
 * both frameworks gave the same answer to the same input: no test depends on another having run.
 * A scenario that needs what a driver lacks (`needs`, `AdapterDriver.lacks`) is skipped for that
 * driver, the reason in the test's name. Client certificates come from test/support/certs.ts.
 */
import { Agent, getGlobalDispatcher, type Dispatcher } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthleteOptions } from '@authlete-guard/core'
import { createDpopKeyPair, createDpopProof, DEFAULT_CLIENT, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { drivers as allDrivers } from './drivers'
import { removeTestCertificates, testCertificates, type TestCertificate, type TestCertificates } from '../support/certs'
import { unreachableUrl } from '../support/unreachable'
import { listen, PROXY_ADDRESS, type AdapterDriver, type ScenarioApp, type StartOptions } from './harness'
import { FORWARDED_ORIGIN, PUBLIC_URL, SUBJECT, scenarios, type AppConfig, type CertificateSpec, type Expectation, type ProofSpec, type RequestSpec, type Scenario } from './table'

type Emulator = Awaited<ReturnType<typeof startEmulator>>

/**
 * `SCENARIO_DRIVERS=express5,koa3` runs a subset (while working on one adapter); default all.
 * The first driver run is the reference the others are compared with.
 */
const only = process.env.SCENARIO_DRIVERS?.split(',').map((name) => name.trim())
const drivers = only ? allDrivers.filter((driver) => only.includes(driver.name)) : allDrivers
const reference = drivers[0]

/** What a reply looked like, reduced to what must be equal across frameworks. */
interface Outcome {
  status: number
  wwwAuthenticate: string | undefined
  dpopNonce: boolean
  cacheControl: string | undefined
  pragma: string | undefined
  contentType: string | undefined
  body: unknown
}

let emu: Emulator
let closedUrl: string
let tokenKey: DpopKeyPair
let otherKey: DpopKeyPair
/** Emulator clock offset in ms, moved forward only to expire a token. */
let clockOffset = 0
/** Running apps by driver and configuration, started on first use, closed after the file. */
const apps = new Map<string, Promise<ScenarioApp>>()
let certs: TestCertificates
/** The certificate a `certificate` token is bound to, and another client's. */
let tokenCertificate: TestCertificate
let otherCertificate: TestCertificate
/** Dispatchers for a source address and a TLS client identity, made on first use. */
const agents = new Map<string, Agent>()

beforeAll(async () => {
  emu = await startEmulator({ port: 0, now: () => Date.now() + clockOffset })
  closedUrl = await unreachableUrl()
  ;[tokenKey, otherKey] = await Promise.all([createDpopKeyPair('ES256'), createDpopKeyPair('ES256')])
  certs = await testCertificates({ clients: 2 })
  ;[tokenCertificate, otherCertificate] = certs.clients as [TestCertificate, TestCertificate]
})

afterAll(async () => {
  await Promise.all([...apps.values()].map(async (app) => (await app).close()))
  await Promise.all([...agents.values()].map((agent) => agent.close()))
  await emu?.close()
  await removeTestCertificates()
})

function authleteFor(config: AppConfig): AuthleteOptions {
  const baseUrl = config === 'unreachable' ? closedUrl : emu.url
  return { baseUrl, serviceId: emu.serviceId, accessToken: emu.accessToken, timeoutMs: 2000 }
}

/** What `config` adds to the driver's start options (client certificates). */
function certificateOptionsFor(config: AppConfig): Pick<StartOptions, 'clientCertificate' | 'tls'> {
  if (config === 'certificate-header') return { clientCertificate: { header: 'client-cert' } }
  if (config === 'certificate-url-pem') return { clientCertificate: { header: 'x-ssl-client-cert', encoding: 'url-pem' } }
  if (config === 'certificate-tls') return { tls: { key: certs.server.keyPem, cert: certs.server.certPem, ca: certs.ca.certPem } }
  return {}
}

function appFor(driver: AdapterDriver, config: AppConfig): Promise<ScenarioApp> {
  const key = `${driver.name} ${config}`
  let app = apps.get(key)
  if (!app) {
    app = driver.start({
      authlete: authleteFor(config),
      trustProxy: config === 'trusted',
      ...(config === 'publicUrl' ? { publicUrl: PUBLIC_URL } : {}),
      ...certificateOptionsFor(config),
    })
    apps.set(key, app)
  }
  return app
}

function certificateOf(which: 'token' | 'other'): TestCertificate {
  return which === 'token' ? tokenCertificate : otherCertificate
}

/** The header a proxy would write for `spec` (RFC 9440 `:base64 DER:`, or nginx's URL-encoded PEM); none for `tls`. */
function certificateHeader(spec: CertificateSpec | undefined): Record<string, string> {
  if (spec === undefined || spec.in === 'tls') return {}
  if (spec.certificate === 'not-a-certificate') return { [spec.in]: spec.in === 'client-cert' ? ':bm90IGEgY2VydGlmaWNhdGU=:' : 'not%20a%20certificate' }
  const certificate = certificateOf(spec.certificate)
  return { [spec.in]: spec.in === 'client-cert' ? `:${certificate.derBase64}:` : encodeURIComponent(certificate.certPem) }
}

/**
 * The dispatcher for a request: the global one for plain HTTP from 127.0.0.1; otherwise an agent
 * connecting from `PROXY_ADDRESS` (`from: 'proxy'`) and, to an https app, trusting the test CA and
 * presenting the `tls` certificate of `spec` (or none).
 */
function dispatcherFor(app: ScenarioApp, spec: RequestSpec): Dispatcher {
  const https = app.url.startsWith('https:')
  const client = spec.certificate?.in === 'tls' ? certificateOf(spec.certificate.certificate) : undefined
  if (!https && spec.from !== 'proxy') return getGlobalDispatcher()
  const key = `${spec.from ?? 'direct'} ${https} ${client?.subject ?? 'none'}`
  let agent = agents.get(key)
  if (!agent) {
    const tls = https ? { ca: certs.ca.certPem, ...(client ? { cert: client.certPem, key: client.keyPem } : {}) } : {}
    agent = new Agent({ ...(spec.from === 'proxy' ? { localAddress: PROXY_ADDRESS } : {}), connect: tls, headersTimeout: 5000, bodyTimeout: 5000 })
    agents.set(key, agent)
  }
  return agent
}

/** Issue the scenario's token on the emulator. */
async function tokenFor(scenario: Scenario): Promise<string | undefined> {
  const scopes = scenario.scopes ?? ['profile', 'write']
  switch (scenario.token) {
    case 'none':
      return undefined
    case 'unknown':
      return `unknown-${crypto.randomUUID()}`
    case 'bound':
      return (await emu.createToken({ subject: SUBJECT, scopes, dpopKeyThumbprint: tokenKey.thumbprint })).accessToken
    case 'certificate':
      return (await emu.createToken({ subject: SUBJECT, scopes, certificateThumbprint: tokenCertificate.x5tS256 })).accessToken
    case 'unbound':
    case 'expired':
      return (await emu.createToken({ subject: SUBJECT, scopes, accessTokenDuration: 60 })).accessToken
  }
}

function htuFor(app: ScenarioApp, spec: RequestSpec, proof: ProofSpec): string {
  switch (proof.htu ?? 'request') {
    case 'request':
      return app.url + spec.route.path
    case 'forwarded':
      return FORWARDED_ORIGIN + spec.route.path
    case 'public':
      return PUBLIC_URL + spec.route.path
    case 'unmounted':
      return app.url + ('mountedAt' in spec.route ? spec.route.mountedAt : spec.route.path)
    case 'normalised':
      return new URL(targetOf(spec), app.url).href.split('?')[0]!
  }
}

/** The request-target as it goes on the wire: `rawPath` verbatim (dot segments and all), else path and query. */
function targetOf(spec: RequestSpec): string {
  return spec.rawPath ?? spec.route.path + (spec.query ?? '')
}

/**
 * Send one request over the wire; repeated headers go out as separate header lines. The
 * dispatcher takes the path as given, where `undici.request(url)` would normalise it (WHATWG URL).
 */
async function send(app: ScenarioApp, spec: RequestSpec, token: string | undefined, previousNonce: string | undefined) {
  const headers: Record<string, string | string[]> = { ...spec.headers, ...certificateHeader(spec.certificate) }
  const proofs = await Promise.all(
    (spec.proofs ?? []).map((proof) =>
      createDpopProof(proof.key === 'other' ? otherKey : tokenKey, {
        htm: proof.htm ?? spec.route.method,
        htu: htuFor(app, spec, proof),
        ...(token === undefined ? {} : { accessToken: token }),
        ...(proof.nonce === 'previous' && previousNonce !== undefined ? { nonce: previousNonce } : {}),
      }),
    ),
  )
  if (proofs.length > 0) headers.dpop = proofs.length === 1 ? proofs[0]! : proofs
  if (token !== undefined) {
    const authorization = `${spec.scheme ?? (proofs.length > 0 ? 'DPoP' : 'Bearer')} ${token}`
    headers.authorization = spec.twoAuthorizations ? [authorization, authorization] : authorization
  }
  const isPost = spec.route.method === 'POST'
  if (isPost) headers['content-type'] = 'application/json'
  const reply = await dispatcherFor(app, spec).request({
    origin: app.url,
    path: targetOf(spec),
    method: spec.route.method,
    headers,
    ...(isPost ? { body: '{"name":"item"}' } : {}),
  })
  const text = await reply.body.text()
  const header = (name: string) => {
    const value = reply.headers[name]
    return Array.isArray(value) ? value.join(', ') : value
  }
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // Left as text; the assertions below then fail with the text in the message.
  }
  return { status: reply.statusCode, header, body }
}

/**
 * The challenges of a `WWW-Authenticate` value: scheme and `error` of each. Quoted strings are
 * blanked first so that a scheme name inside an `error_description` is not taken for a challenge.
 */
export function parseChallenges(value: string): Array<{ scheme: string; error: string | undefined }> {
  const quoted: string[] = []
  const blanked = value.replace(/"(?:[^"\\]|\\.)*"/g, (q) => `"${quoted.push(q) - 1}"`)
  const starts = [...blanked.matchAll(/(?:^|,)\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?=\s+[A-Za-z0-9!#$%&'*+.^_`|~-]+\s*=|\s*,|\s*$)/g)]
  return starts.map((start, i) => {
    const segment = blanked.slice(start.index! + start[0].length, starts[i + 1]?.index ?? blanked.length)
    const error = /(?:^|[\s,])error\s*=\s*(?:"(\d+)"|([^\s,]+))/.exec(segment)
    const raw = error?.[1] !== undefined ? quoted[Number(error[1])]!.slice(1, -1) : error?.[2]
    return { scheme: start[1]!, error: raw }
  })
}

function assertReply(reply: Awaited<ReturnType<typeof send>>, expected: Expectation, routeRan: number) {
  const where = `reply ${reply.status} ${JSON.stringify(reply.body)} WWW-Authenticate: ${reply.header('www-authenticate')}`
  expect(reply.status, where).toBe(expected.status)
  if (expected.byFramework) {
    expect(routeRan, `the framework's own answer runs no route; ${where}`).toBe(0)
    return
  }
  expect(reply.header('dpop-nonce') !== undefined, `DPoP-Nonce presence; ${where}`).toBe(expected.dpopNonce ?? false)
  if (expected.status === 200) {
    expect(routeRan, 'the route ran once').toBe(1)
    const { certificate, ...principal } = expected.principal ?? {}
    const thumbprint = certificate === undefined ? {} : { certificateThumbprint: certificateOf(certificate).x5tS256 }
    expect(reply.body).toEqual({ ...principal, clientId: DEFAULT_CLIENT.clientId, ...thumbprint })
    return
  }
  expect(routeRan, `the route must not run on a denial; ${where}`).toBe(0)
  expect(reply.header('cache-control'), where).toMatch(/\bno-store\b/)
  expect(reply.header('content-type'), where).toMatch(/^application\/json\b/)
  const challenges = parseChallenges(reply.header('www-authenticate') ?? '')
  expect(challenges.length, `a WWW-Authenticate challenge; ${where}`).toBeGreaterThan(0)
  const body = reply.body as { error?: string }
  if (expected.challenge?.error === null) {
    // RFC 6750 §3.1: no credentials, so no error code anywhere.
    expect(challenges.every((c) => c.error === undefined), where).toBe(true)
    expect(body.error, where).toBeUndefined()
    return
  }
  const withError = challenges.find((c) => c.error !== undefined)
  expect(withError?.error, where).toBe(expected.challenge?.error)
  if (expected.challenge?.scheme) expect(withError?.scheme.toLowerCase(), where).toBe(expected.challenge.scheme.toLowerCase())
  expect(body.error, where).toBe(expected.challenge?.error)
  // Authlete's result code, in its challenge's error_description as Authlete wrote it.
  if (expected.challenge?.resultCode) expect(reply.header('www-authenticate'), where).toContain(`error_description="[${expected.challenge.resultCode}] `)
}

async function armFault(fault: Scenario['fault']) {
  const path = '/auth/introspection'
  if (fault === 'status-500') emu.faults.inject({ type: 'status', status: 500 }, { path })
  if (fault === 'garbage') emu.faults.inject({ type: 'garbage' }, { path })
  if (fault === 'bad-nonce') {
    const ok = { action: 'OK', resultCode: 'A056001', clientId: DEFAULT_CLIENT.clientId, subject: SUBJECT, scopes: ['profile'], expiresAt: Date.now() + 60_000 }
    emu.faults.inject({ type: 'reply', body: { ...ok, dpopNonce: 'nonce\r\nSet-Cookie: a=b' } }, { path })
  }
  if (fault === 'huge-challenge') {
    emu.faults.inject({ type: 'reply', body: { action: 'UNAUTHORIZED', responseContent: `Bearer error="invalid_token", error_description="${'x'.repeat(150_000)}"` } }, { path })
  }
}

/**
 * Play `scenario` on `driver`'s app and record each reply. With `check`, every reply is asserted
 * against the table; the reference run inside another driver's test is only compared.
 */
async function play(driver: AdapterDriver, scenario: Scenario, check: boolean): Promise<Outcome[]> {
  const app = await appFor(driver, scenario.app ?? 'default')
  const token = await tokenFor(scenario)
  const recorded: Outcome[] = []
  let previousNonce: string | undefined
  await armFault(scenario.fault)
  if (scenario.token === 'expired') clockOffset = 120_000
  try {
    for (const step of scenario.steps) {
      const before = app.routeRuns()
      const reply = await send(app, step.request, token, previousNonce)
      previousNonce = reply.header('dpop-nonce')
      const contentType = reply.header('content-type')
      recorded.push({
        status: reply.status,
        wwwAuthenticate: reply.header('www-authenticate'),
        dpopNonce: previousNonce !== undefined,
        cacheControl: reply.header('cache-control'),
        pragma: reply.header('pragma'),
        // A denial is the adapter's own write: compared as is. An allowed reply is the route's,
        // whose framework JSON helper may add a charset: only its media type must match.
        contentType: reply.status < 400 ? contentType?.split(';')[0] : contentType,
        body: reply.body,
      })
      if (check) assertReply(reply, step.expectFor?.[driver.name] ?? step.expect, app.routeRuns() - before)
    }
  } finally {
    clockOffset = 0
    if (scenario.fault) emu.faults.clear()
  }
  return recorded
}

/** Why `driver` cannot carry `scenario` (the first capability it needs and the driver lacks), or `undefined`. */
function cannotCarry(driver: AdapterDriver, scenario: Scenario): string | undefined {
  const missing = scenario.needs?.find((capability) => driver.lacks?.[capability] !== undefined)
  return missing === undefined ? undefined : driver.lacks![missing]
}

describe.each(drivers)('$name', (driver: AdapterDriver) => {
  for (const scenario of scenarios) {
    const reason = cannotCarry(driver, scenario)
    if (reason !== undefined) {
      it.skip(`${scenario.name} [skipped: ${reason}]`, () => {})
      continue
    }
    it(scenario.name, async () => {
      const outcome = await play(driver, scenario, true)
      // A framework that answers differently by design (expectFor) is held to its own expectation only.
      if (!reference || driver === reference || scenario.steps.some((step) => step.expectFor?.[driver.name])) return
      if (cannotCarry(reference, scenario) !== undefined) return
      const expected = await play(reference, scenario, false)
      expect(outcome, `${driver.name} answers as ${reference.name} does`).toEqual(expected)
    })
  }
})

describe('the runner', () => {
  it('puts the request-target on the wire as given: rawPath verbatim (dot segments too), else path and query', async () => {
    const echo = await listen((req, res) => res.end(JSON.stringify(req.url)))
    const app: ScenarioApp = { url: echo.url, routeRuns: () => 0, close: echo.close }
    const route = { method: 'GET', path: '/api/me', options: {} } as const
    try {
      const targets = async (specs: RequestSpec[]) => Promise.all(specs.map(async (spec) => (await send(app, spec, undefined, undefined)).body))
      const raw = ['/files/../api/admin', '/files/%2e%2e/api/./me?x=1', '//api//me']
      expect(await targets(raw.map((rawPath) => ({ route, rawPath }) as RequestSpec))).toEqual(raw)
      expect(await targets([{ route, query: '?a=1' }])).toEqual(['/api/me?a=1'])
    } finally {
      await echo.close()
    }
  })

  it('plays the proxy from PROXY_ADDRESS and a direct client from 127.0.0.1, with the certificate headers a proxy writes', async () => {
    const echo = await listen((req, res) => res.end(JSON.stringify([req.socket.remoteAddress, req.headers['client-cert'] ?? null, req.headers['x-ssl-client-cert'] ?? null])))
    const app: ScenarioApp = { url: echo.url, routeRuns: () => 0, close: echo.close }
    const route = { method: 'GET', path: '/api/me', options: {} } as const
    try {
      const seen = async (spec: Omit<RequestSpec, 'route'>) => (await send(app, { route, ...spec }, undefined, undefined)).body
      expect(await seen({ from: 'proxy', certificate: { in: 'client-cert', certificate: 'token' } })).toEqual([PROXY_ADDRESS, `:${tokenCertificate.derBase64}:`, null])
      expect(await seen({ certificate: { in: 'x-ssl-client-cert', certificate: 'other' } })).toEqual(['127.0.0.1', null, encodeURIComponent(otherCertificate.certPem)])
    } finally {
      await echo.close()
    }
  })

  it('presents the certificate of a tls request on the TLS connection', async () => {
    const tls = { key: certs.server.keyPem, cert: certs.server.certPem, ca: certs.ca.certPem }
    const echo = await listen((req, res) => res.end(JSON.stringify((req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN ?? null)), undefined, tls)
    const app: ScenarioApp = { url: echo.url, routeRuns: () => 0, close: echo.close }
    const route = { method: 'GET', path: '/api/me', options: {} } as const
    try {
      const presented = async (certificate?: CertificateSpec) => (await send(app, { route, ...(certificate ? { certificate } : {}) }, undefined, undefined)).body
      expect(await presented({ in: 'tls', certificate: 'token' })).toBe('client-1')
      expect(await presented({ in: 'tls', certificate: 'other' })).toBe('client-2')
      expect(await presented()).toBe(null)
    } finally {
      await echo.close()
    }
  })
})
