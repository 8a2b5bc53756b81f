/**
 * Runs every scenario of `table.ts` against every driver of `drivers/index.ts`: real apps on
 * 127.0.0.1, one emulator as Authlete for the whole file, a freshly signed DPoP proof per request.
 * Each test also plays its scenario on the reference driver (the first one run) and checks that
 * both frameworks gave the same answer to the same input: no test depends on another having run.
 */
import { getGlobalDispatcher } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthleteOptions } from '@authlete-guard/core'
import { createDpopKeyPair, createDpopProof, DEFAULT_CLIENT, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { drivers as allDrivers } from './drivers'
import { unreachableUrl } from '../support/unreachable'
import { listen, type AdapterDriver, type ScenarioApp } from './harness'
import { FORWARDED_ORIGIN, PUBLIC_URL, SUBJECT, scenarios, type AppConfig, type Expectation, type ProofSpec, type RequestSpec, type Scenario } from './table'

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

beforeAll(async () => {
  emu = await startEmulator({ port: 0, now: () => Date.now() + clockOffset })
  closedUrl = await unreachableUrl()
  ;[tokenKey, otherKey] = await Promise.all([createDpopKeyPair('ES256'), createDpopKeyPair('ES256')])
})

afterAll(async () => {
  await Promise.all([...apps.values()].map(async (app) => (await app).close()))
  await emu?.close()
})

function authleteFor(config: AppConfig): AuthleteOptions {
  const baseUrl = config === 'unreachable' ? closedUrl : emu.url
  return { baseUrl, serviceId: emu.serviceId, accessToken: emu.accessToken, timeoutMs: 2000 }
}

function appFor(driver: AdapterDriver, config: AppConfig): Promise<ScenarioApp> {
  const key = `${driver.name} ${config}`
  let app = apps.get(key)
  if (!app) {
    app = driver.start({
      authlete: authleteFor(config),
      trustProxy: config === 'trusted',
      ...(config === 'publicUrl' ? { publicUrl: PUBLIC_URL } : {}),
    })
    apps.set(key, app)
  }
  return app
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
  const headers: Record<string, string | string[]> = { ...spec.headers }
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
  const reply = await getGlobalDispatcher().request({
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
    expect(reply.body).toEqual({ ...expected.principal, clientId: DEFAULT_CLIENT.clientId })
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

describe.each(drivers)('$name', (driver: AdapterDriver) => {
  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    const outcome = await play(driver, scenario, true)
    // A framework that answers differently by design (expectFor) is held to its own expectation only.
    if (!reference || driver === reference || scenario.steps.some((step) => step.expectFor?.[driver.name])) return
    const expected = await play(reference, scenario, false)
    expect(outcome, `${driver.name} answers as ${reference.name} does`).toEqual(expected)
  })
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
})
