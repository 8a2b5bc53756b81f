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

/** Split a list-valued header on commas that are not inside a quoted string (see `splitUnquoted`). */
export function splitList(value: string): string[] {
  return splitUnquoted(value, ',')
}

const QUOTE = 0x22
const BACKSLASH = 0x5c

/** Whether the `"` at `at`, inside a quoted string, is escaped: an odd run of backslashes before it (RFC 9110 §5.6.4). */
function escapedQuote(value: string, at: number): boolean {
  let run = 0
  for (let i = at - 1; i >= 0 && value.charCodeAt(i) === BACKSLASH; i--) run++
  return run % 2 === 1
}

/**
 * Split `value` on each `separator` that is not inside a quoted string (RFC 9110 §5.6.4: `"`
 * delimited, a backslash escaping the next character: `\"` is a quote inside, `\\"` an escaped
 * backslash and then the closing quote);
 * parts trimmed, empty ones dropped. Read from the right, as proxies append their elements on the
 * right: their well-formed elements are split exactly, and a malformed part a client wrote on the
 * left (an unbalanced quote, a trailing backslash) stays in the left-most parts, never merging with
 * a proxy's element or shifting which element is the `n`-th from the right. Linear time.
 *
 * @example
 * splitUnquoted('By=a;Subject="x\\\\", By=b', ',') // ['By=a;Subject="x\\\\"', 'By=b']
 */
export function splitUnquoted(value: string, separator: string): string[] {
  const out: string[] = []
  const sep = separator.charCodeAt(0)
  let end = value.length
  let quoted = false
  for (let i = value.length - 1; i >= 0; i--) {
    const code = value.charCodeAt(i)
    if (quoted) {
      if (code !== QUOTE) continue
      if (escapedQuote(value, i)) i-- // the quoted-pair \" : its backslash too
      else quoted = false // the opening quote
    } else if (code === QUOTE) {
      quoted = true // a closing quote, met first from the right
    } else if (code === sep) {
      out.push(value.slice(i + 1, end).trim())
      end = i
    }
  }
  out.push(value.slice(0, end).trim())
  return out.reverse().filter((part) => part.length > 0)
}

/**
 * A value that is one whole quoted string (RFC 9110 §5.6.4), its content unescaped; anything else
 * (a token, or a malformed quoted string such as `"a\"`) as it is.
 *
 * @example
 * unquote('"CN=a\\"b,O=x"') // 'CN=a"b,O=x'
 */
export function unquote(value: string): string {
  if (value.length < 2 || value.charCodeAt(0) !== QUOTE) return value
  let text = ''
  for (let i = 1; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code === QUOTE) return i === value.length - 1 ? text : value
    if (code === BACKSLASH) i++
    if (i >= value.length) return value
    text += value[i]
  }
  return value
}
