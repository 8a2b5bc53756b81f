import { AuthleteGuardError } from './errors'
import type { AuthleteOptions } from './types'

type Env = Record<string, string | undefined>

/** `process.env` where the runtime has one (Node, Bun, Deno); elsewhere (Workers) pass `env`. */
function processEnv(): Env {
  return (globalThis as { process?: { env?: Env } }).process?.env ?? {}
}

/**
 * Build the `authlete` options from the environment variables Authlete's own SDKs read:
 * `AUTHLETE_BASE_URL`, `AUTHLETE_API_VERSION` (`V2`/`V3`; default V3 when
 * `AUTHLETE_SERVICE_ACCESSTOKEN` is set, even empty, else V2), `AUTHLETE_SERVICE_APIKEY` (v2 API key, and the
 * service id in v3), `AUTHLETE_SERVICE_APISECRET` (v2), `AUTHLETE_SERVICE_ACCESSTOKEN` (v3).
 * Throws `ERR_MISSING_ENV` naming every variable that is missing (those of the API version the
 * environment sets up), and `ERR_INVALID_ENV` for a value it cannot use. Never echoes a secret.
 *
 * On Cloudflare Workers, pass the worker's `env` (there is no `process.env`).
 *
 * @example
 * const guard = createGuard({ authlete: authleteOptionsFromEnv() })
 * // Workers: export default { fetch: (request, env) => ... createGuard({ authlete: authleteOptionsFromEnv(env) }) }
 */
export function authleteOptionsFromEnv(env: Env = processEnv(), extra: Partial<AuthleteOptions> = {}): AuthleteOptions {
  const get = (name: string) => {
    const v = env[name]?.trim()
    return v === undefined || v === '' ? undefined : v
  }
  const baseUrl = get('AUTHLETE_BASE_URL')
  const rawVersion = get('AUTHLETE_API_VERSION')?.toUpperCase()
  const accessToken = get('AUTHLETE_SERVICE_ACCESSTOKEN')
  const apiKey = get('AUTHLETE_SERVICE_APIKEY')
  const apiSecret = get('AUTHLETE_SERVICE_APISECRET')

  if (rawVersion !== undefined && rawVersion !== 'V2' && rawVersion !== 'V3') {
    throw new AuthleteGuardError('ERR_INVALID_ENV', `AUTHLETE_API_VERSION must be V2 or V3, got ${JSON.stringify(rawVersion.slice(0, 16))}.`)
  }
  if (baseUrl !== undefined && !/^https?:\/\/[^\s/?#]+/i.test(baseUrl)) {
    throw new AuthleteGuardError('ERR_INVALID_ENV', 'AUTHLETE_BASE_URL must be an absolute http(s) URL such as https://us.authlete.com.')
  }
  // A V3 set-up says so by its access token variable, even when the value is still empty.
  const v3Setup = env.AUTHLETE_SERVICE_ACCESSTOKEN !== undefined
  const apiVersion: 'V2' | 'V3' = (rawVersion as 'V2' | 'V3' | undefined) ?? (v3Setup ? 'V3' : 'V2')
  const needed = apiVersion === 'V3'
    ? ['AUTHLETE_BASE_URL', 'AUTHLETE_SERVICE_APIKEY', 'AUTHLETE_SERVICE_ACCESSTOKEN']
    : ['AUTHLETE_BASE_URL', 'AUTHLETE_SERVICE_APIKEY', 'AUTHLETE_SERVICE_APISECRET']
  const missing = needed.filter((name) => get(name) === undefined)
  if (missing.length > 0) {
    throw new AuthleteGuardError(
      'ERR_MISSING_ENV',
      `Authlete API ${apiVersion} needs the environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` +
        (apiVersion === 'V3' ? ' (AUTHLETE_SERVICE_APIKEY holds the service id).' : '.'),
    )
  }
  return apiVersion === 'V3'
    ? { ...extra, baseUrl: baseUrl!, apiVersion, serviceId: apiKey!, accessToken: accessToken! }
    : { ...extra, baseUrl: baseUrl!, apiVersion, apiKey: apiKey!, apiSecret: apiSecret! }
}
