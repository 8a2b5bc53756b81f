/**
 * The access token a request presents, for the adapters that must hand it on after the guard
 * allowed the request. Runtime-neutral (exported from the root entry).
 */
import { extractCredentials } from '../request/credentials'
import type { RequestLike } from '../types'

/** The access token a request presents, and the scheme it came with. */
export interface PresentedAccessToken {
  /** `'DPoP'` or `'Bearer'`, whatever the case the client wrote it in. */
  scheme: 'DPoP' | 'Bearer'
  /** The token itself, scheme stripped. A secret: never log it. */
  token: string
}

/**
 * The access token `request` presents (`Authorization: Bearer <token>` or `DPoP <token>`), read
 * by the rules the guard reads it with, or `undefined` when the guard would find none it accepts
 * (no token, two `Authorization` headers, a Bearer token beside a `DPoP` proof, a DPoP token
 * without exactly one proof, ...). The guard's `decision.auth` holds no raw token on purpose: this
 * is for adapters that must hand the token on, like `@authlete-guard/mcp`'s `AuthInfo.token` for
 * the MCP SDK. Call it with the request the guard allowed; it checks nothing with Authlete.
 *
 * @example
 * const decision = await guard.check(request, route)
 * if (decision.allowed) {
 *   const presented = presentedAccessToken(request)! // the guard read this very token
 *   handOn({ token: presented.token, scheme: presented.scheme, scopes: decision.auth.scopes })
 * }
 */
export function presentedAccessToken(request: RequestLike): PresentedAccessToken | undefined {
  const credentials = extractCredentials(request)
  return credentials.ok ? { scheme: credentials.scheme, token: credentials.token } : undefined
}
