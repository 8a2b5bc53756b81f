import type { Counter, Histogram, MeterProvider } from '@opentelemetry/api'

/**
 * The instrumentation scope of every span and metric this package records (the tracer's and the
 * meter's name): filter on it, or name it in a metrics `View`.
 *
 * @example
 * // SDK 2.x: other buckets for the Authlete latency histogram
 * new MeterProvider({ readers, views: [{ meterName: INSTRUMENTATION_SCOPE, instrumentName: 'authlete_guard.authlete.duration', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [0.05, 0.1, 0.5, 1] } } }] })
 */
export const INSTRUMENTATION_SCOPE = '@authlete-guard/opentelemetry'

/**
 * Bucket boundaries of `authlete_guard.authlete.duration`, in seconds: those of OTel's
 * `http.client.request.duration`. A metrics `View` can replace them.
 *
 * @example
 * // 5 ms ... 10 s; Authlete answers a healthy introspection in tens of milliseconds
 * console.log(AUTHLETE_DURATION_BUCKETS)
 */
export const AUTHLETE_DURATION_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10])

export interface Instruments {
  decisions: Counter
  authleteDuration: Histogram
  cacheLookups: Counter
  replayRefusals: Counter
}

export function createInstruments(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(INSTRUMENTATION_SCOPE)
  return {
    decisions: meter.createCounter('authlete_guard.decisions', {
      description: 'Checks decided by the guard, by outcome (allowed, denied), HTTP status, OAuth error, source (local, cache, authlete) and, for 500s, the error code.',
      unit: '{decision}',
    }),
    authleteDuration: meter.createHistogram('authlete_guard.authlete.duration', {
      description: 'Duration of Authlete API calls, by API path and outcome (success, failure).',
      unit: 's',
      advice: { explicitBucketBoundaries: [...AUTHLETE_DURATION_BUCKETS] },
    }),
    cacheLookups: meter.createCounter('authlete_guard.cache.lookups', {
      description: 'Checks that reached the introspection cache stage: result hit (served from the cache) or miss (decided by Authlete).',
      unit: '{lookup}',
    }),
    replayRefusals: meter.createCounter('authlete_guard.replay.refusals', {
      description: 'DPoP proofs refused because they had been used before (RFC 9449 section 11.1).',
      unit: '{refusal}',
    }),
  }
}
