import { debugDenial } from './debug'
import { requestPath } from './request/public-url'
import type { Decision, DecisionReason, RequestLike, RouteOptions } from './types'

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
  /** `POST` for every API but `/service/configuration` (`GET`). */
  method: 'POST' | 'GET'
  /** `/api/{serviceId}/auth/introspection`: no origin, no credential. */
  apiPath: string
  httpStatus: number | undefined
  resultCode: string | undefined
  action: string | undefined
  durationMs: number
  /** The coded failure, when the call failed. */
  errorCode: string | undefined
}

/** Where one check was decided and why: the guard's answer, before listeners see it. */
export interface CheckOutcome {
  decision: Decision
  source: CheckEvent['source']
  /** For a refusal: what failed, with figures (becomes the denial's `reason`). */
  reason?: DecisionReason | undefined
  /** The scheme the request used, once its credentials were read. */
  scheme?: 'DPoP' | 'Bearer' | undefined
}

/**
 * One `guard.check()`, observed: `run` decides (told whether anyone listens, which is worth an
 * extra call to explain a key mismatch); a denial carries its operator reason; the check channel
 * traces it and `onDecision` gets the `CheckEvent` when either listens; with
 * `NODE_DEBUG=authlete-guard` a denial writes one stderr line. Nothing a listener does changes
 * the decision.
 */
export async function observeCheck(
  request: RequestLike,
  route: RouteOptions,
  run: (detailed: boolean) => Promise<CheckOutcome>,
  onDecision: ((event: CheckEvent) => void) | undefined,
): Promise<Decision> {
  const traced = checkChannel?.hasSubscribers === true
  if (!traced && !onDecision) {
    const decision = withReason(await run(false))
    debugDenial(request, decision) // NODE_DEBUG=authlete-guard: one stderr line per denial
    return decision
  }
  const started = performance.now()
  const event = { method: request.method.toUpperCase(), path: requestPath(request.url), scheme: undefined, route } as CheckEvent
  // As for Authlete calls: the traced function returns nothing, so the decision (and its
  // principal) never lands on the published context as `result`.
  let decision!: Decision
  const capture = async () => {
    const outcome = await run(true)
    decision = withReason(outcome)
    Object.assign(event, eventFields(outcome, performance.now() - started))
  }
  if (traced) await checkChannel!.tracePromise(capture, event)
  else await capture()
  debugDenial(request, decision)
  try {
    onDecision?.(event)
  } catch {
    // The decision stands whatever the hook does.
  }
  return decision
}

/** A denial carries its operator reason (never sent to the client) for adapters' logs. */
function withReason({ decision, reason }: CheckOutcome): Decision {
  if (!decision.allowed && reason) decision.reason = reason
  return decision
}

/** The outcome's fields of the check event. */
function eventFields({ decision, source, reason, scheme }: CheckOutcome, durationMs: number): Partial<CheckEvent> {
  return {
    scheme,
    allowed: decision.allowed,
    status: decision.allowed ? 200 : decision.status,
    error: decision.allowed ? undefined : decision.error,
    source,
    durationMs,
    reason,
    errorCode: decision.allowed ? undefined : decision.cause?.code,
  }
}
