import type { AllowDecision, DenyDecision } from '../types'

/**
 * A denial as a fetch `Response`: the guard's status, headers (`WWW-Authenticate`, `DPoP-Nonce`,
 * no-store) and JSON body. For fetch-style handlers (Workers, Deno, Bun, Next.js, Hono).
 *
 * @example
 * const decision = await guard.check(fromFetchRequest(request), { scopes: ['read'] })
 * if (!decision.allowed) return denialResponse(decision)
 */
export function denialResponse(decision: DenyDecision): Response {
  return new Response(decision.body, { status: decision.status, headers: decision.headers })
}

/**
 * The route's response with an allowed decision's headers (`DPoP-Nonce`) added; a response whose
 * headers are immutable (`Response.redirect`, a `fetch` result) is copied first.
 *
 * @example
 * if (decision.allowed) return withDecisionHeaders(await handler(request, decision.auth), decision)
 */
export function withDecisionHeaders(response: Response, decision: AllowDecision): Response {
  const entries = Object.entries(decision.headers)
  if (entries.length === 0) return response
  try {
    for (const [name, value] of entries) response.headers.set(name, value)
    return response
  } catch {
    const copy = new Response(response.body, response)
    for (const [name, value] of entries) copy.headers.set(name, value)
    return copy
  }
}
