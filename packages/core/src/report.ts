import type { AuthleteGuardError } from './errors'
import type { GuardErrorEvent, RequestLike } from './types'

/** Report one infrastructure failure (the request was denied with 500). */
export type Reporter = (error: AuthleteGuardError, operation: string, request: RequestLike, path: string) => void

/** Without `onError`, a cause is written to `console.warn` at most this often. */
export const UNHANDLED_REPORT_INTERVAL_MS = 60_000
/** Distinct causes remembered for that rate limit; past this the oldest is forgotten. */
const MAX_REMEMBERED_CAUSES = 256

/**
 * The reporter of a guard or an authorization server. With `onError`, every failure goes to it (a
 * throwing hook changes nothing). Without it, failures are never silent: each distinct cause
 * (code and message) is logged once per `UNHANDLED_REPORT_INTERVAL_MS` to `console.warn`. Neither
 * carries a token, proof or credential: messages name Authlete's URL path or origin at most.
 */
export function createReporter(onError: ((event: GuardErrorEvent) => void) | undefined, now: () => number = Date.now): Reporter {
  if (onError) {
    return (error, operation, request, path) => {
      try {
        onError({ error, operation, method: request.method.toUpperCase(), path })
      } catch {
        // The denial stands whatever the hook does.
      }
    }
  }
  const lastLogged = new Map<string, number>()
  return (error, operation) => {
    const key = `${error.code} ${error.message}`
    const at = now()
    const previous = lastLogged.get(key)
    if (previous !== undefined && at - previous < UNHANDLED_REPORT_INTERVAL_MS) return
    lastLogged.delete(key)
    lastLogged.set(key, at)
    if (lastLogged.size > MAX_REMEMBERED_CAUSES) lastLogged.delete(lastLogged.keys().next().value!)
    console.warn(
      `authlete-guard: ${operation} denied with 500: ${error.code}: ${error.message} ` +
        `(pass onError to handle these yourself; this cause is logged at most once a minute)`,
    )
  }
}
