/**
 * `@authlete-guard/core/node`: the Node.js side of the core. The same guard and authorization
 * server as the root entry (`createNodeGuard`, `createNodeAuthorizationServer`), whose Authlete
 * client keeps an undici keep-alive pool per Authlete origin (`createNodeAuthleteClient`; the root
 * entry's client uses `fetch`), `fromNodeRequest` for `IncomingMessage`, and the Node part of the
 * adapter kit (`writeDenial`, the Express and Fastify request mappings, `readBody`). The Express, Fastify, Koa
 * and NestJS adapters are built on it. Every entry of the core shares one copy of each module.
 */
import type { Dispatcher } from 'undici'
import { clientOnTransport } from '../authlete/client'
import { resolveAuthleteConfig } from '../authlete/config'
import { createFetchTransport } from '../authlete/fetch-transport'
import { createAuthorizationServer as createWebAuthorizationServer } from '../authorization-server'
import type { AuthorizationServer, AuthorizationServerOptions } from '../authorization-server/types'
import { createGuardWith, type Guard } from '../guard'
import { createNodeCrypto, DEFAULT_VERIFY, type VerifyOn } from './crypto'
import { invalid } from '../errors'
import { isClient, type GuardOptions } from '../options'
import type { AuthleteClient, AuthleteOptions } from '../types'
import { createUndiciTransport } from './undici-transport'

export { fromNodeRequest } from './request'
export { DEFAULT_VERIFY, type VerifyOn } from './crypto'
export { setDecisionHeaders, writeDenial } from '../kit/node-response'
export type { HttpAnswer } from '../kit/node-response'
export { fromExpressRequest, fromFastifyRequest, sendFastifyDenial } from '../kit/node-frameworks'
export type { ExpressLikeRequest, FastifyLikeReply, FastifyLikeRequest } from '../kit/node-frameworks'
export { readBody } from '../kit/node-body'
export type { ReadBodyResult } from '../kit/node-body'

/**
 * Default number of keep-alive connections to one Authlete origin. An uncached guard serves at most
 * about `connections / Authlete round trip` requests a second (128 at 20 ms: ~6,400/s), so the
 * default does not cap realistic load; calls beyond it wait in a bounded queue.
 *
 * @example
 * createNodeGuard({ authlete: { ...authlete, connections: DEFAULT_CONNECTIONS * 2 } })
 */
export const DEFAULT_CONNECTIONS = 128

/**
 * Default number of Authlete calls allowed to wait for a free connection. Past it a call fails at
 * once (500, `ERR_AUTHLETE_OVERLOADED`) instead of queueing without bound while Authlete is slow.
 *
 * @example
 * createNodeGuard({ authlete: { ...authlete, maxQueued: DEFAULT_MAX_QUEUED * 4 } })
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

/** `createNodeGuard` options: `authlete` may carry the pool's options. The Node adapters' `GuardOptions`. */
export type NodeGuardOptions = Omit<GuardOptions, 'authlete'> & {
  authlete: NodeAuthleteOptions | AuthleteClient
  /**
   * Where DPoP signatures are checked: `'pool'` (libuv's thread pool; the event loop only hands the
   * check over) or `'inline'` (the calling thread, no thread hop: for a process with one CPU).
   * Default `DEFAULT_VERIFY`.
   */
  verify?: VerifyOn | undefined
}

/** The two signature-check placements, built once: a guard picks one by `verify`. */
const proofCryptoOn = { pool: createNodeCrypto('pool'), inline: createNodeCrypto('inline') }

/** `createAuthorizationServer` options on Node: `authlete` may carry the pool's options. */
export type NodeAuthorizationServerOptions = Omit<AuthorizationServerOptions, 'authlete'> & { authlete: NodeAuthleteOptions | AuthleteClient }

