import type { RouteOptions } from './types'

/** A Node-style tracing channel, as `node:diagnostics_channel` makes them (the parts used here). */
interface TracingChannel {
  readonly hasSubscribers: boolean
  tracePromise<T>(fn: () => Promise<T>, context: object): Promise<T>
}

/**
 * `diagnostics_channel` where the runtime has one (Node, Bun, Deno, Workers with nodejs_compat),
 * reached without a static `node:` import so the root entry stays Web-standard; elsewhere the
 * channels are absent and tracing costs nothing.
 */
function tracingChannel(name: string): TracingChannel | undefined {
  try {
    const load = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule
    const dc = load?.('node:diagnostics_channel') as { tracingChannel?: (name: string) => TracingChannel } | undefined
    return dc?.tracingChannel?.(name)
  } catch {
    return undefined
  }
}

/**
 * Tracing channel around every `guard.check()`. The context carries `method`, `path` (no query),
 * `scheme`, `route` (the requirements) and, by the `end`/`asyncEnd` events, the decision's fields
 * (`CheckEvent`). Never a token, proof, credential or URL query.
 *
 * @example
 * import diagnostics from 'node:diagnostics_channel'
 * diagnostics.tracingChannel(CHECK_CHANNEL).subscribe({ asyncEnd: (event) => console.log(event.status, event.source, event.durationMs) })
 */
export const CHECK_CHANNEL = 'authlete-guard:check'
/**
 * Tracing channel around every Authlete API call (guard and authorization-server endpoints): the
 * context carries `apiPath`, then `httpStatus`, `resultCode`, `action`, `durationMs`.
 *
 * @example
 * diagnostics.tracingChannel(AUTHLETE_CHANNEL).subscribe({ asyncEnd: (call) => histogram.record(call.durationMs, { path: call.apiPath }) })
 */
export const AUTHLETE_CHANNEL = 'authlete-guard:authlete'

export const checkChannel = tracingChannel(CHECK_CHANNEL)
export const authleteChannel = tracingChannel(AUTHLETE_CHANNEL)

/**
 * Why a request was refused, in terms an operator can act on (never sent to the client): the
 * failed check and its figures, e.g. `{ check: 'htu', expected, actual }`,
 * `{ check: 'iat', iat, now, maxAgeSeconds, maxFutureSeconds }`, `{ check: 'jkt', expected, actual }`.
 */
export type DecisionReason = { check: string } & Record<string, string | number | boolean | undefined>

/** What `onDecision` and the `authlete-guard:check` channel report about one check. */
export interface CheckEvent {
  method: string
  /** Request path, without the query. */
  path: string
  /** `'DPoP'` or `'Bearer'`, when the credentials could be read. */
  scheme: 'DPoP' | 'Bearer' | undefined
  /** The route's requirements. */
  route: RouteOptions
  allowed: boolean
  status: number
  /** OAuth error code of a denial (`invalid_dpop_proof`, ...). */
  error: string | undefined
  /** Where the decision was made: a `local` refusal, the `cache`, or `authlete`. */
  source: 'local' | 'cache' | 'authlete'
  durationMs: number
  /** For refusals the guard made itself: what failed, with figures. */
  reason: DecisionReason | undefined
  /** The infrastructure fault behind a 500 (its `code` and `message`). */
  errorCode: string | undefined
}

/** What the `authlete-guard:authlete` channel reports about one Authlete call. */
export interface AuthleteCallEvent {
  /** `/api/{serviceId}/auth/introspection`: no origin, no credential. */
  apiPath: string
  httpStatus: number | undefined
  resultCode: string | undefined
  action: string | undefined
  durationMs: number
  /** The coded failure, when the call failed. */
  errorCode: string | undefined
}
