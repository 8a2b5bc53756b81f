import type { IncomingMessage } from 'node:http'
import { AuthleteGuardError } from '@authlete-guard/core'
import type { AllowDecision, DenyDecision, RequestLike } from '@authlete-guard/core'
import { fromNodeRequest } from '@authlete-guard/core/node'
import { sendEndpointResponse, toRequestLike } from '@authlete-guard/express'
import type { RequestWithAuth } from './auth'

/** One HTTP exchange as the guard needs it, whichever platform Nest runs on. */
export interface Exchange {
  requestLike: RequestLike
  /** Attach the principal and put the decision's headers (`DPoP-Nonce`) on the response. */
  allow(decision: AllowDecision): void
  /** Send the denial as decided: status, headers, body bytes; nothing added. */
  deny(decision: DenyDecision): void
}

type ExpressRequest = Parameters<typeof toRequestLike>[0]
type ExpressResponse = Parameters<typeof sendEndpointResponse>[0]

/** The parts of Fastify's request and reply used here (Fastify itself is not a dependency). */
interface FastifyRequestLike extends RequestWithAuth {
  raw: IncomingMessage
  url: string
  protocol: string
  host: string
}
interface FastifyReplyLike {
  code(status: number): FastifyReplyLike
  headers(values: Record<string, string>): FastifyReplyLike
  send(payload: Buffer): FastifyReplyLike
}

function express(req: ExpressRequest & RequestWithAuth, res: ExpressResponse): Exchange {
  return {
    // The Express adapter's own mapping: req.originalUrl, and scheme and host under `trust proxy`.
    requestLike: toRequestLike(req),
    allow(decision) {
      req.auth = decision.auth
      for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value)
    },
    // Node's own API, as the Express adapter does: Express's send() would add a charset and an ETag.
    deny: (decision) => sendEndpointResponse(res, decision),
  }
}

function fastify(request: FastifyRequestLike, reply: FastifyReplyLike): Exchange {
  return {
    // As the Fastify adapter: the full URL (prefixes included), scheme and host under `trustProxy`.
    requestLike: fromNodeRequest(request.raw, { url: request.url, frameworkOrigin: { protocol: request.protocol, host: request.host } }),
    allow(decision) {
      request.auth = decision.auth
      reply.headers(decision.headers)
    },
    // Through the reply, so Fastify knows it is sent (its hooks run); bytes, so no charset is added.
    deny: (decision) => void reply.code(decision.status).headers(decision.headers).send(Buffer.from(decision.body)),
  }
}

/**
 * The exchange for Nest's HTTP platform `type` (`HttpAdapterHost.httpAdapter.getType()`), from
 * the request and response objects Nest hands to guards on that platform.
 */
export function exchangeFor(type: string, request: unknown, response: unknown): Exchange {
  if (type === 'express') return express(request as ExpressRequest, response as ExpressResponse)
  if (type === 'fastify') return fastify(request as FastifyRequestLike, response as FastifyReplyLike)
  throw new AuthleteGuardError('ERR_INVALID_CONFIG', `@authlete-guard/nestjs: the HTTP platform "${type}" is not supported; use @nestjs/platform-express or @nestjs/platform-fastify`)
}
