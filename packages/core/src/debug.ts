import { requestPath } from './request/public-url'
import type { Decision, DenyDecision, RequestLike } from './types'

/**
 * The `NODE_DEBUG` section that makes every denial write one line to stderr:
 * `NODE_DEBUG=authlete-guard` (or a comma-separated list with it, or a `*` pattern that matches
 * it, as Node's `util.debuglog` reads the variable).
 *
 * @example
 * // NODE_DEBUG=authlete-guard node server.js
 * // AUTHLETE-GUARD 4242: denied GET /api/me 401 invalid_dpop_proof reason={"check":"htu","expected":"https://api.example.com/api/me","actual":"http://localhost:3000/api/me"}
 */
export const DEBUG_SECTION = 'authlete-guard'

type DebugLog = ((format: string, ...args: unknown[]) => void) & { enabled?: boolean }

/** `undefined` until first asked; then the logger, or `null` when debugging is off or absent. */
let logger: DebugLog | null | undefined

/**
 * Node's `util.debuglog` for `DEBUG_SECTION`, reached without a static `node:` import (the root
 * entry stays Web-standard), when the process is Node and `NODE_DEBUG` enables it; else `null`.
 */
function resolveLogger(): DebugLog | null {
  try {
    const load = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule
    const util = load?.('node:util') as { debuglog?: (section: string) => DebugLog } | undefined
    const log = util?.debuglog?.(DEBUG_SECTION)
    return typeof log === 'function' && log.enabled === true ? log : null
  } catch {
    return null
  }
}

/** Control characters out: a request's method and path are the client's, and this is one line. */
const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f]/g, '?')

/**
 * The line for one denial: method, path (no query), status, error, and the operator's reason
 * (`decision.reason`, JSON), the infrastructure cause's code for a 500, or the description when
 * there is neither. Never a token, proof, credential or query.
 */
export function denialLine(request: Pick<RequestLike, 'method' | 'url'>, decision: DenyDecision): string {
  const parts = ['denied', printable(request.method.toUpperCase()), printable(requestPath(request.url)), String(decision.status), decision.error ?? '-']
  if (decision.reason) parts.push(`reason=${JSON.stringify(decision.reason)}`)
  if (decision.cause) parts.push(`cause=${decision.cause.code}`)
  if (!decision.reason && !decision.cause && decision.errorDescription) parts.push(`description=${JSON.stringify(decision.errorDescription)}`)
  return parts.join(' ')
}

/**
 * With `NODE_DEBUG=authlete-guard`, write one line to stderr for a denial (`denialLine`); do
 * nothing for an allowed request, or at all without the variable (the logger is looked up once).
 * Called by `guard.check()` for every decision.
 *
 * @example
 * const decision = await run(request, route)
 * debugDenial(request, decision)
 */
export function debugDenial(request: Pick<RequestLike, 'method' | 'url'>, decision: Decision): void {
  if (decision.allowed) return
  if (logger === undefined) logger = resolveLogger()
  if (logger === null) return
  try {
    logger('%s', denialLine(request, decision))
  } catch {
    // Logging never changes a decision.
  }
}
