import type { AuthleteClient } from '../types'

/** At most one explaining call per token (hash) in this many ms. */
export const EXPLAIN_INTERVAL_MS = 60_000
/** Tokens remembered for that bound, least recently explained first out: memory stays bounded. */
export const MAX_EXPLAINED_TOKENS = 1000

/** The thumbprint a token is bound to (RFC 7662 `cnf.jkt`), from standard introspection; `undefined` if unknown. */
async function boundThumbprint(authlete: AuthleteClient, token: string): Promise<string | undefined> {
  try {
    const reply = await authlete.call<{ responseContent?: unknown }>('/auth/introspection/standard', { parameters: `token=${encodeURIComponent(token)}` })
    const content = typeof reply.responseContent === 'string' ? (JSON.parse(reply.responseContent) as { cnf?: { jkt?: unknown } }) : undefined
    return typeof content?.cnf?.jkt === 'string' ? content.cnf.jkt.slice(0, 64) : undefined
  } catch {
    return undefined // only an explanation: the denial stands either way
  }
}

/**
 * For operators listening (onDecision, the check channel): the thumbprint a token presented with
 * another key is bound to. One extra Authlete call, at most once per token (by its hash) per
 * `EXPLAIN_INTERVAL_MS`, so that listening barely changes the traffic to Authlete; otherwise
 * `undefined`. The clock is the guard's.
 */
export function createThumbprintExplainer(authlete: AuthleteClient, now: () => number): (token: string, tokenHash: string) => Promise<string | undefined> {
  const explained = new Map<string, number>()
  return async (token, tokenHash) => {
    const at = now()
    const previous = explained.get(tokenHash)
    if (previous !== undefined && at - previous < EXPLAIN_INTERVAL_MS) return undefined
    explained.delete(tokenHash)
    explained.set(tokenHash, at)
    if (explained.size > MAX_EXPLAINED_TOKENS) explained.delete(explained.keys().next().value!)
    return boundThumbprint(authlete, token)
  }
}
