/**
 * `mcpAuth(guard, route?)`: the guard in front of the MCP SDK's Node transport
 * (`StreamableHTTPServerTransport`), on Express or anything with `(req, res, next)` middleware.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { AuthleteGuardError, assertGuard } from '@authlete-guard/core'
import { fromExpressRequest, setDecisionHeaders, writeDenial, type ExpressLikeRequest } from '@authlete-guard/core/node'
import type { Guard } from '@authlete-guard/core'
import { authInfoOf, presentedToken } from './auth-info'
import { BodyRefused, jsonRpcBody, type BodyRequest } from './body'
import { toolRoutes, type McpRouteOptions } from './tool-scopes'

const MCP_AUTH = '@authlete-guard/mcp: mcpAuth(guard)'

/**
 * The request `mcpAuth` reads: an Express request, typed by the shape read, so no
 * framework types are imported.
 *
 * @example
 * const handler = (req: McpAuthRequest, res: ServerResponse) => res.end(JSON.stringify(req.body))
 */
export type McpAuthRequest = ExpressLikeRequest & { body?: unknown }

/**
 * The middleware `mcpAuth` returns: an Express `RequestHandler` in all but name.
 *
 * @example
 * const auth: McpAuthMiddleware = mcpAuth(guard, { scopes: ['mcp'] })
 * app.post('/mcp', auth, handler)
 */
export type McpAuthMiddleware = (req: McpAuthRequest, res: ServerResponse, next: (error?: unknown) => void) => void

/**
 * Express middleware for an MCP endpoint: lets a request reach the SDK's transport only with an
 * access token Authlete accepts (Bearer or DPoP) and sets `req.auth` to the SDK's `AuthInfo`
 * (`token`, `clientId` as a string, `scopes`, `expiresAt` in seconds, `resource`, and `extra`:
 * `{ subject, accessTokenInfo, resourceMetadataUrl }`), which `StreamableHTTPServerTransport`
 * hands to every tool as `extra.authInfo`. Denied: the guard's status, `WWW-Authenticate` (with
 * `resource_metadata` when the guard has a `resource`) and JSON body; the transport never runs.
 *
 * `route.tools` maps tool names to the scopes they need besides `route.scopes`: a JSON-RPC
 * `tools/call` of such a tool (any of them, in a batch) is checked with the union, so a missing
 * scope is HTTP 403 `insufficient_scope` with `scope` and `resource_metadata`, the step-up MCP
 * clients follow. That needs the body: `req.body` when `express.json()` ran, else read here (at
 * most `route.bodyLimit` bytes, 413 past that; decoded as UTF-8 like the SDK's transport). A body
 * that is not JSON gets 400 with the JSON-RPC parse error (-32700, `id: null`), before the guard
 * and the transport. The message judged is put on `req.body` (pass it on as
 * `transport.handleRequest(req, res, req.body)`) and, as JSON, on `req.rawBody`, which the SDK's
 * Node transport reads when given no parsed body: the transport gets exactly what was checked.
 *
 * @example
 * import express from 'express'
 * import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
 * import { createGuard, resourceMetadata } from '@authlete-guard/express'
 * import { mcpAuth, mcpRequest } from '@authlete-guard/mcp'
 *
 * app.use(resourceMetadata(guard))
 * app.post('/mcp', mcpAuth(guard, { scopes: ['mcp'], tools: { 'delete-file': ['files:write'] } }), async (req, res) => {
 *   const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
 *   await newServer().connect(transport)
 *   await transport.handleRequest(mcpRequest(req), res, req.body)
 * })
 */
export function mcpAuth(guard: Guard, route?: McpRouteOptions): McpAuthMiddleware {
  assertGuard(guard, MCP_AUTH)
  const routes = toolRoutes(guard, route) // a typo fails at start-up
  return function authleteMcpAuth(req, res, next) {
    const body = routes.needsBody ? jsonRpcBody(req as BodyRequest, routes.bodyLimit) : Promise.resolve(undefined)
    body
      .then(async (message) => {
        const request = fromExpressRequest(req)
        const decision = await guard.check(request, routes.routeFor(message))
        if (!decision.allowed) return writeDenial(res, decision)
        setDecisionHeaders(res, decision)
        ;(req as { auth?: AuthInfo }).auth = authInfoOf(guard, decision.auth, presentedToken(request, MCP_AUTH))
        next()
      })
      .catch((error: unknown) => {
        if (!(error instanceof BodyRefused)) return next(error)
        writeDenial(res, error.answer())
      })
  }
}

/**
 * The request typed as the SDK's Node transport takes it (`IncomingMessage & { auth: AuthInfo }`),
 * checked at run time: throws `ERR_INVALID_CONFIG` (a 500 through your error handler) when
 * `mcpAuth` did not run before, so a route without it never hands the transport an
 * unauthenticated request. Needed in TypeScript when `@authlete-guard/express` is loaded too: its
 * `req.auth` type is `protect()`'s `AccessTokenInfo`, not the SDK's `AuthInfo`.
 *
 * @example
 * app.post('/mcp', mcpAuth(guard), (req, res) => transport.handleRequest(mcpRequest(req), res, req.body))
 */
export function mcpRequest<R extends IncomingMessage>(req: R): R & { auth: AuthInfo } {
  const auth = (req as { auth?: Partial<AuthInfo> }).auth
  if (typeof auth?.token === 'string' && typeof auth.clientId === 'string') return req as R & { auth: AuthInfo }
  throw new AuthleteGuardError('ERR_INVALID_CONFIG', `@authlete-guard/mcp: req.auth is not the MCP AuthInfo on ${req.method} ${req.url}: put mcpAuth(guard) before the transport`)
}
