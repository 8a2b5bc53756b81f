import { Pool, type Dispatcher } from 'undici'
import { MAX_RESPONSE_BYTES, tooLargeError, transportError, type AuthleteTransport } from '../authlete/transport'
import { AuthleteGuardError, isAuthleteGuardError } from '../errors'

async function readBody(response: Dispatcher.ResponseData): Promise<string> {
  const { body } = response
  // Authlete sends Content-Length: then one read, no per-chunk loop.
  const declared = Number(response.headers['content-length'])
  if (Number.isInteger(declared) && declared >= 0) {
    if (declared > MAX_RESPONSE_BYTES) {
      body.destroy()
      throw tooLargeError()
    }
    return body.text()
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy()
      throw tooLargeError()
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * The Node transport: an undici keep-alive pool per Authlete origin (or the dispatcher given),
 * reused by every call, so a busy API keeps warm connections instead of opening one per request.
 * One deadline per call, connection to last byte.
 */
export function createUndiciTransport(origin: string, options: { timeoutMs: number; connections: number; maxQueued: number; dispatcher?: Dispatcher | undefined }): AuthleteTransport {
  const ownPool = options.dispatcher === undefined
  const dispatcher: Dispatcher =
    options.dispatcher ??
    new Pool(origin, {
      connections: options.connections,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connectTimeout: options.timeoutMs,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    })
  // Calls in flight; those beyond `connections` wait in undici's queue, which is bounded here.
  let inFlight = 0
  return {
    async send(request) {
      if (inFlight >= options.connections + options.maxQueued) {
        throw new AuthleteGuardError('ERR_AUTHLETE_OVERLOADED', `Authlete at ${origin}: ${options.connections} connections busy and ${options.maxQueued} calls waiting for ${request.where}.`)
      }
      inFlight++
      const controller = new AbortController()
      const timer = setTimeout(() => controller.abort(), request.timeoutMs)
      try {
        const response = await dispatcher.request({
          origin,
          method: 'POST',
          path: request.url.slice(origin.length),
          headers: request.headers,
          body: request.body,
          signal: controller.signal,
        })
        return { status: response.statusCode, text: await readBody(response) }
      } catch (error) {
        if (isAuthleteGuardError(error)) throw error
        throw transportError(request, error, controller.signal.aborted)
      } finally {
        inFlight--
        clearTimeout(timer)
      }
    },
    async close() {
      if (ownPool) await dispatcher.close()
    },
  }
}
