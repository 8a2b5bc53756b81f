import { createAuthleteClient } from './authlete/client'
import { DEFAULT_TIMEOUT_MS } from './authlete/config'
import { decide, denyServerError } from './decision'
import { AuthleteGuardError, isAuthleteGuardError } from './errors'
import { extractIntrospectionRequest, type ExtractContext } from './extract'
import { parseFixedPublicUrl } from './public-url'
import type { AuthleteClient, Decision, Guard, GuardOptions, IntrospectionResponse, RequestLike, RouteOptions } from './types'

export { DEFAULT_TIMEOUT_MS }

/**
 * The `algs` the guard advertises in its own DPoP challenges: the ones Authlete verifies.
 *
 * @example
 * createGuard({ authlete, dpopAlgs: DEFAULT_DPOP_ALGS.filter((alg) => alg.startsWith('ES')) })
 */
export const DEFAULT_DPOP_ALGS: readonly string[] = Object.freeze([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'ES256K', 'EdDSA',
])

function invalid(message: string): never {
  throw new AuthleteGuardError('ERR_INVALID_CONFIG', message)
}

const isClient = (value: unknown): value is AuthleteClient =>
  typeof value === 'object' && value !== null && typeof (value as AuthleteClient).call === 'function'

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')

/**
 * Check route options once, when a route is protected, so a typo fails at start-up and not on
 * the first request. Throws `ERR_INVALID_CONFIG`.
 *
 * @example
 * app.get('/api/me', protect(guard, validateRouteOptions({ scopes: ['profile'] })), handler)
 */
export function validateRouteOptions(route: RouteOptions = {}): RouteOptions {
  if (route === null || typeof route !== 'object') invalid('Route options must be an object.')
  for (const key of ['scopes', 'resources', 'acrValues'] as const) {
    if (route[key] !== undefined && !isStringArray(route[key])) invalid(`Route option ${key} must be an array of non-empty strings.`)
  }
  if (route.subject !== undefined && (typeof route.subject !== 'string' || route.subject === '')) invalid('Route option subject must be a non-empty string.')
  if (route.maxAge !== undefined && (!Number.isInteger(route.maxAge) || route.maxAge < 0)) invalid('Route option maxAge must be a whole number of seconds.')
  if (route.dpopNonceRequired !== undefined && typeof route.dpopNonceRequired !== 'boolean') invalid('Route option dpopNonceRequired must be a boolean.')
  return route
}

/** The shared part of the guard's and the authorization server's configuration. */
export function resolveCommonOptions(options: Omit<GuardOptions, 'authlete'>): ExtractContext {
  const { publicUrl, trustProxy, realm, dpopAlgs } = options
  let fixed
  if (publicUrl !== undefined) {
    try {
      fixed = parseFixedPublicUrl(publicUrl)
    } catch (error) {
      invalid((error as Error).message)
    }
  }
  if (trustProxy !== undefined && !['boolean', 'number', 'function'].includes(typeof trustProxy)) {
    invalid('trustProxy must be a boolean, a hop count or a function (address, hop) => boolean.')
  }
  if (typeof trustProxy === 'number' && (!Number.isInteger(trustProxy) || trustProxy < 0)) invalid('trustProxy as a hop count must be a whole number.')
  if (realm !== undefined && (typeof realm !== 'string' || /["\\\r\n]/.test(realm))) invalid('realm must be a string without quotes, backslashes or line breaks.')
  if (dpopAlgs !== undefined && (!isStringArray(dpopAlgs) || dpopAlgs.length === 0)) invalid('dpopAlgs must be a non-empty array of algorithm names.')
  return { fixed, trustProxy, realm, dpopAlgs: dpopAlgs ?? DEFAULT_DPOP_ALGS }
}

/** Resolve `authlete` to a client: an options object gets its own keep-alive pool. */
export function resolveAuthlete(authlete: GuardOptions['authlete']): AuthleteClient {
  if (authlete === undefined || authlete === null) invalid('The authlete option is required.')
  return isClient(authlete) ? authlete : createAuthleteClient(authlete)
}

/** Report an infrastructure failure to the application's hook; a throwing hook changes nothing. */
export function report(onError: GuardOptions['onError'], error: AuthleteGuardError, operation: string, request: RequestLike, path: string): void {
  if (!onError) return
  try {
    onError({ error, operation, method: request.method.toUpperCase(), path })
  } catch {
    // The denial stands whatever the hook does.
  }
}

/**
 * Create the guard: the one object adapters use. `check` runs three stages: extract (request ->
 * introspection parameters, pure), introspect (one Authlete call), decide (reply -> decision,
 * pure). Misconfiguration throws here, with code `ERR_INVALID_CONFIG`; a bad request or a failing
 * Authlete is a denial, never an exception.
 *
 * @example
 * const guard = createGuard({
 *   authlete: { baseUrl: 'https://us.authlete.com', serviceId: '715948317', accessToken: process.env.AUTHLETE_SERVICE_ACCESSTOKEN },
 *   publicUrl: 'https://api.example.com',
 * })
 * const decision = await guard.check({ method: 'GET', url: '/api/me', headers }, { scopes: ['profile'] })
 * if (decision.allowed) console.log(decision.auth.subject)
 */
export function createGuard(options: GuardOptions): Guard {
  if (!options || typeof options !== 'object') invalid('createGuard needs an options object with at least { authlete }.')
  const { authlete: authleteOptions, ...rest } = options
  const context = resolveCommonOptions(rest)
  if (rest.onError !== undefined && typeof rest.onError !== 'function') invalid('onError must be a function.')
  const authlete = resolveAuthlete(authleteOptions)

  async function check(request: RequestLike, route: RouteOptions = {}): Promise<Decision> {
    const extraction = extractIntrospectionRequest(request, route, context)
    if (!extraction.ok) return extraction.denial
    const challenge = { ...context, scopes: route.scopes, scheme: extraction.scheme }
    try {
      const response = await authlete.call<IntrospectionResponse>('/auth/introspection', extraction.body)
      if (typeof response.action !== 'string') {
        throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', 'Authlete\'s introspection reply has no action.', { resultCode: typeof response.resultCode === 'string' ? response.resultCode : undefined })
      }
      const decision = decide(response, challenge)
      if (!decision.allowed && decision.cause) report(rest.onError, decision.cause, 'introspection', request, extraction.path)
      return decision
    } catch (error) {
      const cause = isAuthleteGuardError(error)
        ? error
        : new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', 'The introspection failed unexpectedly.', { cause: error })
      report(rest.onError, cause, 'introspection', request, extraction.path)
      return denyServerError(cause, extraction.scheme, challenge)
    }
  }

  return {
    check,
    options: Object.freeze({ ...rest }),
    authlete,
    close: () => authlete.close(),
  }
}
