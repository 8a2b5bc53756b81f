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

/** What `validateRouteOptions` needs of a guard: its Authlete API version. A `Guard` fits. */
export interface RouteGuardContext {
  authlete: { apiVersion: 'V2' | 'V3' }
}

/**
 * Refuse `dpopNonceRequired` on Authlete API V2, whose introspection and token APIs have no DPoP
 * nonces (reference §9): the option would be dropped there and the nonce never checked.
 */
export function requireNonceSupport(dpopNonceRequired: unknown, apiVersion: unknown, what: string): void {
  if (dpopNonceRequired !== true || apiVersion !== 'V2') return
  invalid(`${what} dpopNonceRequired cannot be enforced: Authlete API V2 has no DPoP nonces (they are Authlete 3.0 only). Use API V3 (authlete.serviceId and authlete.accessToken), or drop dpopNonceRequired.`)
}

/** The shape checks of route options (keys and types). */
function checkRouteShape(route: RouteOptions): void {
  rejectUnknownKeys(route, ROUTE_OPTION_KEYS, 'route')
  for (const key of ['scopes', 'resources', 'acrValues'] as const) {
    if (route[key] !== undefined && !isStringArray(route[key])) invalid(`Route option ${key} must be an array of non-empty strings.`)
  }
  if (route.subject !== undefined && (typeof route.subject !== 'string' || route.subject === '')) invalid('Route option subject must be a non-empty string.')
  if (route.maxAge !== undefined && (!Number.isInteger(route.maxAge) || route.maxAge < 0)) invalid('Route option maxAge must be a whole number of seconds.')
  if (route.dpopNonceRequired !== undefined && typeof route.dpopNonceRequired !== 'boolean') invalid('Route option dpopNonceRequired must be a boolean.')
}

/**
 * Check route options once, when a route is protected, so a typo fails at start-up and not on
 * the first request: unknown keys (`scope` for `scopes`) and wrong types throw `ERR_INVALID_CONFIG`.
 * Given the guard, also what its Authlete cannot do: `dpopNonceRequired` with Authlete API V2
 * (no DPoP nonces there) throws `ERR_INVALID_CONFIG`, for every guard the route is used with.
 *
 * @example
 * app.get('/api/me', protect(guard, validateRouteOptions({ scopes: ['profile'] }, guard)), handler)
 */
export function validateRouteOptions(route: RouteOptions = {}, guard?: RouteGuardContext): RouteOptions {
  if (route === null || typeof route !== 'object' || Array.isArray(route)) invalid('Route options must be an object.')
  if (!validatedRoutes.has(route)) {
    checkRouteShape(route)
    validatedRoutes.add(route)
  }
  // Per guard, not per route: the same route object may serve a V3 guard and a V2 one.
  requireNonceSupport(route.dpopNonceRequired, guard?.authlete?.apiVersion, 'Route option')
  return route
}

/**
 * Names people write for a JWS `alg` that are key or curve names (RFC 8037 names the curve
 * `Ed25519`, the alg `EdDSA`), lower-cased, with the alg meant.
 */
const ALG_NAME_HINTS: Record<string, string> = {
  ed25519: 'EdDSA', ed448: 'EdDSA', okp: 'EdDSA',
  'p-256': 'ES256', 'p-384': 'ES384', 'p-521': 'ES512', secp256k1: 'ES256K', ecdsa: 'ES256', ec: 'ES256',
  rsa: 'RS256', 'rsassa-pkcs1-v1_5': 'RS256', 'rsa-pss': 'PS256',
}

/** The hint for a `dpopAlgs` name that is not a supported alg: a wrong case, or a key/curve name. */
function algHint(name: string): string | undefined {
  const meant = DEFAULT_DPOP_ALGS.find((alg) => alg.toLowerCase() === name.toLowerCase()) ?? ALG_NAME_HINTS[name.toLowerCase()]
  return meant === undefined ? undefined : `${name} is not a JWS alg name; did you mean ${meant}?`
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
      const hints = unsupported.map(algHint).filter((hint) => hint !== undefined)
      invalid(`dpopAlgs may only hold asymmetric algorithms Authlete verifies (${DEFAULT_DPOP_ALGS.join(', ')}); not ${unsupported.join(', ')}.${hints.map((hint) => ` ${hint}`).join('')}`)
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
