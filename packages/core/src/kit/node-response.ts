/**
 * Writing the guard's answers on Node's `ServerResponse` (Express, NestJS on Express, plain
 * `node:http`), exported from `@authlete-guard/core/node`.
 */
import type { ServerResponse } from 'node:http'

/** An answer to send as it is: a `DenyDecision`, or an authorization-server `EndpointResponse`. */
export interface HttpAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * Put the decision's headers (e.g. `DPoP-Nonce` on an allowed request) on the response.
 *
 * @example
 * if (decision.allowed) setDecisionHeaders(res, decision)
 */
export function setDecisionHeaders(res: ServerResponse, decision: { headers: Record<string, string> }): void {
  for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value)
}

/**
 * Send a denial (or an endpoint's answer) as decided: status, headers, body, and nothing added.
 * Node's own API, so a framework on top (Express's `send()`) adds no charset, ETag or 304.
 *
 * @example
 * const decision = await guard.check(fromNodeRequest(req), { scopes: ['read'] })
 * if (!decision.allowed) return writeDenial(res, decision)
 */
export function writeDenial(res: ServerResponse, denial: HttpAnswer): void {
  res.statusCode = denial.status
  setDecisionHeaders(res, denial)
  res.end(denial.body)
}
