import { DEFAULT_TIMEOUT_MS } from './authlete/config'
import { checkReady } from './authlete/ready'
import { decide, denyServerError } from './decision'
import { AuthleteGuardError, isAuthleteGuardError } from './errors'
import { extractIntrospectionRequest } from './extract'
import { GUARD_OPTION_KEYS, invalid, rejectUnknownKeys, resolveAuthlete, resolveCommonOptions, validateRouteOptions } from './options'
import { requestPath } from './public-url'
import { createReporter } from './report'
import type { Decision, Guard, GuardOptions, IntrospectionResponse, RequestLike, RouteOptions } from './types'

export { DEFAULT_TIMEOUT_MS }
export { DEFAULT_DPOP_ALGS, validateRouteOptions } from './options'

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
  rejectUnknownKeys(options, GUARD_OPTION_KEYS, 'createGuard')
  const { authlete: authleteOptions, ...rest } = options
  const context = resolveCommonOptions(rest)
  const authlete = resolveAuthlete(authleteOptions)
  const report = createReporter(rest.onError)

  async function check(request: RequestLike, route: RouteOptions = {}): Promise<Decision> {
    try {
      validateRouteOptions(route) // once per route object; adapters already did it at start-up
    } catch (error) {
      // Called directly with a bad route: deny (500) rather than drop the check it meant.
      report(error as AuthleteGuardError, 'introspection', request, requestPath(request.url))
      return denyServerError(error as AuthleteGuardError, undefined, context)
    }
    const extraction = extractIntrospectionRequest(request, route, context)
    if (!extraction.ok) return extraction.denial
    const challenge = { ...context, scopes: route.scopes, scheme: extraction.scheme }
    try {
      const response = await authlete.call<IntrospectionResponse>('/auth/introspection', extraction.body)
      if (typeof response.action !== 'string') {
        throw new AuthleteGuardError('ERR_AUTHLETE_INVALID_RESPONSE', 'Authlete\'s introspection reply has no action.', { resultCode: typeof response.resultCode === 'string' ? response.resultCode : undefined })
      }
      const decision = decide(response, challenge)
      if (!decision.allowed && decision.cause) report(decision.cause, 'introspection', request, extraction.path)
      return decision
    } catch (error) {
      // Authlete's faults arrive coded; anything else is a bug here, never a reason to allow.
      const cause = isAuthleteGuardError(error)
        ? error
        : new AuthleteGuardError('ERR_INTERNAL', 'The introspection failed unexpectedly inside authlete-guard.', { cause: error })
      report(cause, 'introspection', request, extraction.path)
      return denyServerError(cause, extraction.scheme, challenge)
    }
  }

  return {
    check,
    options: Object.freeze({ ...rest }),
    authlete,
    ready: () => checkReady(authlete),
    close: () => authlete.close(),
  }
}
