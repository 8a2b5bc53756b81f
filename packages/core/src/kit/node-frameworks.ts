/**
 * The guard's view of an Express or a Fastify request, and a denial sent through a Fastify reply:
 * the mappings the Express and Fastify adapters use and NestJS uses on those two platforms.
 * Typed by the shape read (no framework is imported); exported from `@authlete-guard/core/node`.
 */
import type { IncomingMessage } from 'node:http'
import { fromNodeRequest } from '../node/request'
import type { RequestLike } from '../types'
import type { HttpAnswer } from './node-response'

/** What `fromExpressRequest` reads of an Express (4 or 5) request. */
export interface ExpressLikeRequest extends IncomingMessage {
  originalUrl: string
  protocol: string
  app: { get(setting: string): unknown }
  get(name: string): string | undefined
}

/** What `fromFastifyRequest` reads of a Fastify request. */
export interface FastifyLikeRequest {
  raw: IncomingMessage
  url: string
  protocol: string
  host: string
}

/** What `sendFastifyDenial` calls on a Fastify reply. */
export interface FastifyLikeReply {
  code(status: number): unknown
  headers(values: Record<string, string>): unknown
  send(payload: Buffer): unknown
}

/**
 * The host as Express resolves it under its `trust proxy` setting, port included. Express 5's
 * `req.host` is exactly this; Express 4's `req.host` drops the port, so both read it the way
 * Express 5 does, with the app's own compiled trust function.
 */
function expressHost(req: ExpressLikeRequest): string | undefined {
  const trust = req.app.get('trust proxy fn') as ((address: string | undefined, hop: number) => boolean) | undefined
  const forwarded = req.get('x-forwarded-host')
  if (forwarded && trust?.(req.socket.remoteAddress, 0)) return forwarded.split(',')[0]!.trim()
  return req.get('host')
}

/**
 * The guard's view of an Express request: the full original URL (mount prefix included) and the
 * scheme and host Express resolved under `trust proxy`.
 *
 * @example
 * const decision = await guard.check(fromExpressRequest(req), { scopes: ['read'] })
 */
export function fromExpressRequest(req: ExpressLikeRequest): RequestLike {
  const host = expressHost(req)
  return fromNodeRequest(req, {
    url: req.originalUrl,
    frameworkOrigin: host === undefined ? undefined : { protocol: req.protocol, host },
  })
}

/**
 * The guard's view of a Fastify request: `request.url` is the full path (prefixes included);
 * protocol and host follow Fastify's own `trustProxy` setting, which the guard uses unless it has
 * `publicUrl` or `trustProxy`.
 *
 * @example
 * const decision = await guard.check(fromFastifyRequest(request), { scopes: ['read'] })
 */
export function fromFastifyRequest(request: FastifyLikeRequest): RequestLike {
  return fromNodeRequest(request.raw, { url: request.url, frameworkOrigin: { protocol: request.protocol, host: request.host } })
}

/**
 * Send a denial through a Fastify reply, so Fastify knows it is sent (its hooks run). The body
 * goes as bytes: a string would get "; charset=utf-8" appended to the decided `Content-Type`.
 * Returns the reply (a hook that returns it ends the request there).
 *
 * @example
 * if (!decision.allowed) return sendFastifyDenial(reply, decision)
 */
export function sendFastifyDenial<Reply extends FastifyLikeReply>(reply: Reply, denial: HttpAnswer): Reply {
  reply.code(denial.status)
  reply.headers(denial.headers)
  reply.send(Buffer.from(denial.body))
  return reply
}
