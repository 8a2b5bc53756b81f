import type { AllowDecision, IntrospectionRequest, IntrospectionResponse, RequestLike, RouteOptions } from '../types'

/** What one request proved, for a second guard on the same request (stacked `protect`). */
export interface Proven {
  token: string
  dpop: string | undefined
  htm: string | undefined
  htu: string | undefined
  /** The client certificate (PEM) sent to Authlete, and the thumbprint the allow carried. */
  clientCertificate: string | undefined
  certificateThumbprint: string | undefined
  facts: IntrospectionResponse
  nonce: string | undefined
  source: 'authlete' | 'cache'
  /** Whether a nonce was required (and so checked by Authlete or the cache) for this request. */
  nonceRequired: boolean
  /** When it was proven, ms since the epoch. */
  at: number
}

/**
 * What a guard's requests proved, keyed by the request's header bag: the same object for every
 * guard a request passes through (`RequestLike.headers`).
 */
export type ProvenRequests = WeakMap<object, Proven>

/** How long a request's proof serves the guards it passes through (one request's middleware chain). */
export const SAME_REQUEST_MS = 30_000

/**
 * Stage reuse: what an earlier guard proved for this very request (`earlier`), and whether it is
 * the same presentation (`same`: token, proof, `htm`, `htu` and client certificate). A second guard on the same
 * request reuses it: no second proof check, no false replay, no second Authlete call; only its own
 * route requirements are judged. Bounded in time too: a header object reused for another request
 * (a custom adapter's bug) must not turn into a replay window.
 */
export function reuse(proven: ProvenRequests, request: RequestLike, body: IntrospectionRequest, now: number): { earlier: Proven | undefined; same: boolean } {
  const earlier = proven.get(request.headers as object)
  const { token, dpop, htm, htu, clientCertificate } = body
  const same = earlier !== undefined && now - earlier.at < SAME_REQUEST_MS && earlier.token === token && earlier.dpop === dpop && earlier.htm === htm && earlier.htu === htu && earlier.clientCertificate === clientCertificate
  return { earlier, same }
}

/** Remember what an allowed request proved, for the next guard on it (`reuse`). */
export function prove(proven: ProvenRequests, request: RequestLike, body: IntrospectionRequest, route: RouteOptions, decision: AllowDecision, earlier: Proven | undefined, now: number): void {
  proven.set(request.headers as object, {
    token: body.token, dpop: body.dpop, htm: body.htm, htu: body.htu, at: now,
    clientCertificate: body.clientCertificate, certificateThumbprint: decision.auth.certificateThumbprint,
    facts: decision.auth.raw, nonce: decision.headers['DPoP-Nonce'], source: decision.auth.source,
    nonceRequired: route.dpopNonceRequired === true || earlier?.nonceRequired === true,
  })
}
