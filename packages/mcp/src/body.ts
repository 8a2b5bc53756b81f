/**
 * The JSON-RPC body of a Node request, for the tool map of `mcpAuth`: the one a body parser already
 * set on `req.body`, else the stream read here (bounded). Whatever the source, the message judged
 * is the one the SDK's transport gets: put back on `req.body` (its parsed-body argument) and, as
 * JSON bytes, on `req.rawBody` (what it reads when given no parsed body), never left to be decoded
 * again some other way.
 */
import type { IncomingMessage } from 'node:http'
import { AuthleteGuardError } from '@authlete-guard/core'
import { readBody } from '@authlete-guard/core/node'

/** A Node request as `mcpAuth` reads and fills it. */
export type BodyRequest = IncomingMessage & { body?: unknown; rawBody?: unknown }

/**
 * A body `mcpAuth` answers itself, before the guard and the transport, in the shape of the SDK
 * transport's own errors: a JSON-RPC error with `id: null`.
 */
export class BodyRefused extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly code: number,
    message: string,
  ) {
    super(message)
  }

  /** The HTTP answer: `status`, JSON, not cached. */
  answer(): { status: number; headers: Record<string, string>; body: string } {
    const body = JSON.stringify({ jsonrpc: '2.0', error: { code: this.code, message: this.message }, id: null })
    return { status: this.status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, body }
  }
}

const tooLarge = (limit: number) => new BodyRefused(413, -32000, `Request body larger than ${limit} bytes`)
// The SDK transport's answer to a body that is not JSON.
const notJson = () => new BodyRefused(400, -32700, 'Parse error: Invalid JSON')

/** UTF-8 as the SDK's transport decodes (`TextDecoder`): a leading BOM dropped, bad sequences as U+FFFD. */
const utf8 = new TextDecoder()

function parseBytes(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes))
  } catch {
    throw notJson()
  }
}

/**
 * Make `value` the message of the request: written as JSON and parsed back, so that `req.body`
 * (the parsed argument of `handleRequest`) and `req.rawBody` (bytes that decode and parse to the
 * same value) both hold exactly what the tool map judged.
 */
function settle(req: BodyRequest, value: unknown): unknown {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch {
    throw notJson() // nested past the stack (RangeError), a cycle or a BigInt: no message to judge
  }
  if (text === undefined) throw notJson() // e.g. a function set as req.body: no JSON at all
  const message: unknown = JSON.parse(text)
  req.body = message
  req.rawBody = Buffer.from(text, 'utf8')
  return message
}

/**
 * The JSON-RPC message of a POST, as the transport will get it: `req.body` when a body parser set
 * it (a string or bytes are parsed), else the stream read here (at most `limit` bytes; past that
 * `BodyRefused` 413). A body that is not JSON is `BodyRefused` 400 (-32700). Other methods carry
 * no message.
 */
export async function jsonRpcBody(req: BodyRequest, limit: number): Promise<unknown> {
  if (req.method !== 'POST') return undefined
  if (req.body !== undefined) {
    return settle(req, typeof req.body === 'string' || Buffer.isBuffer(req.body) ? parseBytes(Buffer.from(req.body)) : req.body)
  }
  if (req.readableEnded) {
    throw new AuthleteGuardError('ERR_INVALID_CONFIG', '@authlete-guard/mcp: mcpAuth(): the request body was read by something that did not set req.body; put mcpAuth before it, or parse with express.json()')
  }
  const read = await readBody(req, limit)
  if (!read.ok) throw tooLarge(limit)
  return settle(req, parseBytes(read.body))
}
