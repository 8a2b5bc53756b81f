import type { TrustProxy } from '../types'

/**
 * Which element of a comma-separated forwarded header to believe, or `undefined` to believe none.
 *
 * Each proxy appends its own element, so the last `n` elements come from the `n` proxies in front
 * of the app and everything left of them was written by the client. With a hop count `n` the
 * guard reads the element the outermost trusted proxy wrote, and none when there are fewer than
 * `n` elements (then a client-written one could be the left-most); with `true` or a predicate (asked
 * about the peer, hop 0) it reads the first element, as Express and Koa do.
 */
export function trustedElementIndex(
  trust: TrustProxy | undefined,
  peerAddress: string | undefined,
  elementCount: number,
): number | undefined {
  if (elementCount === 0 || trust === undefined || trust === false) return undefined
  if (trust === true) return 0
  if (typeof trust === 'number') {
    // Fewer elements than trusted proxies: the left-most one may be the client's own, so none is
    // believed (the guard falls back to Host and the socket).
    if (trust < 1 || elementCount < trust) return undefined
    return elementCount - trust
  }
  return trust(peerAddress ?? '', 0) ? 0 : undefined
}

/** Split a list-valued header on commas that are not inside a quoted string. */
export function splitList(value: string): string[] {
  return splitUnquoted(value, ',')
}

/** Split `value` on each `separator` that is not inside a quoted string; parts trimmed, empty ones dropped. */
export function splitUnquoted(value: string, separator: string): string[] {
  const out: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted
    if (c === separator && !quoted) {
      out.push(current.trim())
      current = ''
    } else {
      current += c
    }
  }
  out.push(current.trim())
  return out.filter((part) => part.length > 0)
}
