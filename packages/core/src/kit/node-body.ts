/**
 * A Node request's body read whole, with a size limit, for the handlers that need its bytes
 * before anything else may read it: the Express adapter's token and PAR endpoints (the raw form
 * Authlete takes), `@authlete-guard/mcp`'s `mcpAuth` (the JSON-RPC message of its tool map).
 * Exported from `@authlete-guard/core/node`.
 */
import type { IncomingMessage } from 'node:http'

/** What `readBody` gives: the whole body, or `too_large` when it is over the limit (answer 413). */
export type ReadBodyResult = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' }

const TOO_LARGE: ReadBodyResult = { ok: false, reason: 'too_large' }

/**
 * Read `req`'s body, at most `limit` bytes. A body whose `Content-Length` says more is refused
 * before a byte is read; one that grows past `limit` is refused as soon as it does, with nothing
 * more kept. Either way the rest is drained (`req.resume()`), so the connection can carry the
 * 413, and the result is `{ ok: false, reason: 'too_large' }`. A stream error rejects. Read a
 * request only once, before any body parser: a stream already read never ends here.
 *
 * @example
 * import { readBody, writeDenial } from '@authlete-guard/core/node'
 * const read = await readBody(req, 100 * 1024)
 * if (!read.ok) return writeDenial(res, { status: 413, headers: { 'Content-Type': 'application/json' }, body: '{"error":"invalid_request"}' })
 * const form = read.body.toString('utf8')
 */
export function readBody(req: IncomingMessage, limit: number): Promise<ReadBodyResult> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > limit) {
      req.resume() // drain, so the connection can carry the answer
      resolve(TOO_LARGE)
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) return void chunks.push(chunk)
      req.off('data', onData)
      req.resume()
      resolve(TOO_LARGE)
    }
    req.on('data', onData)
    req.once('end', () => resolve({ ok: true, body: Buffer.concat(chunks) }))
    req.once('error', reject)
  })
}
