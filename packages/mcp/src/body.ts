/**
 * The JSON-RPC body of a Node request, for the tool map of `mcpAuth`: the one `express.json()`
 * already parsed, else the stream read here (bounded) and left on the request for the transport.
 */
import type { IncomingMessage } from 'node:http'
import { AuthleteGuardError } from '@authlete-guard/core'
import { readBody } from '@authlete-guard/core/node'

/** A Node request as `mcpAuth` reads and fills it. */
export type BodyRequest = IncomingMessage & { body?: unknown; rawBody?: unknown }

/** The body was larger than the limit: answered 413. */
export class BodyTooLarge extends Error {}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined // the transport answers the same bytes with its own JSON-RPC parse error
  }
}

/**
 * The parsed JSON-RPC body of a POST: `req.body` when a body parser set it, else the stream read
 * here (at most `limit` bytes; `BodyTooLarge` past that), then put on `req.body` (parsed, for
 * `transport.handleRequest(req, res, req.body)`) and `req.rawBody` (the bytes, which the SDK's
 * Node transport reads when it is given no parsed body). Other methods carry no message.
 */
export async function jsonRpcBody(req: BodyRequest, limit: number): Promise<unknown> {
  if (req.method !== 'POST') return undefined
  if (req.body !== undefined) return typeof req.body === 'string' || Buffer.isBuffer(req.body) ? parseJson(Buffer.from(req.body)) : req.body
  if (req.readableEnded) {
    throw new AuthleteGuardError('ERR_INVALID_CONFIG', '@authlete-guard/mcp: mcpAuth(): the request body was read by something that did not set req.body; put mcpAuth before it, or parse with express.json()')
  }
  const read = await readBody(req, limit)
  if (!read.ok) throw new BodyTooLarge()
  const body = parseJson(read.body)
  req.rawBody = read.body
  if (body !== undefined) req.body = body
  return body
}
