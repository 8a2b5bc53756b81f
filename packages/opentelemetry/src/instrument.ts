import { AsyncLocalStorage } from 'node:async_hooks'
import diagnostics from 'node:diagnostics_channel'
import { context, metrics, SpanKind, SpanStatusCode, trace, type Context, type MeterProvider, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api'
import { AUTHLETE_CHANNEL, CHECK_CHANNEL, type AuthleteCallEvent, type CheckEvent } from '@authlete-guard/core'
import { authleteEndAttributes, authleteMetricAttributes, authleteStartAttributes, checkEndAttributes, checkStartAttributes, decisionMetricAttributes } from './attributes'
import { createInstruments, INSTRUMENTATION_SCOPE, type Instruments } from './instruments'

/**
 * Where the spans and metrics go; each defaults to the globally registered provider.
 *
 * @example
 * instrumentAuthleteGuard({ tracerProvider, meterProvider }) // e.g. an app that registers no global SDK
 */
export interface AuthleteGuardInstrumentationOptions {
  /**
   * Defaults to the global one (`trace.getTracerProvider()`, which the Node SDK's `start()` sets).
   *
   * @example
   * instrumentAuthleteGuard({ tracerProvider: new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] }) })
   */
  tracerProvider?: TracerProvider
  /**
   * Defaults to the global one, looked up on every record: an SDK started after
   * `instrumentAuthleteGuard()` still gets the metrics.
   *
   * @example
   * instrumentAuthleteGuard({ meterProvider: new MeterProvider({ readers: [new PrometheusExporter()] }) })
   */
  meterProvider?: MeterProvider
}

/**
 * What `instrumentAuthleteGuard()` returns.
 *
 * @example
 * const instrumentation = instrumentAuthleteGuard()
 * process.on('SIGTERM', () => instrumentation.disable())
 */
export interface AuthleteGuardInstrumentation {
  /** Unsubscribes from both channels: nothing is recorded after it (checks in flight are dropped). Idempotent. */
  disable(): void
}

const CHECK_SPAN = 'authlete_guard.check'
const AUTHLETE_SPAN = 'authlete_guard.authlete'

/**
 * Records every `guard.check()` and every Authlete API call as OpenTelemetry spans and metrics,
 * from the core's `authlete-guard:check` and `authlete-guard:authlete` diagnostics channels: any
 * guard of any adapter in the process, no option on the guard. Call it once, after the SDK starts.
 *
 * Spans: `authlete_guard.check` (INTERNAL, a child of the active span, e.g. the HTTP server's) and
 * `authlete_guard.authlete` (CLIENT, a child of the check that made the call). Metrics:
 * `authlete_guard.decisions`, `authlete_guard.authlete.duration` (seconds),
 * `authlete_guard.cache.lookups` and `authlete_guard.replay.refusals`. No token, proof, credential
 * or query string in any attribute.
 *
 * @example
 * import { NodeSDK } from '@opentelemetry/sdk-node'
 * import { instrumentAuthleteGuard } from '@authlete-guard/opentelemetry'
 *
 * const sdk = new NodeSDK({ traceExporter, metricReader })
 * sdk.start()
 * instrumentAuthleteGuard()
 */
export function instrumentAuthleteGuard(options: AuthleteGuardInstrumentationOptions = {}): AuthleteGuardInstrumentation {
  const tracer = resolved(() => options.tracerProvider ?? trace.getTracerProvider(), (provider): Tracer => provider.getTracer(INSTRUMENTATION_SCOPE))
  const instruments = resolved(() => options.meterProvider ?? metrics.getMeterProvider(), createInstruments)
  const checkChannel = diagnostics.tracingChannel<Context, CheckEvent>(CHECK_CHANNEL)
  const authleteChannel = diagnostics.tracingChannel<unknown, AuthleteCallEvent>(AUTHLETE_CHANNEL)

  // Per-check and per-call state, keyed by the event object the core passes to every phase.
  const checkSpans = new WeakMap<object, Span>()
  const callSpans = new WeakMap<object, Span>()
  // The check span's context for the check's whole async run: the core runs the check inside
  // `tracePromise`, so an Authlete call made by the check reads it here and becomes its child,
  // whether or not the app registered an OTel context manager.
  const insideCheck = new AsyncLocalStorage<Context>()

  // Opens the check span as the check's start phase runs (the store transform runs just before
  // the start event is published). Never throws: diagnostics_channel would raise it uncaught.
  const openCheck = (event: CheckEvent): Context => {
    const parent = context.active()
    try {
      const span = tracer().startSpan(CHECK_SPAN, { kind: SpanKind.INTERNAL, attributes: checkStartAttributes(event) }, parent)
      checkSpans.set(event, span)
      return trace.setSpan(parent, span)
    } catch {
      return parent
    }
  }

  const checkHandlers = {
    error: guarded((event: CheckEvent & { error: unknown }) => {
      checkSpans.get(event)?.setStatus({ code: SpanStatusCode.ERROR, message: errorName(event.error) })
    }),
    asyncEnd: guarded((event: CheckEvent) => {
      const span = checkSpans.get(event)
      checkSpans.delete(event)
      const decided = typeof event.status === 'number'
      if (span) {
        if (decided) span.setAttributes(checkEndAttributes(event))
        if (decided && event.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: event.errorCode })
        span.end()
      }
      if (!decided) return
      const { decisions, cacheLookups, replayRefusals } = instruments()
      decisions.add(1, decisionMetricAttributes(event))
      // Only checks are observable: a hit is a decision from cached facts, a miss one that asked Authlete.
      if (event.source === 'cache') cacheLookups.add(1, { result: 'hit' })
      else if (event.source === 'authlete') cacheLookups.add(1, { result: 'miss' })
      if (event.reason?.check === 'replay') replayRefusals.add(1)
    }),
  }

  const authleteHandlers = {
    start: guarded((event: AuthleteCallEvent) => {
      const parent = insideCheck.getStore() ?? context.active()
      callSpans.set(event, tracer().startSpan(AUTHLETE_SPAN, { kind: SpanKind.CLIENT, attributes: authleteStartAttributes(event) }, parent))
    }),
    error: guarded((event: AuthleteCallEvent & { error: unknown }) => {
      callSpans.get(event)?.setStatus({ code: SpanStatusCode.ERROR, message: event.errorCode ?? errorName(event.error) })
    }),
    asyncEnd: guarded((event: AuthleteCallEvent & { error?: unknown }) => {
      const failed = 'error' in event || event.errorCode !== undefined
      const span = callSpans.get(event)
      callSpans.delete(event)
      if (span) {
        const attributes = authleteEndAttributes(event)
        if (failed) attributes['error.type'] ??= errorName(event.error)
        span.setAttributes(attributes)
        span.end()
      }
      if (typeof event.durationMs === 'number') instruments().authleteDuration.record(event.durationMs / 1000, authleteMetricAttributes(event, failed))
    }),
  }

  checkChannel.start.bindStore(insideCheck, openCheck)
  checkChannel.subscribe(checkHandlers as never)
  authleteChannel.subscribe(authleteHandlers as never)

  let enabled = true
  return {
    disable() {
      if (!enabled) return
      enabled = false
      checkChannel.unsubscribe(checkHandlers as never)
      checkChannel.start.unbindStore(insideCheck)
      authleteChannel.unsubscribe(authleteHandlers as never)
    },
  }
}

/**
 * A subscriber that cannot throw: diagnostics_channel re-raises a subscriber's error as an
 * uncaught exception, and telemetry must never take the app down or change a decision.
 */
function guarded<T>(handler: (event: T) => void): (event: T) => void {
  return (event) => {
    try {
      handler(event)
    } catch {
      // Telemetry is best effort.
    }
  }
}

/** What comes of a provider, made again only when the provider changes (e.g. the SDK starts later). */
function resolved<P extends object, R>(provider: () => P, make: (provider: P) => R): () => R {
  let cached: { provider: P; value: R } | undefined
  return () => {
    const current = provider()
    if (cached?.provider !== current) cached = { provider: current, value: make(current) }
    return cached.value
  }
}

/** A failure's code or class name, never its message (which may quote a server's words). */
function errorName(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code
  if (typeof code === 'string') return code
  return error instanceof Error ? error.name : 'Error'
}
