import { AuthleteGuardError } from '../errors'
import type { AuthleteClient, AuthleteOptions } from '../types'
import { resolveAuthleteConfig, type AuthleteConfig } from './config'
import { createFetchTransport } from './fetch-transport'
import type { AuthleteTransport } from './transport'
import { authleteChannel, type AuthleteCallEvent } from '../diagnostics'

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

/** `ERR_AUTHLETE_HTTP_STATUS` for a non-2xx answer, with Authlete's result code and message when the body has them. */
function statusError(where: string, status: number, text: string): AuthleteGuardError {
  let resultCode: string | undefined
  let resultMessage: string | undefined
  try {
    const json = JSON.parse(text) as Record<string, unknown>
    resultCode = clip(json.resultCode, 16)
    resultMessage = clip(json.resultMessage)
  } catch {
    // Not JSON: the status is all there is to report.
  }
  return new AuthleteGuardError(
    'ERR_AUTHLETE_HTTP_STATUS',
    `Authlete answered ${where} with HTTP ${status}${resultMessage ? `: ${resultMessage.replace(/[.\s]+$/, '')}` : ''}.`,
    { status, resultCode },
  )
}

/**
 * What the clients of `createAuthleteClient` (root entry and `/node`) are: an `AuthleteClient`
 * that can also GET a service-scoped API, `/service/configuration` (the discovery document).
 * `as.metadata()` needs it; a client of your own without `get` cannot serve metadata.
 */
export interface AuthleteGetClient extends AuthleteClient {
  /**
   * GET the service-scoped API `path` (e.g. `'/service/configuration'`). Resolves with the parsed
   * JSON object of a 2xx reply; rejects with an `AuthleteGuardError` otherwise, as `call` does.
   */
  get<T = Record<string, unknown>>(path: string): Promise<T>
}

/**
 * Whether a client can GET (`AuthleteGetClient`).
 *
 * @example
 * if (!hasGet(authlete)) throw new AuthleteGuardError('ERR_INVALID_CONFIG', 'this client cannot GET')
 */
export function hasGet(client: AuthleteClient): client is AuthleteGetClient {
  return typeof (client as Partial<AuthleteGetClient>).get === 'function'
}

/** One call: `POST` with a JSON body, or `GET`. */
type Exchange = { method: 'POST'; path: string; body: unknown } | { method: 'GET'; path: string }

/**
 * An Authlete API client on a transport: builds the API path and credentials, sends one POST (or
 * GET) and turns the answer into the parsed reply or a coded `AuthleteGuardError`. Shared by the
 * fetch client of the root entry and the undici client of `@authlete-guard/core/node`.
 */
export function clientOnTransport(config: AuthleteConfig, transport: AuthleteTransport): AuthleteGetClient {
  const headers = {
    authorization: config.authorization,
    'content-type': 'application/json',
    accept: 'application/json',
  }
  const getHeaders = { authorization: config.authorization, accept: 'application/json' }

  async function traced<T>(exchange: Exchange): Promise<T> {
    if (authleteChannel?.hasSubscribers !== true) return send<T>(exchange)
    const event = { method: exchange.method, apiPath: config.apiPath(exchange.path) } as AuthleteCallEvent
    const started = performance.now()
    // The traced function returns nothing: tracePromise puts its result on the published context,
    // and Authlete's reply can hold a token it just issued (/auth/token). Only named fields go out.
    let reply: T | undefined
    await authleteChannel.tracePromise(async () => {
      try {
        reply = await send<T>(exchange, event)
        const { action, resultCode } = reply as { action?: unknown; resultCode?: unknown }
        event.action = typeof action === 'string' ? action.slice(0, 64) : undefined
        event.resultCode = typeof resultCode === 'string' ? resultCode.slice(0, 16) : undefined
      } catch (error) {
        event.errorCode = (error as { code?: string }).code
        event.resultCode ??= (error as { resultCode?: string }).resultCode
        throw error
      } finally {
        event.durationMs = performance.now() - started
      }
    }, event)
    return reply as T
  }

  async function send<T>(exchange: Exchange, event?: AuthleteCallEvent): Promise<T> {
    const apiPath = config.apiPath(exchange.path)
    // Messages name what was tried (method and URL path; the origin when it could not be reached),
    // never a credential: the path holds the service id at most.
    const where = `${exchange.method} ${apiPath}`
    const { status, text } = await transport.send({
      method: exchange.method,
      url: `${config.origin}${apiPath}`,
      origin: config.origin,
      where,
      headers: exchange.method === 'GET' ? getHeaders : headers,
      body: exchange.method === 'GET' ? undefined : JSON.stringify(exchange.body),
      timeoutMs: config.timeoutMs,
    })
    if (event) event.httpStatus = status
    if (status < 200 || status > 299) throw statusError(where, status, text)
    return parseJsonObject(text, where) as T
  }

  return {
    baseUrl: config.baseUrl,
    apiVersion: config.apiVersion,
    service: config.service,
    call: <T>(path: string, body: unknown) => traced<T>({ method: 'POST', path, body }),
    get: <T>(path: string) => traced<T>({ method: 'GET', path }),
    close: () => transport.close(),
  }
}

/**
 * An Authlete API client over `fetch` (the runtime's own, or `authlete.fetch`), for any runtime
 * with `fetch`, `AbortSignal.timeout` and `TextEncoder`: Workers, Deno, Bun, the Next.js edge and
 * Node. Each call has one deadline (`timeoutMs`) from connection to the last byte of the reply.
 * On Node, `@authlete-guard/core/node` has the same client over an undici keep-alive pool.
 *
 * @example
 * const authlete = createAuthleteClient({ baseUrl: 'https://us.authlete.com', serviceId: '715948317', accessToken: env.AUTHLETE_SERVICE_ACCESSTOKEN })
 * const reply = await authlete.call('/auth/introspection', { token })
 */
export function createAuthleteClient(options: AuthleteOptions): AuthleteClient {
  const config = resolveAuthleteConfig(options)
  return clientOnTransport(config, createFetchTransport(options.fetch))
}
