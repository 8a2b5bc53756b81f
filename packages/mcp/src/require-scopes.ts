/**
 * `requireScopes(authInfo, scopes)`: a scope check inside a tool, for a tool that needs more than
 * its endpoint. The HTTP status is sent by then, so the refusal is a tool error whose text is the
 * challenge an HTTP 403 would carry.
 */
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { renderChallenge } from '@authlete-guard/core'
import type { McpAuthExtra } from './auth-info'

/**
 * Thrown by `requireScopes`: its `message` is a `WWW-Authenticate` challenge (RFC 6750 §3.1),
 * `Bearer error="insufficient_scope", scope="<scopes>", resource_metadata="<url>"`, which the MCP
 * SDK returns to the client as the tool's error text (`isError: true`).
 *
 * @example
 * try { requireScopes(extra.authInfo, ['files:write']) } catch (e) { if (e instanceof InsufficientScopeError) console.log(e.scopes) }
 */
export class InsufficientScopeError extends Error {
  override readonly name = 'InsufficientScopeError'
  /** The scopes the tool needs (the challenge's `scope`). */
  readonly scopes: string[]
  /** The guard's RFC 9728 metadata URL (the challenge's `resource_metadata`), when it has a `resource`. */
  readonly resourceMetadataUrl: string | undefined

  constructor(scopes: readonly string[], resourceMetadataUrl: string | undefined) {
    super(renderChallenge('Bearer', [['error', 'insufficient_scope'], ['scope', scopes.join(' ')], ['resource_metadata', resourceMetadataUrl]]))
    this.scopes = [...scopes]
    this.resourceMetadataUrl = resourceMetadataUrl
  }
}

/**
 * Demand `scopes` of the token inside a tool: returns when `authInfo.scopes` has every one,
 * otherwise throws `InsufficientScopeError`, whose message is the challenge
 * `Bearer error="insufficient_scope", scope="<scopes>", resource_metadata="<url>"` (the URL from
 * `authInfo.extra.resourceMetadataUrl`, which `mcpAuth` and `toMcpAuthInfo` set). The SDK turns
 * the throw into a tool error with that text. Without `authInfo` (an endpoint without `mcpAuth`)
 * it throws a plain `Error` saying so. For an HTTP 403 the client steps up on, use `mcpAuth`'s `tools` map instead.
 *
 * @example
 * server.registerTool('delete-file', { inputSchema: { path: z.string() } }, async ({ path }, { authInfo }) => {
 *   requireScopes(authInfo, ['files:write'])
 *   await remove(path)
 *   return { content: [{ type: 'text', text: `deleted ${path}` }] }
 * })
 */
export function requireScopes(authInfo: AuthInfo | undefined, scopes: readonly string[]): void {
  const extra = authInfo?.extra as Partial<McpAuthExtra> | undefined
  const url = typeof extra?.resourceMetadataUrl === 'string' ? extra.resourceMetadataUrl : undefined
  if (authInfo === undefined || !Array.isArray(authInfo.scopes)) {
    throw new Error('@authlete-guard/mcp: requireScopes(authInfo) got no authInfo: protect the MCP endpoint with mcpAuth(guard) or pass toMcpAuthInfo(...) to the transport')
  }
  if (scopes.some((scope) => !authInfo.scopes.includes(scope))) throw new InsufficientScopeError(scopes, url)
}
