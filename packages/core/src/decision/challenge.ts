/**
 * Parameters of one `WWW-Authenticate` challenge, in order. `undefined` values are skipped.
 *
 * @example
 * const params: ChallengeParams = [['error', 'insufficient_scope'], ['scope', 'files:write'], ['resource_metadata', undefined]]
 */
export type ChallengeParams = Array<[name: string, value: string | undefined]>

/** How the guard's own challenges look. */
export interface ChallengeOptions {
  realm?: string | undefined
  dpopAlgs: readonly string[]
  /** The route's required scopes, advertised in the no-credentials challenge (and, with `resourceMetadataUrl`, a 403 `insufficient_scope`). */
  scopes?: readonly string[] | undefined
  /**
   * The URL of the protected resource's metadata (RFC 9728), when the guard has a `resource`: every
   * 401 and 403 `insufficient_scope` challenge carries it as `resource_metadata` (`resourceParams`).
   */
  resourceMetadataUrl?: string | undefined
}

/** The challenge options of one request, with the scheme it used. */
export type SchemeChallenge = ChallengeOptions & { scheme: 'DPoP' | 'Bearer' }

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

/**
 * Render one challenge: `DPoP error="invalid_token", error_description="...", algs="ES256"`.
 * Every value is a quoted-string (RFC 9110 §5.6.4: `"` and `\` escaped with a backslash);
 * parameters whose value is `undefined` are left out. A scheme with no parameters renders as the
 * bare scheme (RFC 9110 §11.6.1). The guard's own challenges are rendered by it; exported from
 * the root entry for code that writes a challenge of its own (e.g. `@authlete-guard/mcp`'s
 * `requireScopes`).
 *
 * @example
 * renderChallenge('Bearer', [['error', 'insufficient_scope'], ['scope', 'files:write'], ['realm', undefined]])
 * // 'Bearer error="insufficient_scope", scope="files:write"'
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

/** One challenge of a `WWW-Authenticate` value: its scheme, and its auth-params or its token68. */
export interface ParsedChallenge {
  scheme: string
  params: Array<[name: string, value: string]>
  token68?: string | undefined
}

