/**
 * `@authlete-guard/core/node`: the Node.js side of the core. The same guard and authorization
 * server as the root entry, whose Authlete client keeps an undici keep-alive pool per Authlete
 * origin (the root entry's client uses `fetch`), and `fromNodeRequest` for `IncomingMessage`.
 * The Express, Fastify and Koa adapters are built on it.
 */
import type { Dispatcher } from 'undici'
import { clientOnTransport } from '../authlete/client'
import { resolveAuthleteConfig } from '../authlete/config'
import { createFetchTransport } from '../authlete/fetch-transport'
import { createAuthorizationServer as createWebAuthorizationServer } from '../authorization-server'
import type { AuthorizationServer, AuthorizationServerOptions } from '../authorization-server/types'
import { createGuardWith } from '../guard'
import { nodeCrypto } from './crypto'
import { invalid, isClient } from '../options'
import type { AuthleteClient, AuthleteOptions, Guard, GuardOptions } from '../types'
import { createUndiciTransport } from './undici-transport'

export { fromNodeRequest } from './request'

/**
 * Default number of keep-alive connections to one Authlete origin. An uncached guard serves at most
 * about `connections / Authlete round trip` requests a second (128 at 20 ms: ~6,400/s), so the
 * default does not cap realistic load; calls beyond it wait in a bounded queue.
 *
 * @example
 * createGuard({ authlete: { ...authlete, connections: DEFAULT_CONNECTIONS * 2 } })
 */
export const DEFAULT_CONNECTIONS = 128

/**
 * Default number of Authlete calls allowed to wait for a free connection. Past it a call fails at
 * once (500, `ERR_AUTHLETE_OVERLOADED`) instead of queueing without bound while Authlete is slow.
 *
 * @example
 * createGuard({ authlete: { ...authlete, maxQueued: DEFAULT_MAX_QUEUED * 4 } })
 */
export const DEFAULT_MAX_QUEUED = 1024

/** Authlete connection options on Node: those of the root entry, plus the pool's. */
export interface NodeAuthleteOptions extends AuthleteOptions {
  /** Keep-alive connections kept per Authlete origin. Default `DEFAULT_CONNECTIONS`. */
  connections?: number | undefined
  /** Authlete calls allowed to wait for a free connection. Default `DEFAULT_MAX_QUEUED`. */
  maxQueued?: number | undefined
  /** An undici dispatcher to use instead of the client's own keep-alive pool (proxies, tests). */
  dispatcher?: Dispatcher | undefined
}

/** `createGuard` options on Node: `authlete` may carry the pool's options. */
export type NodeGuardOptions = Omit<GuardOptions, 'authlete'> & { authlete: NodeAuthleteOptions | AuthleteClient }

/** `createAuthorizationServer` options on Node: `authlete` may carry the pool's options. */
export type NodeAuthorizationServerOptions = Omit<AuthorizationServerOptions, 'authlete'> & { authlete: NodeAuthleteOptions | AuthleteClient }

/**
 * An Authlete API client over an undici keep-alive pool (`connections` per origin, or your
 * `dispatcher`); with `fetch` given, over that `fetch` instead. Same calls, errors and deadline as
 * the root entry's `createAuthleteClient`.
 *
 * @example
 * import { createAuthleteClient } from '@authlete-guard/core/node'
 * const authlete = createAuthleteClient({ ...authleteOptionsFromEnv(), connections: 64 })
 * const guard = createGuard({ authlete }) // share one pool between a guard and an authorization server
 */
export function createAuthleteClient(options: NodeAuthleteOptions): AuthleteClient {
  const config = resolveAuthleteConfig(options, ['connections', 'maxQueued', 'dispatcher'])
  const connections = options.connections ?? DEFAULT_CONNECTIONS
  if (!Number.isInteger(connections) || connections < 1) invalid('authlete.connections must be a positive integer.')
  const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED
  if (!Number.isInteger(maxQueued) || maxQueued < 0) invalid('authlete.maxQueued must be a whole number, 0 or more.')
  if (options.fetch !== undefined) {
    if (options.dispatcher !== undefined) invalid('authlete.fetch and authlete.dispatcher exclude each other: give one.')
    return clientOnTransport(config, createFetchTransport(options.fetch))
  }
  return clientOnTransport(config, createUndiciTransport(config.origin, { timeoutMs: config.timeoutMs, connections, maxQueued, dispatcher: options.dispatcher }))
}

function nodeClient<T extends { authlete: NodeAuthleteOptions | AuthleteClient }>(options: T): T {
  if (!options || typeof options !== 'object' || options.authlete === undefined || options.authlete === null || isClient(options.authlete)) return options
  return { ...options, authlete: createAuthleteClient(options.authlete) }
}

/**
 * `createGuard` of the root entry, with an Authlete client on an undici keep-alive pool and the
 * DPoP checks on `node:crypto` (synchronous hashing, verification without a thread-pool hop).
 *
 * @example
 * import { createGuard } from '@authlete-guard/core/node'
 * const guard = createGuard({ authlete: { ...authleteOptionsFromEnv(), connections: 32 } })
 */
export function createGuard(options: NodeGuardOptions): Guard {
  return createGuardWith(nodeClient(options) as GuardOptions, nodeCrypto)
}

/**
 * `createAuthorizationServer` of `@authlete-guard/core/authorization-server`, with an Authlete
 * client on an undici keep-alive pool.
 *
 * @example
 * import { createAuthorizationServer } from '@authlete-guard/core/node'
 * const as = createAuthorizationServer({ authlete: authleteOptionsFromEnv(), publicUrl: 'https://as.example.com' })
 */
export function createAuthorizationServer(options: NodeAuthorizationServerOptions): AuthorizationServer {
  return createWebAuthorizationServer(nodeClient(options) as AuthorizationServerOptions)
}
