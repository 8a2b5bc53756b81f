import { isAuthleteGuardError } from '../errors'
import { MAX_RESPONSE_BYTES, tooLargeError, transportError, type AuthleteTransport } from './transport'

/** The body as text, refusing more than `MAX_RESPONSE_BYTES` before reading it all. */
async function readText(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel().catch(() => {})
    throw tooLargeError()
  }
  if (!response.body) return ''
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let size = 0
  let text = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel().catch(() => {})
      throw tooLargeError()
    }
    text += decoder.decode(value, { stream: true })
  }
  return text + decoder.decode()
}

/**
 * The Web-standard transport: `fetch` (the runtime's, or the one given) with one deadline per
 * call (`AbortSignal.timeout`) over the request and the body alike. Redirects are not followed:
 * Authlete's API does not redirect, so a 3xx is an HTTP error, never a second request elsewhere.
 */
export function createFetchTransport(fetchImpl: typeof fetch | undefined): AuthleteTransport {
  return {
    async send(request) {
      const run = fetchImpl ?? globalThis.fetch
      const signal = AbortSignal.timeout(request.timeoutMs)
      try {
        const method = request.method ?? 'POST'
        const response = await run(request.url, { method, headers: request.headers, body: method === 'GET' ? undefined : request.body, signal, redirect: 'manual' })
        return { status: response.status, text: await readText(response) }
      } catch (error) {
        if (isAuthleteGuardError(error)) throw error
        throw transportError(request, error, signal.aborted)
      }
    },
    async close() {
      // fetch keeps no connections of the client's own.
    },
  }
}
