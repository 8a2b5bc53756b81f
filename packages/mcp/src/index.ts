/**
 * `@authlete-guard/mcp`: MCP servers (the official TypeScript SDK, `@modelcontextprotocol/sdk`)
 * protected by the guard. Only the SDK's types are imported: nothing of it is loaded at run time.
 */
export { mcpAuth, mcpRequest } from './mcp-auth'
export type { McpAuthMiddleware, McpAuthRequest } from './mcp-auth'
export { toMcpAuthInfo } from './auth-info'
export type { McpAuthExtra } from './auth-info'
export { requireScopes, InsufficientScopeError } from './require-scopes'
export { DEFAULT_MCP_BODY_LIMIT } from './tool-scopes'
export type { McpRouteOptions } from './tool-scopes'
