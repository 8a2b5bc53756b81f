import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { pemOfBase64 } from '../request/certificate'
import type { RequestLike } from '../types'

/**
 * The TLS client certificate of a mutual-TLS connection, in PEM, for certificate-bound tokens
 * (RFC 8705): what a guard with `clientCertificate: 'tls'` (the default) reads. A certificate a
 * TLS-terminating proxy forwards in a header is the guard's to read (`clientCertificate: { header }`).
 */
function peerCertificatePem(socket: Partial<TLSSocket> | undefined): string | undefined {
  if (socket?.encrypted !== true || typeof socket.getPeerCertificate !== 'function') return undefined
  const raw = socket.getPeerCertificate(false)?.raw
  if (!raw || raw.length === 0) return undefined
  return pemOfBase64(raw.toString('base64'))
}

/**
 * Build a `RequestLike` from Node's `IncomingMessage` (Express, Koa, Fastify and plain `node:http`
 * all sit on one). Uses `headersDistinct` so that repeated `Authorization` / `DPoP` headers stay
 * visible: Node's `req.headers` silently drops a second `Authorization`.
 *
 * @example
 * import { fromNodeRequest } from '@authlete-guard/core/node'
 * const decision = await guard.check(fromNodeRequest(req, { url: req.originalUrl }), { scopes: ['read'] })
 */
export function fromNodeRequest(
  req: IncomingMessage,
  overrides: { url?: string | undefined; frameworkOrigin?: RequestLike['frameworkOrigin']; clientCertificate?: string | undefined } = {},
): RequestLike {
  const socket = req.socket as Partial<TLSSocket> | undefined
  return {
    method: req.method ?? 'GET',
    url: overrides.url ?? req.url ?? '/',
    headers: req.headersDistinct ?? req.headers,
    remoteAddress: socket?.remoteAddress,
    encrypted: socket?.encrypted === true,
    clientCertificate: overrides.clientCertificate ?? peerCertificatePem(socket),
    frameworkOrigin: overrides.frameworkOrigin,
  }
}