/**
 * An Authlete API client over an undici keep-alive pool (`connections` per origin, or your
 * `dispatcher`); with `fetch` given, over that `fetch` instead. Same calls, errors and deadline as
 * the root entry's `createAuthleteClient`.
 *
 * @example
 * import { createNodeAuthleteClient, createNodeGuard } from '@authlete-guard/core/node'
 * const authlete = createNodeAuthleteClient({ ...authleteOptionsFromEnv(), connections: 64 })
 * const guard = createNodeGuard({ authlete }) // share one pool between a guard and an authorization server
 */
export function createNodeAuthleteClient(options: NodeAuthleteOptions): AuthleteClient {
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
  return { ...options, authlete: createNodeAuthleteClient(options.authlete) }
}

/**
 * `createGuard` of the root entry, with an Authlete client on an undici keep-alive pool and the
 * DPoP checks on `node:crypto` (synchronous hashing; signatures on libuv's thread pool, or on the
 * calling thread with `verify: 'inline'`).
 * The Node adapters (Express, Fastify, Koa, NestJS) export it as their `createGuard`.
 *
 * @example
 * import { createNodeGuard } from '@authlete-guard/core/node'
 * const guard = createNodeGuard({ authlete: { ...authleteOptionsFromEnv(), connections: 32 } })
 */
export function createNodeGuard(options: NodeGuardOptions): Guard {
  if (!options || typeof options !== 'object') return createGuardWith(options as GuardOptions, proofCryptoOn[DEFAULT_VERIFY])
  const { verify = DEFAULT_VERIFY, ...rest } = options
  if (verify !== 'pool' && verify !== 'inline') invalid(`verify must be 'pool' or 'inline' (got ${JSON.stringify(verify)}).`)
  return createGuardWith(nodeClient(rest) as GuardOptions, proofCryptoOn[verify])
}

/**
 * `createAuthorizationServer` of `@authlete-guard/core/authorization-server`, with an Authlete
 * client on an undici keep-alive pool.
 *
 * @example
 * import { createNodeAuthorizationServer } from '@authlete-guard/core/node'
 * const as = createNodeAuthorizationServer({ authlete: authleteOptionsFromEnv(), publicUrl: 'https://as.example.com' })
 */
export function createNodeAuthorizationServer(options: NodeAuthorizationServerOptions): AuthorizationServer {
  return createWebAuthorizationServer(nodeClient(options) as AuthorizationServerOptions)
}

// The names /node had before: each meant something other than the root's (or /authorization-server's)
// function of the same name. One name, one meaning: the Node functions are named for what they are.

/**
 * @deprecated Use `createNodeGuard` (the same function). The root entry's `createGuard` is the
 * `fetch`-based guard; this name will be removed in the next major version.
 *
 * @example
 * import { createNodeGuard } from '@authlete-guard/core/node'
 * const guard = createNodeGuard({ authlete: authleteOptionsFromEnv() })
 */
export const createGuard: typeof createNodeGuard = createNodeGuard

/**
 * @deprecated Use `createNodeAuthleteClient` (the same function). The root entry's
 * `createAuthleteClient` is the `fetch`-based client; this name will be removed in the next major version.
 *
 * @example
 * import { createNodeAuthleteClient } from '@authlete-guard/core/node'
 * const authlete = createNodeAuthleteClient({ ...authleteOptionsFromEnv(), connections: 64 })
 */
export const createAuthleteClient: typeof createNodeAuthleteClient = createNodeAuthleteClient

/**
 * @deprecated Use `createNodeAuthorizationServer` (the same function). `/authorization-server`'s
 * `createAuthorizationServer` is the `fetch`-based one; this name will be removed in the next major version.
 *
 * @example
 * import { createNodeAuthorizationServer } from '@authlete-guard/core/node'
 * const as = createNodeAuthorizationServer({ authlete: authleteOptionsFromEnv(), publicUrl: 'https://as.example.com' })
 */
export const createAuthorizationServer: typeof createNodeAuthorizationServer = createNodeAuthorizationServer
