/**
 * `@authlete-guard/opentelemetry`: the guard's checks and Authlete calls as OpenTelemetry spans
 * and metrics, from the core's diagnostics channels. `@opentelemetry/api` is a peer dependency:
 * bring your SDK (the Node SDK, or your own tracer and meter providers).
 */
export { instrumentAuthleteGuard } from './instrument'
export type { AuthleteGuardInstrumentation, AuthleteGuardInstrumentationOptions } from './instrument'
export { INSTRUMENTATION_SCOPE, AUTHLETE_DURATION_BUCKETS } from './instruments'
