/** Parameters of one `WWW-Authenticate` challenge, in order. `undefined` values are skipped. */
export type ChallengeParams = Array<[name: string, value: string | undefined]>

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

/**
 * Read the `error` and `error_description` of the first challenge in a `WWW-Authenticate`
 * value such as Authlete's `responseContent`
 * (`DPoP error="invalid_token",error_description="[A065308] ...",algs="..."`).
 */
export function parseChallengeError(value: string | null | undefined): { error?: string; errorDescription?: string } {
  if (!value) return {}
  const out: { error?: string; errorDescription?: string } = {}
  // auth-param = token BWS "=" BWS ( token / quoted-string )
  const param = /([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g
  for (let m = param.exec(value); m !== null; m = param.exec(value)) {
    const name = m[1]!.toLowerCase()
    const v = m[2] === undefined ? m[3]! : m[2].replace(/\\(.)/g, '$1')
    if (name === 'error' && out.error === undefined) out.error = v
    else if (name === 'error_description' && out.errorDescription === undefined) out.errorDescription = v
  }
  return out
}
