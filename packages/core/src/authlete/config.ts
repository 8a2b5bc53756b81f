import { invalid, rejectUnknownKeys } from '../errors'
import type { AuthleteOptions } from '../types'

/**
 * Default deadline of one Authlete call, in milliseconds.
 *
 * @example
 * createGuard({ authlete: { ...authlete, timeoutMs: DEFAULT_TIMEOUT_MS / 2 } })
 */
export const DEFAULT_TIMEOUT_MS = 5000

/** Validated, ready-to-use connection settings. Holds the credentials: never log it. */
export interface AuthleteConfig {
  baseUrl: string
  origin: string
  apiVersion: 'V2' | 'V3'
  authorization: string
  timeoutMs: number
  /**
   * The service's stable identity, no secret: base URL, API version and service id (v3) or API key
   * (v2). The guard keys its caches and replay stores by its hash (`AuthleteClient.service`).
   */
  service: string
  /** `'/auth/introspection'` -> `/api/auth/introspection` (v2) or `/api/{serviceId}/auth/introspection` (v3). */
  apiPath(path: string): string
}

/**
 * Largest `timeoutMs`: timers take a signed 32-bit delay, and a larger one fires at once, which
 * would turn every call into a timeout.
 */
export const MAX_TIMEOUT_MS = 2_147_483_647

/** The keys of `AuthleteOptions`. */
const AUTHLETE_OPTION_KEYS = ['baseUrl', 'apiVersion', 'serviceId', 'accessToken', 'apiKey', 'apiSecret', 'timeoutMs', 'fetch']
/** Options of the Node client only (`@authlete-guard/core/node`). */
const NODE_ONLY_KEYS = ['connections', 'maxQueued', 'dispatcher']

// Visible ASCII only: a credential goes into an HTTP header, where CR/LF or other controls would
// fail every call later as an opaque network error (and a space would split a Bearer token).
const HEADER_SAFE = /^[\x21-\x7e]+$/

const present = (value: unknown): value is string | number =>
  (typeof value === 'string' && value.trim() !== '') || (typeof value === 'number' && Number.isFinite(value))

/** Base64 of an ASCII string, without `Buffer`: the root entry runs outside Node too. */
function base64Ascii(value: string): string {
  return btoa(value)
}

/** Check the `authlete` options and derive the API version, paths and `Authorization` header. */
export function resolveAuthleteConfig(options: AuthleteOptions, extraKeys: readonly string[] = []): AuthleteConfig {
  if (!options || typeof options !== 'object') invalid('authlete options are required: { baseUrl, serviceId, accessToken } (v3) or { baseUrl, apiKey, apiSecret } (v2).')
  const nodeOnly = Object.keys(options).find((key) => NODE_ONLY_KEYS.includes(key) && !extraKeys.includes(key))
  if (nodeOnly) invalid(`authlete.${nodeOnly} is an option of the Node client: create the guard with createNodeGuard from @authlete-guard/core/node (the Express, Fastify, Koa and NestJS adapters' createGuard is that one).`)
  rejectUnknownKeys(options, [...AUTHLETE_OPTION_KEYS, ...extraKeys], 'authlete')
  if (options.fetch !== undefined && typeof options.fetch !== 'function') invalid('authlete.fetch must be a fetch function.')
  let url: URL
  try {
    url = new URL(options.baseUrl)
  } catch {
    invalid(`authlete.baseUrl must be an absolute URL such as https://us.authlete.com, got ${JSON.stringify(String(options.baseUrl))}.`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') invalid('authlete.baseUrl must use https (or http for a local emulator).')
  if (url.username || url.password || url.search || url.hash) invalid('authlete.baseUrl must not contain credentials, a query or a fragment.')

  // A service id or an access token says "V3" as clearly as apiVersion does.
  const version = options.apiVersion ?? (present(options.accessToken) || present(options.serviceId) ? 'V3' : 'V2')
  if (version !== 'V2' && version !== 'V3') invalid(`authlete.apiVersion must be 'V2' or 'V3'.`)

  let authorization: string
  let prefix: string
  let serviceName: string
  if (version === 'V3') {
    const missing = [!present(options.serviceId) && 'serviceId', !present(options.accessToken) && 'accessToken'].filter(Boolean)
    if (missing.length > 0) invalid(`Authlete API v3 needs authlete.${missing.join(' and authlete.')}.`)
    if (!/^\d+$/.test(String(options.serviceId))) invalid('authlete.serviceId must be the numeric service id.')
    if (!HEADER_SAFE.test(String(options.accessToken))) invalid('authlete.accessToken must be printable ASCII without spaces or line breaks (check for a stray newline).')
    authorization = `Bearer ${options.accessToken}`
    prefix = `/api/${options.serviceId}`
    serviceName = String(options.serviceId)
  } else {
    const missing = [!present(options.apiKey) && 'apiKey', !present(options.apiSecret) && 'apiSecret'].filter(Boolean)
    if (missing.length > 0) invalid(`Authlete API v2 needs authlete.${missing.join(' and authlete.')} (or serviceId and accessToken for v3).`)
    if (!HEADER_SAFE.test(String(options.apiKey)) || String(options.apiKey).includes(':')) {
      invalid('authlete.apiKey must be printable ASCII without spaces, line breaks or ":" (HTTP Basic splits at the first colon).')
    }
    if (!HEADER_SAFE.test(String(options.apiSecret))) invalid('authlete.apiSecret must be printable ASCII without spaces or line breaks (check for a stray newline).')
    authorization = `Basic ${base64Ascii(`${options.apiKey}:${options.apiSecret}`)}`
    prefix = '/api'
    // v2 has no service id in the path: the API key names the service (it equals the id).
    serviceName = String(options.apiKey)
  }

  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
    invalid(`authlete.timeoutMs must be a positive number of milliseconds, at most ${MAX_TIMEOUT_MS}.`)
  }

  const basePath = url.pathname.replace(/\/+$/, '')
  const baseUrl = `${url.origin}${basePath}`
  return {
    baseUrl,
    origin: url.origin,
    apiVersion: version,
    authorization,
    timeoutMs,
    service: `${baseUrl} ${version} ${serviceName}`,
    apiPath: (path) => `${basePath}${prefix}${path.startsWith('/') ? path : `/${path}`}`,
  }
}
