/**
 * The guard's answer as the MCP SDK's `AuthInfo`: one conversion for the Node middleware
 * (`mcpAuth`, `req.auth`) and the Web-standard transport (`toMcpAuthInfo`, `{ authInfo }`).
 */
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { AuthleteGuardError, fromFetchRequest, lazyGuard, presentedAccessToken } from '@authlete-guard/core'
import type { AccessTokenInfo, Guard, GuardFactory, RequestLike } from '@authlete-guard/core'

/**
 * What `mcpAuth` and `toMcpAuthInfo` put in `AuthInfo.extra`: the token's subject, the whole
 * introspected token, and the guard's RFC 9728 metadata URL (which `requireScopes` names in its
 * challenge).
 *
 * @example
 * server.registerTool('whoami', {}, async (_args, { authInfo }) => {
 *   const { subject, accessTokenInfo } = authInfo!.extra as McpAuthExtra
 *   return { content: [{ type: 'text', text: `${subject} via ${accessTokenInfo.tokenType}` }] }
 * })
 */
export interface McpAuthExtra {
  [key: string]: unknown
  /** The resource owner; `undefined` for a client-credentials token. */
  subject: string | undefined
  /** Everything Authlete said about the token (`req.auth` of `protect()`), `tokenType` included. */
  accessTokenInfo: AccessTokenInfo
  /** `guard.resourceMetadataUrl`: set when the guard has a `resource`. */
  resourceMetadataUrl: string | undefined
}

/** The presented access token of a request the guard allowed (Bearer or DPoP scheme). */
export function presentedToken(request: RequestLike, where: string): string {
  const presented = presentedAccessToken(request)
  if (presented === undefined) throw new AuthleteGuardError('ERR_INVALID_CONFIG', `${where}: the request carries no usable access token; pass the request the guard allowed`)
  return presented.token
}

/** The first of the token's audiences that is an absolute URL. */
function audienceUrl(resources: readonly string[]): URL | undefined {
  for (const resource of resources) {
    if (URL.canParse(resource)) return new URL(resource)
  }
  return undefined
}

/**
 * `AuthInfo.resource`: the guard's `resource` when it checked the token's audience against it
 * (`audience: 'strict'`, the default with `resource`); otherwise (no `resource`, or
 * `audience: 'any'`) the token's own audience: its first entry that is an absolute URL, else none.
 */
function resourceOf(guard: Guard, auth: AccessTokenInfo): URL | undefined {
  const { resource, audience } = guard.options
  return resource !== undefined && audience !== 'any' ? new URL(resource) : audienceUrl(auth.resources)
}

/** `AuthInfo` of an allowed token: `clientId` as a string, `expiresAt` in seconds, `resource` as `resourceOf` says. */
export function authInfoOf(guard: Guard, auth: AccessTokenInfo, token: string): AuthInfo {
  const resource = resourceOf(guard, auth)
  const extra: McpAuthExtra = { subject: auth.subject, accessTokenInfo: auth, resourceMetadataUrl: guard.resourceMetadataUrl }
  return {
    token,
    clientId: String(auth.clientId),
    scopes: [...auth.scopes],
    expiresAt: Math.floor(auth.expiresAt / 1000),
    ...(resource === undefined ? {} : { resource }),
    extra,
  }
}

const TO_MCP_AUTH_INFO = '@authlete-guard/mcp: toMcpAuthInfo(auth, request, guard)'

/**
 * The MCP SDK's `AuthInfo` for the Web-standard transport (Hono, Cloudflare Workers, Deno, Bun):
 * `auth` is what the guard allowed (`c.get('auth')` after Hono's `protect()`, `decision.auth`),
 * `request` the same fetch `Request` (its `Authorization` header gives `token`, Bearer or DPoP
 * scheme), `guard` the guard that decided (or the factory given to `protect()`: the same guard).
 * Pass the result as `transport.handleRequest(request, { authInfo })`; every tool gets it as
 * `extra.authInfo`. Throws `ERR_INVALID_CONFIG` when `request` carries no usable access token.
 *
 * @example
 * import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
 * import { protect, type AuthEnv } from '@authlete-guard/hono'
 * import { toMcpAuthInfo } from '@authlete-guard/mcp'
 *
 * app.all('/mcp', protect(guard, { scopes: ['mcp'] }), async (c) => {
 *   const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined })
 *   await newServer().connect(transport)
 *   return transport.handleRequest(c.req.raw, { authInfo: toMcpAuthInfo(c.get('auth'), c.req.raw, guard) })
 * })
 */
export function toMcpAuthInfo(auth: AccessTokenInfo, request: Request, guard: Guard | GuardFactory): AuthInfo {
  const resolved = lazyGuard(guard, TO_MCP_AUTH_INFO)()
  if (auth === null || typeof auth !== 'object' || !Array.isArray(auth.scopes)) {
    throw new AuthleteGuardError('ERR_INVALID_CONFIG', `${TO_MCP_AUTH_INFO} needs the allowed decision's auth (c.get('auth') after protect())`)
  }
  return authInfoOf(resolved, auth, presentedToken(fromFetchRequest(request), TO_MCP_AUTH_INFO))
}
