import { Pool, type Dispatcher } from 'undici'
import { AuthleteGuardError, isAuthleteGuardError } from '../errors'
import type { AuthleteClient, AuthleteOptions } from '../types'
import { resolveAuthleteConfig, type AuthleteConfig } from './config'

/** Replies larger than this are refused: no Authlete API answer comes near it. */
const MAX_RESPONSE_BYTES = 1024 * 1024

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'UND_ERR_CONNECT_TIMEOUT',
])

function errorCode(error: unknown): string | undefined {
  let e: unknown = error
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

async function readBody(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy()
      throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', `Authlete's reply exceeded ${MAX_RESPONSE_BYTES} bytes.`)
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function parseJsonObject(text: string, where: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', `Authlete's reply to ${where} is not JSON.`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', `Authlete's reply to ${where} is not a JSON object.`)
  }
  return parsed as Record<string, unknown>
}

function clip(value: unknown, max = 200): string | undefined {
  return typeof value === 'string' ? value.slice(0, max) : undefined
}

/**
 * An Authlete API client over an undici keep-alive pool: one pool per client, reused by every
 * call, so a busy API keeps a few warm connections instead of opening one per request. Each call
 * has one deadline (`timeoutMs`) from connection to the last byte of the reply.
 *
 * @example
 * const authlete = createAuthleteClient({ baseUrl: 'https://us.authlete.com', serviceId: '715948317', accessToken: process.env.AUTHLETE_SERVICE_ACCESSTOKEN })
 * const reply = await authlete.call('/auth/introspection', { token })
 */
export function createAuthleteClient(options: AuthleteOptions): AuthleteClient {
  const config: AuthleteConfig = resolveAuthleteConfig(options)
  const ownPool = options.dispatcher === undefined
  const dispatcher: Dispatcher =
    options.dispatcher ??
    new Pool(config.origin, {
      connections: config.connections,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connectTimeout: config.timeoutMs,
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
    })

  async function call<T>(path: string, body: unknown): Promise<T> {
    const apiPath = config.apiPath(path)
    // Messages name what was tried (method and URL path; the origin when it could not be reached),
    // never a credential: the path holds the service id at most.
    const where = `POST ${apiPath}`
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), config.timeoutMs)
    try {
      const response = await dispatcher.request({
        origin: config.origin,
        method: 'POST',
        path: apiPath,
        headers: {
          authorization: config.authorization,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(body),
        signal: controller.signal,
      })
      const text = await readBody(response.body)
      if (response.statusCode < 200 || response.statusCode > 299) {
        let resultCode: string | undefined
        let resultMessage: string | undefined
        try {
          const json = JSON.parse(text) as Record<string, unknown>
          resultCode = clip(json.resultCode, 16)
          resultMessage = clip(json.resultMessage)
        } catch {
          // Not JSON: the status is all there is to report.
        }
        throw new AuthleteGuardError(
          'ERR_AUTHLETE_HTTP_STATUS',
          `Authlete answered ${where} with HTTP ${response.statusCode}${resultMessage ? `: ${resultMessage.replace(/[.\s]+$/, '')}` : ''}.`,
          { status: response.statusCode, resultCode },
        )
      }
      return parseJsonObject(text, where) as T
    } catch (error) {
      if (isAuthleteGuardError(error)) throw error
      const code = errorCode(error)
      if (controller.signal.aborted || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        throw new AuthleteGuardError('ERR_AUTHLETE_TIMEOUT', `Authlete at ${config.origin} did not answer ${where} within ${config.timeoutMs} ms.`, { cause: error })
      }
      const reason = code && NETWORK_CODES.has(code) ? code : 'network error'
      throw new AuthleteGuardError('ERR_AUTHLETE_UNREACHABLE', `Authlete at ${config.origin} could not be reached for ${where} (${reason}).`, { cause: error })
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    baseUrl: config.baseUrl,
    apiVersion: config.apiVersion,
    call,
    async close() {
      if (ownPool) await dispatcher.close()
    },
  }
}
