import { createAuthleteClient } from './authlete/client'
import { AuthleteGuardError } from './errors'
import type { ExtractContext } from './extract'
import { parseFixedPublicUrl } from './public-url'
import type { AuthleteClient, GuardOptions, RouteOptions } from './types'

/**
 * The `algs` the guard advertises in its own DPoP challenges: the asymmetric algorithms Authlete
 * verifies DPoP proofs with (its own `algs` list). `dpopAlgs` may narrow it, never widen it.
 *
 * @example
 * createGuard({ authlete, dpopAlgs: DEFAULT_DPOP_ALGS.filter((alg) => alg.startsWith('ES')) })
 */
export const DEFAULT_DPOP_ALGS: readonly string[] = Object.freeze([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'ES256K', 'EdDSA',
])

/** Throw the one misconfiguration error. */
export function invalid(message: string): never {
  throw new AuthleteGuardError('ERR_INVALID_CONFIG', message)
}

export const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')

/** Levenshtein distance, bounded: option names are short, so this is cheap. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

/**
 * Refuse keys an options object does not know, naming the near miss: a typo such as
 * `{ scope: ['admin'] }` for `scopes` would otherwise drop the check it meant, silently.
 */
export function rejectUnknownKeys(value: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue
    const near = known
      .map((name) => ({ name, d: distance(key, name) }))
      .filter(({ name, d }) => d <= Math.max(2, Math.floor(name.length / 3)))
      .sort((x, y) => x.d - y.d)[0]
    const hint = near ? ` Did you mean ${near.name}?` : ` Known options: ${known.join(', ')}.`
    invalid(`Unknown ${what} option ${JSON.stringify(key)}.${hint}`)
  }
}

/** The keys of `RouteOptions`. */
export const ROUTE_OPTION_KEYS: readonly string[] = ['scopes', 'subject', 'resources', 'acrValues', 'maxAge', 'dpopNonceRequired']
/** The keys `createGuard` and `createAuthorizationServer` share. */
const COMMON_OPTION_KEYS = ['authlete', 'publicUrl', 'trustProxy', 'realm', 'dpopAlgs', 'onError'] as const
/** The keys of `GuardOptions`. */
export const GUARD_OPTION_KEYS: readonly string[] = [...COMMON_OPTION_KEYS, 'cache', 'replay', 'dpopIat', 'now', 'onDecision']
/** The keys of `AuthorizationServerOptions`. */
export const AUTHORIZATION_SERVER_OPTION_KEYS: readonly string[] = [...COMMON_OPTION_KEYS, 'dpopNonceRequired', 'getClaims']

/** Route objects already checked: the guard checks each one once, wherever it comes from. */
const validatedRoutes = new WeakSet<object>()

/**
 * Check route options once, when a route is protected, so a typo fails at start-up and not on
 * the first request: unknown keys (`scope` for `scopes`) and wrong types throw `ERR_INVALID_CONFIG`.
 *
 * @example
 * app.get('/api/me', protect(guard, validateRouteOptions({ scopes: ['profile'] })), handler)
 */
export function validateRouteOptions(route: RouteOptions = {}): RouteOptions {
  if (route === null || typeof route !== 'object' || Array.isArray(route)) invalid('Route options must be an object.')
  if (validatedRoutes.has(route)) return route
  rejectUnknownKeys(route, ROUTE_OPTION_KEYS, 'route')
  for (const key of ['scopes', 'resources', 'acrValues'] as const) {
    if (route[key] !== undefined && !isStringArray(route[key])) invalid(`Route option ${key} must be an array of non-empty strings.`)
  }
  if (route.subject !== undefined && (typeof route.subject !== 'string' || route.subject === '')) invalid('Route option subject must be a non-empty string.')
  if (route.maxAge !== undefined && (!Number.isInteger(route.maxAge) || route.maxAge < 0)) invalid('Route option maxAge must be a whole number of seconds.')
  if (route.dpopNonceRequired !== undefined && typeof route.dpopNonceRequired !== 'boolean') invalid('Route option dpopNonceRequired must be a boolean.')
  validatedRoutes.add(route)
  return route
}

/** The shared part of the guard's and the authorization server's configuration. */
export function resolveCommonOptions(options: Omit<GuardOptions, 'authlete'>): ExtractContext {
  const { publicUrl, trustProxy, realm, dpopAlgs, onError } = options
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
  if (realm !== undefined && (typeof realm !== 'string' || /["\\\u0000-\u001f\u007f-\uffff]/.test(realm))) invalid('realm must be a printable ASCII string without quotes or backslashes.')
  if (dpopAlgs !== undefined) {
    if (!isStringArray(dpopAlgs) || dpopAlgs.length === 0) invalid('dpopAlgs must be a non-empty array of algorithm names.')
    const unsupported = dpopAlgs.filter((alg) => !DEFAULT_DPOP_ALGS.includes(alg))
    if (unsupported.length > 0) {
      invalid(`dpopAlgs may only hold asymmetric algorithms Authlete verifies (${DEFAULT_DPOP_ALGS.join(', ')}); not ${unsupported.join(', ')}.`)
    }
  }
  if (onError !== undefined && typeof onError !== 'function') invalid('onError must be a function.')
  return { fixed, trustProxy, realm, dpopAlgs: dpopAlgs ?? DEFAULT_DPOP_ALGS }
}

/** An `AuthleteClient` (made by `createAuthleteClient`) rather than connection options. */
export const isClient = (value: unknown): value is AuthleteClient =>
  typeof value === 'object' && value !== null && typeof (value as AuthleteClient).call === 'function'

/** Resolve `authlete` to a client: an options object gets its own keep-alive pool. */
export function resolveAuthlete(authlete: GuardOptions['authlete']): AuthleteClient {
  if (authlete === undefined || authlete === null) invalid('The authlete option is required.')
  return isClient(authlete) ? authlete : createAuthleteClient(authlete)
}
