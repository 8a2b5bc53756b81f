/** Parameters of one `WWW-Authenticate` challenge, in order. `undefined` values are skipped. */
export type ChallengeParams = Array<[name: string, value: string | undefined]>

/** How the guard's own challenges look. */
export interface ChallengeOptions {
  realm?: string | undefined
  dpopAlgs: readonly string[]
  /** The route's required scopes, advertised in the no-credentials challenge. */
  scopes?: readonly string[] | undefined
}

/** The challenge options of one request, with the scheme it used. */
export type SchemeChallenge = ChallengeOptions & { scheme: 'DPoP' | 'Bearer' }

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/**
 * Render one challenge: `DPoP error="invalid_token", error_description="...", algs="ES256"`.
 * A scheme with no parameters renders as the bare scheme (RFC 9110 §11.6.1).
 */
export function renderChallenge(scheme: string, params: ChallengeParams): string {
  const rendered = params.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${quote(v!)}`)
  return rendered.length === 0 ? scheme : `${scheme} ${rendered.join(', ')}`
}

// RFC 9110 §5.6.2 tchar, by char code.
const TCHAR = new Uint8Array(128)
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1
const isTchar = (code: number) => code < 128 && TCHAR[code] === 1
const isSpace = (code: number) => code === 0x20 || code === 0x09

/**
 * Read the `error` and `error_description` of the first challenge in a `WWW-Authenticate`
 * value such as Authlete's `responseContent`
 * (`DPoP error="invalid_token",error_description="[A065308] ...",algs="..."`).
 *
 * One left-to-right pass (RFC 9110 §11.6.1 auth-param = token BWS "=" BWS ( token /
 * quoted-string )): every character is looked at a bounded number of times, so a hostile or
 * huge value costs linear time, never a backtracking blow-up.
 */
export function parseChallengeError(value: string | null | undefined): { error?: string; errorDescription?: string } {
  if (!value) return {}
  const out: { error?: string; errorDescription?: string } = {}
  const n = value.length
  let i = 0
  while (i < n && (out.error === undefined || out.errorDescription === undefined)) {
    const start = i
    while (i < n && isTchar(value.charCodeAt(i))) i++
    if (i === start) {
      i++ // not a token character: a separator
      continue
    }
    let j = i
    while (j < n && isSpace(value.charCodeAt(j))) j++
    if (value.charCodeAt(j) !== 0x3d /* = */) continue // a scheme or a token68, not a parameter
    j++
    while (j < n && isSpace(value.charCodeAt(j))) j++
    let parsed: string
    if (value.charCodeAt(j) === 0x22 /* " */) {
      let text = ''
      let chunk = ++j
      while (j < n && value.charCodeAt(j) !== 0x22) {
        if (value.charCodeAt(j) === 0x5c /* \ */) {
          text += value.slice(chunk, j)
          chunk = ++j // keep the escaped character itself
        }
        j++
      }
      if (j >= n) break // an unterminated quoted string ends the value
      parsed = text + value.slice(chunk, j)
      j++
    } else {
      const valueStart = j
      while (j < n && value.charCodeAt(j) !== 0x2c && !isSpace(value.charCodeAt(j))) j++
      parsed = value.slice(valueStart, j)
    }
    const name = value.slice(start, i).toLowerCase()
    if (name === 'error' && out.error === undefined) out.error = parsed
    else if (name === 'error_description' && out.errorDescription === undefined) out.errorDescription = parsed
    i = j
  }
  return out
}

/** The guard's own `DPoP` challenge: realm, `params`, and the `algs` it accepts. */
export function dpopChallenge(options: ChallengeOptions, params: ChallengeParams = []): string {
  return renderChallenge('DPoP', [['realm', options.realm], ...params, ['algs', options.dpopAlgs.join(' ')]])
}

/** The guard's own `Bearer` challenge: realm and `params`. */
export function bearerChallenge(options: ChallengeOptions, params: ChallengeParams = []): string {
  return renderChallenge('Bearer', [['realm', options.realm], ...params])
}

/** The guard's own challenge for a request of `scheme` (realm, params, and `algs` for DPoP). */
export function challengeFor(scheme: 'DPoP' | 'Bearer', options: ChallengeOptions, params: ChallengeParams): string {
  return scheme === 'DPoP' ? dpopChallenge(options, params) : bearerChallenge(options, params)
}