// RFC 9110 §11.6.2 token68 characters, besides ALPHA and DIGIT.
const isToken68 = (code: number) => (code >= 0x30 && code <= 0x39) || ((code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a) || code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e || code === 0x2b || code === 0x2f

/** A reader over one header value: every step moves forward, so a parse is linear. */
class Reader {
  i = 0
  constructor(readonly text: string) {}
  get done(): boolean {
    return this.i >= this.text.length
  }
  at(code: number): boolean {
    return this.text.charCodeAt(this.i) === code
  }
  spaces(): void {
    while (!this.done && isSpace(this.text.charCodeAt(this.i))) this.i++
  }
  token(): string {
    const start = this.i
    while (!this.done && isTchar(this.text.charCodeAt(this.i))) this.i++
    return this.text.slice(start, this.i)
  }
  /** A quoted-string's content, unescaped; `undefined` when it never ends. */
  quoted(): string | undefined {
    let text = ''
    for (this.i++; !this.done; this.i++) {
      const code = this.text.charCodeAt(this.i)
      if (code === 0x22) {
        this.i++
        return text
      }
      if (code === 0x5c) this.i++
      if (this.done) return undefined
      text += this.text[this.i]
    }
    return undefined
  }
  /** A token68 ending the challenge (`abc==` then the end or a comma), or `undefined` (nothing consumed). */
  token68(): string | undefined {
    const start = this.i
    let j = start
    while (j < this.text.length && isToken68(this.text.charCodeAt(j))) j++
    if (j === start) return undefined
    while (j < this.text.length && this.text.charCodeAt(j) === 0x3d) j++
    let k = j
    while (k < this.text.length && isSpace(this.text.charCodeAt(k))) k++
    if (k < this.text.length && this.text.charCodeAt(k) !== 0x2c) return undefined
    this.i = j
    return this.text.slice(start, j)
  }
}

/**
 * The auth-params of one challenge, up to the end or the next challenge's scheme (a token after a
 * comma with no `=`); `false` when they are malformed.
 */
function readParams(r: Reader, params: ParsedChallenge['params']): boolean {
  for (;;) {
    const start = r.i
    const name = r.token()
    r.spaces()
    if (name === '' || !r.at(0x3d)) {
      r.i = start
      return name !== '' && params.length > 0 // the next challenge, after at least one of this one's parameters
    }
    r.i++
    r.spaces()
    const value = r.at(0x22) ? r.quoted() : r.token() || undefined
    if (value === undefined) return false
    params.push([name, value])
    r.spaces()
    if (r.done) return true
    if (!r.at(0x2c)) return false
    while (!r.done && (r.at(0x2c) || isSpace(r.text.charCodeAt(r.i)))) r.i++ // OWS "," OWS, empty list elements
    if (r.done) return true
  }
}

/**
 * Every challenge of a `WWW-Authenticate` value (RFC 9110 §11.6.1: `#challenge`, each
 * `auth-scheme [ 1*SP ( token68 / #auth-param ) ]`, parameter values unquoted and unescaped), or
 * `undefined` when the value is not such a list. Linear time, like `parseChallengeError`.
 *
 * @example
 * parseChallenges('DPoP error="invalid_token",algs="ES256"')
 * // [{ scheme: 'DPoP', params: [['error', 'invalid_token'], ['algs', 'ES256']] }]
 */
export function parseChallenges(value: string): ParsedChallenge[] | undefined {
  const r = new Reader(value)
  const challenges: ParsedChallenge[] = []
  for (;;) {
    while (!r.done && (r.at(0x2c) || isSpace(value.charCodeAt(r.i)))) r.i++
    if (r.done) return challenges.length > 0 ? challenges : undefined
    const challenge: ParsedChallenge = { scheme: r.token(), params: [] }
    if (challenge.scheme === '') return undefined
    challenges.push(challenge)
    if (r.done || r.at(0x2c)) continue
    if (!isSpace(value.charCodeAt(r.i))) return undefined
    r.spaces()
    if (r.done || r.at(0x2c)) continue
    challenge.token68 = r.token68()
    if (challenge.token68 === undefined && !readParams(r, challenge.params)) return undefined
  }
}

/** Render challenges: `renderChallenge` each (values quoted and escaped), joined by `, `. */
export function renderChallenges(challenges: readonly ParsedChallenge[]): string {
  return challenges.map((c) => (c.token68 !== undefined ? `${c.scheme} ${c.token68}` : renderChallenge(c.scheme, c.params))).join(', ')
}

/**
 * `value` with `params` set in each challenge that has auth-params or none (a token68 challenge is
 * left as it is): a parameter of the same name (any case) is replaced where it stands and any
 * repeat of it dropped, else it is appended; a `Bearer` challenge goes first. Re-rendered, so a
 * quoted value of the original never meets a concatenated one. `undefined` when `value` is not a
 * challenge list (`parseChallenges`).
 *
 * @example
 * setChallengeParams('DPoP error="invalid_token",algs="ES256"', [['resource_metadata', 'https://api.example.com/.well-known/oauth-protected-resource']])
 * // 'DPoP error="invalid_token", algs="ES256", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"'
 */
export function setChallengeParams(value: string, params: ChallengeParams): string | undefined {
  const challenges = parseChallenges(value)
  if (challenges === undefined) return undefined
  for (const challenge of challenges) {
    if (challenge.token68 !== undefined) continue
    for (const [name, set] of params) {
      if (set === undefined) continue
      const same = (entry: [string, string]) => entry[0].toLowerCase() === name.toLowerCase()
      const at = challenge.params.findIndex(same)
      if (at < 0) challenge.params.push([name, set])
      else challenge.params = challenge.params.filter((entry, i) => i <= at || !same(entry)).map((entry, i) => (i === at ? [name, set] : entry))
    }
  }
  const bearerFirst = (c: ParsedChallenge) => (c.scheme.toLowerCase() === 'bearer' ? 0 : 1)
  return renderChallenges(challenges.sort((a, b) => bearerFirst(a) - bearerFirst(b)))
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
