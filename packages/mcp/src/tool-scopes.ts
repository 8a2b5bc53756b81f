/**
 * The per-tool scope map of `mcpAuth`: checked at start-up, and read per request from the JSON-RPC
 * body (`tools/call` and its `params.name`, in a single message or a batch).
 */
import { AuthleteGuardError, validateRouteOptions } from '@authlete-guard/core'
import type { Guard, RouteOptions } from '@authlete-guard/core'

/**
 * Largest request body `mcpAuth` reads to find the tools a request calls, in bytes: 4 MiB, the
 * MCP SDK's own limit for its transports (`DEFAULT_MAX_REQUEST_BODY_SIZE`). A larger body is
 * answered 413 before the guard runs.
 *
 * @example
 * app.post('/mcp', mcpAuth(guard, { tools: { upload: ['files:write'] }, bodyLimit: 2 * DEFAULT_MCP_BODY_LIMIT }), handler)
 */
export const DEFAULT_MCP_BODY_LIMIT = 4 * 1024 * 1024

/**
 * The options of `mcpAuth`: the guard's route options for the whole endpoint (`scopes`, ...), plus
 * `tools`, the scopes each named tool needs on top of `scopes`. A JSON-RPC `tools/call` of a tool
 * in the map is checked with the union (for a batch, over every `tools/call` in it), so a token
 * without them gets HTTP 403 `insufficient_scope` naming them, before the transport runs.
 *
 * @example
 * mcpAuth(guard, { scopes: ['mcp'], tools: { 'delete-file': ['files:write'] } })
 */
export interface McpRouteOptions extends RouteOptions {
  /** Scopes a `tools/call` of each named tool needs besides `scopes`. */
  tools?: Readonly<Record<string, readonly string[]>> | undefined
  /** Largest body read to find the called tools, in bytes; a larger one gets 413. Default `DEFAULT_MCP_BODY_LIMIT`. */
  bodyLimit?: number | undefined
}

/** The route of each request: the endpoint's, or the endpoint's with the called tools' scopes. */
export interface ToolRoutes {
  /** True when some tool needs scopes of its own: the body must be read. */
  readonly needsBody: boolean
  readonly bodyLimit: number
  /** The route options for a JSON-RPC body (already parsed), or for no body at all. */
  routeFor(body: unknown): RouteOptions
}

function invalid(message: string): never {
  throw new AuthleteGuardError('ERR_INVALID_CONFIG', `@authlete-guard/mcp: mcpAuth(guard, route): ${message}`)
}

const union = (...lists: ReadonlyArray<readonly string[] | undefined>): string[] => [...new Set(lists.flatMap((list) => list ?? []))]

function checkTools(tools: unknown): Map<string, readonly string[]> {
  if (tools === undefined) return new Map()
  if (tools === null || typeof tools !== 'object' || Array.isArray(tools)) invalid('tools must be an object of tool name -> scopes.')
  const map = new Map<string, readonly string[]>()
  for (const [name, scopes] of Object.entries(tools)) {
    if (!Array.isArray(scopes) || scopes.length === 0) invalid(`tools[${JSON.stringify(name)}] must be a non-empty array of scopes.`)
    map.set(name, scopes as string[])
  }
  return map
}

/** The names of the tools a JSON-RPC message or batch calls (`tools/call` with a string `params.name`). */
export function calledTools(body: unknown): string[] {
  const messages: unknown[] = Array.isArray(body) ? body : [body]
  const names: string[] = []
  for (const message of messages) {
    if (message === null || typeof message !== 'object') continue
    const { method, params } = message as { method?: unknown; params?: { name?: unknown } | null }
    if (method === 'tools/call' && typeof params === 'object' && params !== null && typeof params.name === 'string') names.push(params.name)
  }
  return names
}

/**
 * Check `mcpAuth`'s options once, at start-up (`ERR_INVALID_CONFIG` on a typo or a bad scope list),
 * and prepare the route of each tool.
 */
export function toolRoutes(guard: Guard, options: McpRouteOptions = {}): ToolRoutes {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) invalid('the route options must be an object.')
  const { tools, bodyLimit = DEFAULT_MCP_BODY_LIMIT, ...base } = options
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit <= 0) invalid('bodyLimit must be a positive whole number of bytes.')
  validateRouteOptions(base, guard)
  const perTool = new Map<string, RouteOptions>()
  for (const [name, scopes] of checkTools(tools)) perTool.set(name, validateRouteOptions({ ...base, scopes: union(base.scopes, scopes) }, guard))
  return {
    needsBody: perTool.size > 0,
    bodyLimit,
    routeFor(body) {
      const routes = calledTools(body).flatMap((name) => perTool.get(name) ?? [])
      if (routes.length === 0) return base
      if (routes.length === 1) return routes[0]!
      return { ...base, scopes: union(...routes.map((route) => route.scopes)) }
    },
  }
}
