export { withAuth } from './with-auth'
export type { AuthContext, AuthRouteHandler, RouteHandler, RouteHandlerContext } from './with-auth'
export { authProxy, checkInProxy, withoutAuthHeaders, authFromHeaders } from './proxy'
export type { AuthProxy, ProxiedAuth, ProxyCheck, ProxyRoutes } from './proxy'
export { resourceMetadata } from './resource-metadata'
export type { ResourceMetadataRoute, ResourceMetadataRouteHandler } from './resource-metadata'
// The core's list every adapter re-exports, and createGuard of the root entry (fetch: the Node.js and edge runtimes alike).
export * from '@authlete-guard/core/adapter'
export { createGuard, type AuthleteOptions, type GuardOptions } from '@authlete-guard/core'
