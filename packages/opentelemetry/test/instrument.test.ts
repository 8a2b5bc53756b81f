// The instrumentation against a real guard and the emulator, read back through the SDK's in-memory
// exporters: the spans (names, kinds, attributes, parent and child, status) and the metric points
// of an allow, a local refusal, an Authlete refusal, a cache hit, a replay and an Authlete failure,
// and no secret in any of them.
import diagnostics from 'node:diagnostics_channel'
import { context, metrics, SpanKind, SpanStatusCode, trace, type Attributes, type MeterProvider as MeterProviderApi, type TracerProvider } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { AggregationTemporality, AggregationType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ViewOptions } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AUTHLETE_CHANNEL, CHECK_CHANNEL, createGuard, type GuardOptions, type RequestLike } from '@authlete-guard/core'
import { createAuthorizationServer } from '@authlete-guard/core/authorization-server'
import { createDpopKeyPair, createDpopProof, DEFAULT_API_SECRET, DEFAULT_CLIENT, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { AUTHLETE_DURATION_BUCKETS, INSTRUMENTATION_SCOPE, instrumentAuthleteGuard, type AuthleteGuardInstrumentationOptions } from '../src'
import { unreachableUrl } from '../../../test/support/unreachable'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
const ORIGIN = 'https://api.example.com'
let emu: Emulator
let key: DpopKeyPair
const cleanups: Array<() => Promise<unknown> | unknown> = []

beforeAll(async () => {
  emu = await startEmulator()
  key = await createDpopKeyPair('ES256')
})
afterAll(async () => {
  await emu?.close()
})
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const guardWith = (options: Partial<GuardOptions> = {}) => {
  const guard = createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: ORIGIN, ...options })
  cleanups.push(() => guard.close())
  return guard
}
const request = (token: string, dpop: string, url = '/api/me?secret-query=1'): RequestLike => ({ method: 'get', url, headers: { host: 'internal', authorization: `DPoP ${token}`, dpop } })
const bound = async (scopes = ['read']) => (await emu.createToken({ subject: 'alice', scopes, dpopKeyThumbprint: key.thumbprint })).accessToken
const proof = (token: string, extra: Record<string, unknown> = {}) => createDpopProof(key, { htm: 'GET', htu: `${ORIGIN}/api/me`, accessToken: token, ...extra })
const introspectionPath = () => `/api/${emu.serviceId}/auth/introspection`

interface Point {
  attributes: Attributes
  value: number | { count: number; sum?: number; buckets: { boundaries: number[]; counts: number[] } }
}

/** SDK providers on in-memory exporters, and the instrumentation on them. */
function telemetry(options: AuthleteGuardInstrumentationOptions | 'global' = {}, views: ViewOptions[] = []) {
  const spanExporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] })
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })
  const meterProvider = new MeterProvider({ readers: [reader], views })
  const instrumentation = instrumentAuthleteGuard(options === 'global' ? {} : { tracerProvider, meterProvider, ...options })
  cleanups.push(async () => {
    instrumentation.disable()
    await tracerProvider.shutdown()
    await meterProvider.shutdown()
  })

  async function points(name: string): Promise<Point[]> {
    metricExporter.reset()
    await reader.forceFlush()
    const metric = metricExporter.getMetrics().flatMap((r) => r.scopeMetrics).flatMap((s) => s.metrics).find((m) => m.descriptor.name === name)
    return (metric?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value as Point['value'] }))
  }
  /** Every metric (names, descriptions, attributes, values) as exported, for the secret scan. */
  async function allMetrics() {
    metricExporter.reset()
    await reader.forceFlush()
    return metricExporter.getMetrics().flatMap((r) => r.scopeMetrics).flatMap((s) => s.metrics)
  }
  const spans = () => spanExporter.getFinishedSpans()
  const span = (name: string) => spans().filter((s) => s.name === name)
  return { instrumentation, tracerProvider, meterProvider, spans, span, points, allMetrics, clearSpans: () => spanExporter.reset() }
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId
const idOf = (span: ReadableSpan) => span.spanContext().spanId
const counts = (points: Point[]) => points.map((p) => ({ ...p.attributes, value: p.value }))

/** Every exported span and metric, as text: no token, proof, credential or query anywhere. */
async function expectNoSecrets(t: ReturnType<typeof telemetry>, secrets: string[], expected = '/api/me') {
  const spans = t.spans().map((s) => ({ name: s.name, attributes: s.attributes, status: s.status, events: s.events, links: s.links, resource: s.resource.attributes }))
  const text = JSON.stringify([spans, await t.allMetrics()])
  expect(text).toContain(expected) // the scan reads the attributes it means to
  for (const secret of [...secrets, emu.accessToken, DEFAULT_API_SECRET, 'secret-query']) expect(text).not.toContain(secret)
}

