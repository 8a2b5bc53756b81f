/**
 * What every framework adapter does with the guard it is given, in one place: check that it is a
 * guard, accept a function returning one (with ONE memoisation rule), and check a route's options
 * when the route is declared. Runtime-neutral (exported from the root entry).
 */
import { AuthleteGuardError } from '../errors'
import { validateRouteOptions } from '../options'
import type { Guard } from '../guard'
import type { Decision, RequestLike, RouteOptions } from '../types'

/**
 * A function returning the guard, for code that cannot make the guard when its routes are
 * declared: on Workers the environment (the credentials) exists only inside a request, and
 * `next build` evaluates route modules without `AUTHLETE_*`. See `lazyGuard` for when it is called.
 *
 * @example
 * const getGuard: GuardFactory = () => createGuard({ authlete: authleteOptionsFromEnv() })
 */
export type GuardFactory = () => Guard

/**
 * Throw `ERR_INVALID_CONFIG` ("`where` needs `what`") unless `value` is a guard (an object with a
 * `check` function). Adapters call it where the guard is handed over, so a missing or wrong guard
 * fails at start-up, not on the first request.
 *
 * @example
 * assertGuard(options.guard, '@authlete-guard/fastify: register(authleteGuard, { guard })')
 * // throws: "@authlete-guard/fastify: register(authleteGuard, { guard }) needs a guard from createGuard()"
 */
export function assertGuard(value: unknown, where: string, what = 'a guard from createGuard()'): asserts value is Guard {
  if (!value || typeof (value as Partial<Guard>).check !== 'function') throw new AuthleteGuardError('ERR_INVALID_CONFIG', `${where} needs ${what}`)
}

/** The guard each factory returned: one per factory function, for the whole process. */
const fromFactories = new WeakMap<GuardFactory, Guard>()

/**
 * The guard of `source`, got when it is first needed. A guard is returned as it is. A factory is
 * called once, on first use, and the guard it returns is shared by every caller that passes the
 * same function (every route, handler or proxy given it: one cache, one replay store, one
 * connection pool). A factory that throws is called again on the next use; one that returns
 * something other than a guard throws `ERR_INVALID_CONFIG` there. `source` itself is checked now.
 *
 * @example
 * const getGuard = lazyGuard(() => createGuard({ authlete: authleteOptionsFromEnv() }), 'my-adapter: protect(guard)')
 * app.use(async (request) => (await getGuard().check(toRequestLike(request))).allowed)
 */
export function lazyGuard(source: Guard | GuardFactory, where: string): () => Guard {
  if (typeof source !== 'function') {
    assertGuard(source, where, 'a guard from createGuard() (or a function returning one)')
    return () => source
  }
  return () => {
    const known = fromFactories.get(source)
    if (known) return known
    const made: unknown = source()
    assertGuard(made, `${where}: the guard factory`, 'to return a guard from createGuard()')
    fromFactories.set(source, made)
    return made
  }
}

/**
 * The check of one protected route, as an adapter's middleware runs it: `source` is checked now
 * (`lazyGuard`), `route` too (`validateRouteOptions`: a typo, or a nonce on Authlete API V2, fails
 * at start-up; with a factory the API version is checked by the guard on the first request).
 * An adapter that takes no factory calls `assertGuard` first, so a function fails at start-up.
 *
 * @example
 * export function protect(guard: Guard, route?: RouteOptions) {
 *   assertGuard(guard, 'my-adapter: protect(guard)')
 *   const check = routeCheck(guard, route, 'my-adapter: protect(guard)')
 *   return async (req, res, next) => { const decision = await check(toRequestLike(req)); ... }
 * }
 */
export function routeCheck(source: Guard | GuardFactory, route: RouteOptions | undefined, where: string): (request: RequestLike) => Promise<Decision> {
  const guard = lazyGuard(source, where)
  validateRouteOptions(route, typeof source === 'function' ? undefined : source)
  return (request) => guard().check(request, route)
}
