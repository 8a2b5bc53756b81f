import { AuthleteGuardError } from '@authlete-guard/core'
import type { AllowDecision, DenyDecision, RequestLike } from '@authlete-guard/core'
import { fromExpressRequest, fromFastifyRequest, sendFastifyDenial, setDecisionHeaders, writeDenial } from '@authlete-guard/core/node'
import type { ExpressLikeRequest, FastifyLikeReply, FastifyLikeRequest } from '@authlete-guard/core/node'
import type { ServerResponse } from 'node:http'
import type { RequestWithAuth } from './auth'

/** One HTTP exchange as the guard needs it, whichever platform Nest runs on. */
export interface Exchange {
  requestLike: RequestLike
  /** Attach the principal and put the decision's headers (`DPoP-Nonce`) on the response. */
  allow(decision: AllowDecision): void
  /** Send the denial as decided: status, headers, body bytes; nothing added. */
  deny(decision: DenyDecision): void
}

function express(req: ExpressLikeRequest & RequestWithAuth, res: ServerResponse): Exchange {
  return {
    // As the Express adapter: req.originalUrl, and scheme and host under `trust proxy`.
    requestLike: fromExpressRequest(req),
    allow(decision) {
      req.auth = decision.auth
      setDecisionHeaders(res, decision)
    },
    // Node's own API, as the Express adapter does: Express's send() would add a charset and an ETag.
    deny: (decision) => writeDenial(res, decision),
  }
}

function fastify(request: FastifyLikeRequest & RequestWithAuth, reply: FastifyLikeReply): Exchange {
  return {
    // As the Fastify adapter: the full URL (prefixes included), scheme and host under `trustProxy`.
    requestLike: fromFastifyRequest(request),
    allow(decision) {
      request.auth = decision.auth
      reply.headers(decision.headers)
    },
    // Through the reply, so Fastify knows it is sent (its hooks run); bytes, so no charset is added.
    deny: (decision) => void sendFastifyDenial(reply, decision),
  }
}

/**
 * The exchange for Nest's HTTP platform `type` (`HttpAdapterHost.httpAdapter.getType()`), from
 * the request and response objects Nest hands to guards on that platform. Both mappings are the
 * core's (`@authlete-guard/core/node`), the ones the Express and Fastify adapters use.
 */
export function exchangeFor(type: string, request: unknown, response: unknown): Exchange {
  if (type === 'express') return express(request as ExpressLikeRequest, response as ServerResponse)
  if (type === 'fastify') return fastify(request as FastifyLikeRequest, response as FastifyLikeReply)
  throw new AuthleteGuardError('ERR_INVALID_CONFIG', `@authlete-guard/nestjs: the HTTP platform "${type}" is not supported; use @nestjs/platform-express or @nestjs/platform-fastify`)
}
