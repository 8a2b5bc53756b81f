import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AuthleteGuardError, assertGuard, routeCheck } from '@authlete-guard/core'
import { fromFastifyRequest, sendFastifyDenial } from '@authlete-guard/core/node'
import type { AccessTokenInfo, Guard, RouteOptions } from '@authlete-guard/core'

/** Options of the `authleteGuard` plugin. */
export interface AuthleteGuardPluginOptions {
  /** The guard from `createGuard()`. The plugin does not close it: the application owns it. */
  guard: Guard
}

/**
 * A Fastify hook that lets the request through only with an access token Authlete accepts for
 * the route. Use it as the route's `onRequest` (before the body is read; cheapest) or
 * `preHandler`.
 */
export type ProtectHook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * A hook for one route: checks the access token (Bearer or DPoP) with Authlete and either
     * sets `request.auth` or answers with the denial. Available in every encapsulated context
     * once the plugin is registered.
     *
     * @example
     * app.get('/api/me', { preHandler: app.protect({ scopes: ['profile'] }) }, async (request) => ({ sub: request.auth.subject }))
     */
    protect(routeOptions?: RouteOptions): ProtectHook
  }
  interface FastifyRequest {
    /**
     * The introspected access token on routes protected by `app.protect()`. Typed as always
     * present, as the issue's contract and `@fastify/jwt`'s `request.user` do, because a route
     * protected by the hook never runs without it; on routes WITHOUT `app.protect()` it is
     * `null` at run time. `getAuth(request)` checks that and throws there instead.
     */
    auth: AccessTokenInfo
  }
}

const plugin: FastifyPluginAsync<AuthleteGuardPluginOptions> = async (app, options) => {
  const guard = options?.guard
  assertGuard(guard, '@authlete-guard/fastify: register(authleteGuard, { guard })')

  // Reserve the property (Fastify keeps request shapes stable); null until protect() sets it.
  app.decorateRequest('auth', null as unknown as AccessTokenInfo)
  app.decorate('protect', function protect(routeOptions?: RouteOptions): ProtectHook {
    const check = routeCheck(guard, routeOptions, '@authlete-guard/fastify: app.protect()') // a typo (or a nonce on Authlete API V2) fails at start-up
    return async function authleteGuardHook(request, reply) {
      // The full URL (prefixes included); protocol and host under Fastify's own trustProxy.
      const decision = await check(fromFastifyRequest(request))
      if (decision.allowed) {
        request.auth = decision.auth
        reply.headers(decision.headers)
        return undefined
      }
      if (decision.cause) {
        request.log.warn({ code: decision.cause.code, status: decision.status }, 'authlete-guard: %s', decision.cause.message)
      } else {
        // The operator's reason (htu URLs, iat window, Authlete's result code), never the client's.
        request.log.debug({ status: decision.status, error: decision.error, reason: decision.reason }, 'authlete-guard: access denied')
      }
      // Returning the reply tells Fastify the response is sent: the route handler never runs.
      return sendFastifyDenial(reply, decision)
    }
  })
}

/**
 * The Fastify plugin. Register it once (it is not encapsulated, so `app.protect` is visible in
 * every child context), then protect routes with `app.protect(routeOptions)` as `onRequest` or
 * `preHandler`.
 *
 * @example
 * import Fastify from 'fastify'
 * import authleteGuard, { createGuard, authleteOptionsFromEnv } from '@authlete-guard/fastify'
 *
 * const app = Fastify({ logger: true })
 * await app.register(authleteGuard, { guard: createGuard({ authlete: authleteOptionsFromEnv() }) })
 * app.get('/api/me', { preHandler: app.protect({ scopes: ['profile'] }) }, async (request) => ({ sub: request.auth.subject }))
 */
export const authleteGuard = fp(plugin, { name: '@authlete-guard/fastify', fastify: '5.x' })

/**
 * The token of a route protected by `app.protect()`, typed non-null. Throws (a bug in the app,
 * answered with 500 by Fastify) when the route has no `protect` hook.
 *
 * @example
 * app.get('/api/me', { preHandler: app.protect({ scopes: ['profile'] }) }, async (request) => {
 *   const auth = getAuth(request)
 *   return { sub: auth.subject, scopes: auth.scopes }
 * })
 */
export function getAuth(request: FastifyRequest): AccessTokenInfo {
  if (request.auth) return request.auth
  throw new AuthleteGuardError(
    'ERR_INVALID_CONFIG',
    `@authlete-guard/fastify: request.auth is not set on ${request.method} ${request.routeOptions.url ?? request.url}: add app.protect() to the route`,
  )
}
