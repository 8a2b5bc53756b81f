import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { RequestLike } from '../types'

/**
 * The TLS client certificate of a mutual-TLS connection, in PEM, for certificate-bound tokens
 * (RFC 8705). Only a certificate the server's own TLS socket received counts; a certificate
 * forwarded by a TLS-terminating proxy must be passed explicitly.
 */
function peerCertificatePem(socket: Partial<TLSSocket> | undefined): string | undefined {
  if (socket?.encrypted !== true || typeof socket.getPeerCertificate !== 'function') return undefined
  const raw = socket.getPeerCertificate(false)?.raw
  if (!raw || raw.length === 0) return undefined
  const base64 = raw.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----`
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