describe('spans and metrics of guard.check()', () => {
  it('allow from Authlete: a check span with its Authlete call as a child; decision, latency and cache-miss metrics', async () => {
    const t = telemetry()
    const guard = guardWith()
    const token = await bound()
    const dpop = await proof(token)
    expect((await guard.check(request(token, dpop), { scopes: ['read'] })).allowed).toBe(true)

    const [check] = t.span('authlete_guard.check')
    const [call] = t.span('authlete_guard.authlete')
    expect(t.spans()).toHaveLength(2)
    expect(check!.kind).toBe(SpanKind.INTERNAL)
    expect(check!.attributes).toEqual({
      'http.request.method': 'GET',
      'url.path': '/api/me',
      'authlete_guard.route.scopes': ['read'],
      'authlete_guard.allowed': true,
      'authlete_guard.status': 200,
      'authlete_guard.source': 'authlete',
      'authlete_guard.scheme': 'DPoP',
    })
    expect(check!.status.code).toBe(SpanStatusCode.UNSET)
    expect(parentOf(check!)).toBeUndefined()
    expect(call!.kind).toBe(SpanKind.CLIENT)
    expect(call!.attributes).toEqual({
      'http.request.method': 'POST',
      'url.path': introspectionPath(),
      'http.response.status_code': 200,
      'authlete_guard.result_code': 'A056001',
      'authlete_guard.action': 'OK',
    })
    expect(parentOf(call!)).toBe(idOf(check!))
    expect(call!.spanContext().traceId).toBe(check!.spanContext().traceId)

    expect(counts(await t.points('authlete_guard.decisions'))).toEqual([{ outcome: 'allowed', status: 200, source: 'authlete', value: 1 }])
    expect(counts(await t.points('authlete_guard.cache.lookups'))).toEqual([{ result: 'miss', value: 1 }])
    expect(await t.points('authlete_guard.replay.refusals')).toEqual([])
    const [duration] = await t.points('authlete_guard.authlete.duration')
    expect(duration!.attributes).toEqual({ api_path: introspectionPath(), outcome: 'success' })
    const histogram = duration!.value as Exclude<Point['value'], number>
    expect(histogram.count).toBe(1)
    expect(histogram.buckets.boundaries).toEqual(AUTHLETE_DURATION_BUCKETS)
    expect(histogram.sum).toBeGreaterThan(0)
    expect(histogram.sum).toBeLessThan(5) // seconds, not milliseconds
    await expectNoSecrets(t, [token, dpop])
  })

  it('the check span is a child of the active span (the HTTP server\'s) when the app has a context manager', async () => {
    const t = telemetry()
    const manager = new AsyncLocalStorageContextManager().enable()
    context.setGlobalContextManager(manager)
    cleanups.push(() => context.disable())
    const guard = guardWith()
    const token = await bound()
    const server = t.tracerProvider.getTracer('app')
    await server.startActiveSpan('GET /api/me', { kind: SpanKind.SERVER }, async (span) => {
      await guard.check(request(token, await proof(token)))
      span.end()
    })
    const [outer] = t.span('GET /api/me')
    const [check] = t.span('authlete_guard.check')
    const [call] = t.span('authlete_guard.authlete')
    expect(parentOf(check!)).toBe(idOf(outer!))
    expect(parentOf(call!)).toBe(idOf(check!))
    expect(new Set(t.spans().map((s) => s.spanContext().traceId)).size).toBe(1)
  })

  it('concurrent checks: each Authlete call is the child of its own check', async () => {
    const t = telemetry()
    const guard = guardWith()
    const tokens = await Promise.all([bound(), bound(), bound()])
    await Promise.all(tokens.map(async (token) => guard.check(request(token, await proof(token)))))
    const checks = t.span('authlete_guard.check')
    const calls = t.span('authlete_guard.authlete')
    expect(checks).toHaveLength(3)
    expect(calls.map(parentOf).sort()).toEqual(checks.map(idOf).sort())
  })

  it('local refusal (htu): no Authlete span; the reason and its figures on the check span; a denied decision, no cache lookup', async () => {
    const t = telemetry()
    const guard = guardWith()
    const token = await bound()
    const dpop = await createDpopProof(key, { htm: 'GET', htu: 'https://api.example.com/api/other?x=secret-query', accessToken: token })
    expect((await guard.check(request(token, dpop))).allowed).toBe(false)

    expect(t.spans().map((s) => s.name)).toEqual(['authlete_guard.check'])
    expect(t.span('authlete_guard.check')[0]!.attributes).toMatchObject({
      'authlete_guard.allowed': false,
      'authlete_guard.status': 401,
      'authlete_guard.error': 'invalid_dpop_proof',
      'authlete_guard.source': 'local',
      'authlete_guard.reason.check': 'htu',
      'authlete_guard.reason.expected': `${ORIGIN}/api/me`,
      'authlete_guard.reason.actual': `${ORIGIN}/api/other`,
    })
    expect(t.span('authlete_guard.check')[0]!.status.code).toBe(SpanStatusCode.UNSET)
    expect(counts(await t.points('authlete_guard.decisions'))).toEqual([{ outcome: 'denied', status: 401, error: 'invalid_dpop_proof', source: 'local', value: 1 }])
    expect(await t.points('authlete_guard.cache.lookups')).toEqual([])
    expect(await t.points('authlete_guard.authlete.duration')).toEqual([])
    await expectNoSecrets(t, [token, dpop])
  })

  it('Authlete refusal (another key): Authlete\'s result code and action on the call span, the proof\'s thumbprint on the check span', async () => {
    const t = telemetry()
    const guard = guardWith()
    const token = await bound()
    const other = await createDpopKeyPair('ES256')
    const dpop = await createDpopProof(other, { htm: 'GET', htu: `${ORIGIN}/api/me`, accessToken: token })
    expect((await guard.check(request(token, dpop))).allowed).toBe(false)

    const [check] = t.span('authlete_guard.check')
    const [call] = t.span('authlete_guard.authlete')
    expect(check!.attributes).toMatchObject({
      'authlete_guard.allowed': false,
      'authlete_guard.status': 401,
      'authlete_guard.source': 'authlete',
      'authlete_guard.reason.check': 'authlete',
      'authlete_guard.reason.resultCode': 'A065309',
      'authlete_guard.reason.proofJkt': other.thumbprint,
    })
    expect(call!.attributes).toMatchObject({ 'http.response.status_code': 200, 'authlete_guard.result_code': 'A065309', 'authlete_guard.action': 'UNAUTHORIZED' })
    expect(call!.status.code).toBe(SpanStatusCode.UNSET) // the call succeeded; the token did not
    expect(parentOf(call!)).toBe(idOf(check!))
    expect(counts(await t.points('authlete_guard.decisions'))).toEqual([{ outcome: 'denied', status: 401, error: (check!.attributes['authlete_guard.error'] as string), source: 'authlete', value: 1 }])
    expect(counts(await t.points('authlete_guard.cache.lookups'))).toEqual([{ result: 'miss', value: 1 }])
    await expectNoSecrets(t, [token, dpop])
  })

  it('cache hit: source cache on the span, no Authlete span, one hit and one miss', async () => {
    const t = telemetry()
    const guard = guardWith({ cache: true })
    const token = await bound()
    const first = await proof(token)
    await guard.check(request(token, first))
    t.clearSpans()
    const dpop = await proof(token)
    expect((await guard.check(request(token, dpop))).allowed).toBe(true)

    expect(t.spans().map((s) => s.name)).toEqual(['authlete_guard.check'])
    expect(t.span('authlete_guard.check')[0]!.attributes).toMatchObject({ 'authlete_guard.allowed': true, 'authlete_guard.source': 'cache' })
    expect(counts(await t.points('authlete_guard.cache.lookups'))).toEqual([{ result: 'miss', value: 1 }, { result: 'hit', value: 1 }])
    expect(counts(await t.points('authlete_guard.decisions'))).toEqual([
      { outcome: 'allowed', status: 200, source: 'authlete', value: 1 },
      { outcome: 'allowed', status: 200, source: 'cache', value: 1 },
    ])
    const [duration] = await t.points('authlete_guard.authlete.duration')
    expect((duration!.value as Exclude<Point['value'], number>).count).toBe(1)
    await expectNoSecrets(t, [token, first, dpop])
  })

  it('replayed proof: authlete_guard.replay.refusals and reason.check replay', async () => {
    emu.configure({ rejectReplayedProofs: false }) // the refusal must come from the guard
    cleanups.push(() => emu.configure({ rejectReplayedProofs: true }))
    const t = telemetry()
    const guard = guardWith()
    const token = await bound()
    const dpop = await proof(token)
    expect((await guard.check(request(token, dpop))).allowed).toBe(true)
    expect((await guard.check(request(token, dpop))).allowed).toBe(false)

    expect(t.span('authlete_guard.check')[1]!.attributes).toMatchObject({ 'authlete_guard.status': 401, 'authlete_guard.source': 'local', 'authlete_guard.reason.check': 'replay', 'authlete_guard.reason.proofJkt': key.thumbprint })
    expect(counts(await t.points('authlete_guard.replay.refusals'))).toEqual([{ value: 1 }])
    expect(counts(await t.points('authlete_guard.decisions'))).toContainEqual({ outcome: 'denied', status: 401, error: 'invalid_dpop_proof', source: 'local', value: 1 })
    await expectNoSecrets(t, [token, dpop])
  })

  it('Authlete failure: both spans in error with the error code; a 500 decision by error code; a failed call in the histogram', async () => {
    const t = telemetry()
    const guard = guardWith({ authlete: { baseUrl: await unreachableUrl(), serviceId: emu.serviceId, accessToken: emu.accessToken }, onError: () => {} })
    const token = await bound()
    const dpop = await proof(token)
    expect(await guard.check(request(token, dpop))).toMatchObject({ allowed: false, status: 500 })

    const [check] = t.span('authlete_guard.check')
    const [call] = t.span('authlete_guard.authlete')
    expect(check!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ERR_AUTHLETE_UNREACHABLE' })
    expect(check!.attributes).toMatchObject({ 'authlete_guard.status': 500, 'authlete_guard.error': 'server_error', 'authlete_guard.error_code': 'ERR_AUTHLETE_UNREACHABLE', 'error.type': 'ERR_AUTHLETE_UNREACHABLE' })
    expect(call!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ERR_AUTHLETE_UNREACHABLE' })
    expect(call!.attributes).toEqual({ 'http.request.method': 'POST', 'url.path': introspectionPath(), 'error.type': 'ERR_AUTHLETE_UNREACHABLE' })
    expect(parentOf(call!)).toBe(idOf(check!))
    expect(counts(await t.points('authlete_guard.decisions'))).toEqual([{ outcome: 'denied', status: 500, error: 'server_error', error_code: 'ERR_AUTHLETE_UNREACHABLE', source: 'authlete', value: 1 }])
    const [duration] = await t.points('authlete_guard.authlete.duration')
    expect(duration!.attributes).toEqual({ api_path: introspectionPath(), outcome: 'failure', error_code: 'ERR_AUTHLETE_UNREACHABLE' })
    await expectNoSecrets(t, [token, dpop])
  })

  it('Authlete answering HTTP 500: the call span has the status code and the error', async () => {
    const t = telemetry()
    const guard = guardWith({ onError: () => {} })
    emu.faults.inject({ type: 'status', status: 500 }, { times: 1, path: '/auth/introspection' })
    cleanups.push(() => emu.faults.clear())
    const token = await bound()
    await guard.check(request(token, await proof(token)))
    const [call] = t.span('authlete_guard.authlete')
    expect(call!.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': 'ERR_AUTHLETE_HTTP_STATUS' })
    expect(call!.status.code).toBe(SpanStatusCode.ERROR)
    expect(counts(await t.points('authlete_guard.decisions'))).toEqual([{ outcome: 'denied', status: 500, error: 'server_error', error_code: 'ERR_AUTHLETE_HTTP_STATUS', source: 'authlete', value: 1 }])
  })
})

describe('Authlete calls outside a check', () => {
  it('the authorization server\'s calls: a root CLIENT span each, in the histogram by API path; the issued token nowhere', async () => {
    const t = telemetry()
    const as = createAuthorizationServer({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken } })
    cleanups.push(() => as.close())
    const body = `grant_type=client_credentials&client_id=${DEFAULT_CLIENT.clientId}&client_secret=${DEFAULT_CLIENT.clientSecret}`
    const result = await as.token({ method: 'POST', url: '/token', headers: { host: 'as.example.com', 'content-type': 'application/x-www-form-urlencoded' } }, body)
    // Authlete's reply holds the new token (Node's tracePromise even sets it as the channel
    // context's `result`); the telemetry copies named fields only.
    const issued = String(result.authlete?.accessToken)
    expect(issued).toMatch(/^\S{20,}$/)
    const [call] = t.span('authlete_guard.authlete')
    expect(t.span('authlete_guard.check')).toEqual([])
    expect(call!.kind).toBe(SpanKind.CLIENT)
    expect(call!.attributes).toMatchObject({ 'url.path': `/api/${emu.serviceId}/auth/token`, 'http.response.status_code': 200 })
    expect(parentOf(call!)).toBeUndefined()
    expect((await t.points('authlete_guard.authlete.duration')).map((p) => p.attributes)).toEqual([{ api_path: `/api/${emu.serviceId}/auth/token`, outcome: 'success' }])
    await expectNoSecrets(t, [issued, DEFAULT_CLIENT.clientSecret], '/auth/token')
  })

  it('as.metadata() is a GET of /service/configuration, and its span says GET', async () => {
    const t = telemetry()
    const as = createAuthorizationServer({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken } })
    cleanups.push(() => as.close())
    expect((await as.metadata()).issuer).toBeTruthy()
    const [call] = t.span('authlete_guard.authlete')
    expect(call!.attributes).toMatchObject({ 'http.request.method': 'GET', 'url.path': `/api/${emu.serviceId}/service/configuration`, 'http.response.status_code': 200 })
  })
})

describe('instrumentAuthleteGuard()', () => {
  it('disable() stops recording and leaves the channels without subscribers; it is idempotent', async () => {
    const checkChannel = diagnostics.tracingChannel(CHECK_CHANNEL)
    const authleteChannel = diagnostics.tracingChannel(AUTHLETE_CHANNEL)
    expect(checkChannel.hasSubscribers || authleteChannel.hasSubscribers).toBe(false)
    const t = telemetry()
    expect(checkChannel.hasSubscribers && authleteChannel.hasSubscribers).toBe(true)
    const guard = guardWith()
    const token = await bound()
    await guard.check(request(token, await proof(token)))
    t.instrumentation.disable()
    t.instrumentation.disable()
    expect(checkChannel.hasSubscribers || authleteChannel.hasSubscribers).toBe(false)
    t.clearSpans()
    const again = await bound()
    expect((await guard.check(request(again, await proof(again)))).allowed).toBe(true)
    expect(t.spans()).toEqual([])
    expect(counts(await t.points('authlete_guard.decisions'))).toEqual([{ outcome: 'allowed', status: 200, source: 'authlete', value: 1 }])
  })

  it('without options: the global providers, even when the SDK registers them after the call', async () => {
    const t = telemetry('global')
    trace.setGlobalTracerProvider(t.tracerProvider)
    metrics.setGlobalMeterProvider(t.meterProvider)
    cleanups.push(() => {
      trace.disable()
      metrics.disable()
    })
    const guard = guardWith()
    const token = await bound()
    await guard.check(request(token, await proof(token)))
    expect(t.spans().map((s) => s.name).sort()).toEqual(['authlete_guard.authlete', 'authlete_guard.check'])
    expect(counts(await t.points('authlete_guard.decisions'))).toEqual([{ outcome: 'allowed', status: 200, source: 'authlete', value: 1 }])
  })

  it('a metrics View on INSTRUMENTATION_SCOPE replaces the histogram\'s buckets', async () => {
    const boundaries = [0.05, 0.1, 0.5, 1]
    const t = telemetry({}, [{ meterName: INSTRUMENTATION_SCOPE, instrumentName: 'authlete_guard.authlete.duration', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries } } }])
    const guard = guardWith()
    const token = await bound()
    await guard.check(request(token, await proof(token)))
    const [duration] = await t.points('authlete_guard.authlete.duration')
    expect((duration!.value as Exclude<Point['value'], number>).buckets.boundaries).toEqual(boundaries)
  })

  it('a throwing tracer or meter changes no decision and raises nothing', async () => {
    const boom = () => {
      throw new Error('telemetry down')
    }
    const tracerProvider = { getTracer: () => ({ startSpan: boom, startActiveSpan: boom }) } as unknown as TracerProvider
    const meterProvider = { getMeter: boom } as unknown as MeterProviderApi
    const instrumentation = instrumentAuthleteGuard({ tracerProvider, meterProvider })
    cleanups.push(() => instrumentation.disable())
    const guard = guardWith()
    const token = await bound()
    expect((await guard.check(request(token, await proof(token)))).allowed).toBe(true)
    const stale = await createDpopProof(key, { htm: 'GET', htu: `${ORIGIN}/api/other`, accessToken: token })
    expect(await guard.check(request(token, stale))).toMatchObject({ allowed: false, status: 401 })
    // diagnostics_channel would re-raise a subscriber's error on the next tick: give it one.
    await new Promise((resolve) => setImmediate(resolve))
  })
})
