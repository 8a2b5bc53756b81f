import type { IncomingHttpHeaders } from 'node:http'
import { Pool, type Dispatcher } from 'undici'
import { MAX_RESPONSE_BYTES, tooLargeError, transportError, type AuthleteHttpRequest, type AuthleteHttpResponse, type AuthleteTransport } from '../authlete/transport'
import { AuthleteGuardError } from '../errors'

/** Given to undici when a call is abandoned (deadline passed, reply too large): never surfaces, the call has settled. */
const abandoned = new Error('authlete-guard abandoned the call')

/**
 * One call to Authlete as an undici dispatch handler: the reply's chunks are kept as they come
 * and decoded once at the end, with no stream, no AbortSignal, no per-chunk promise.
 * The promise settles exactly once: on the reply, on an error, or when the deadline passes.
 */
class Call implements Dispatcher.DispatchHandler {
  /** The current attempt's abort; undici gives a new one each time the request is (re)started. */
  controller: Dispatcher.DispatchController | null = null
  chunks: Buffer[] = []
  size = 0
  /** The final (non-1xx) status; 0 until its headers arrive. */
  status = 0
  settled = false
  timer: ReturnType<typeof setTimeout> | undefined
  resolve!: (response: AuthleteHttpResponse) => void
  reject!: (error: AuthleteGuardError) => void

  constructor(
    readonly request: AuthleteHttpRequest,
    /** Called once when the call settles (the transport's in-flight count). */
    readonly done: () => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // A retry starts over; a call that already settled (its deadline passed in the queue) goes no further.
    this.controller = controller
    this.chunks = []
    this.size = 0
    this.status = 0
    if (this.settled) controller.abort(abandoned)
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (this.settled) return
    this.chunks = []
    this.size = 0
    // 1xx informational heads are followed by the real one.
    if (statusCode < 200) return
    this.status = statusCode
    const declared = Number(headers['content-length'])
    if (Number.isInteger(declared) && declared > MAX_RESPONSE_BYTES) this.refuse(controller)
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled || this.status === 0) return
    this.size += chunk.length
    if (this.size > MAX_RESPONSE_BYTES) return this.refuse(controller)
    this.chunks.push(chunk)
  }

  onResponseEnd(): void {
    if (this.settled) return
    const { chunks, size } = this
    let text = ''
    if (size > 0) {
      const buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)
      // As undici's body.text(): a UTF-8 byte-order mark is skipped.
      const start = size > 2 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0
      text = buffer.toString('utf8', start, size)
    }
    const status = this.status
    this.finish()
    this.resolve({ status, text })
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.settled) return
    this.fail(transportError(this.request, error, false))
  }

  /** The deadline passed: fail now, and stop the request (now, or as soon as it leaves undici's queue). */
  timeout(): void {
    if (this.settled) return
    this.timer = undefined
    const error = transportError(this.request, new DOMException('This operation was aborted', 'AbortError'), true)
    this.fail(error)
    this.controller?.abort(abandoned)
  }

  refuse(controller: Dispatcher.DispatchController): void {
    this.fail(tooLargeError())
    controller.abort(abandoned)
  }

  fail(error: AuthleteGuardError): void {
    this.finish()
    this.reject(error)
  }

  finish(): void {
    this.settled = true
    this.chunks = []
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.done()
  }
}

function onDeadline(call: Call): void {
  call.timeout()
}

/**
 * The Node transport: an undici keep-alive pool per Authlete origin (or the dispatcher given),
 * reused by every call, so a busy API keeps warm connections instead of opening one per request.
 * One deadline per call, dispatch to last byte, including time spent waiting in undici's queue.
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
  const release = (): void => {
    inFlight--
  }
  return {
    send(request) {
      if (inFlight >= options.connections + options.maxQueued) {
        return Promise.reject(new AuthleteGuardError('ERR_AUTHLETE_OVERLOADED', `Authlete at ${origin}: ${options.connections} connections busy and ${options.maxQueued} calls waiting for ${request.where}.`))
      }
      inFlight++
      const call = new Call(request, release)
      const promise = new Promise<AuthleteHttpResponse>((resolve, reject) => {
        call.resolve = resolve
        call.reject = reject
      })
      call.timer = setTimeout(onDeadline, request.timeoutMs, call)
      try {
        const method = request.method ?? 'POST'
        dispatcher.dispatch({ origin, method, path: request.url.slice(origin.length), headers: request.headers, body: method === 'GET' ? null : request.body }, call)
      } catch (error) {
        // undici's own dispatchers report through onResponseError; another may throw.
        call.onResponseError(undefined, error as Error)
      }
      return promise
    },
    async close() {
      if (ownPool) await dispatcher.close()
    },
  }
}
