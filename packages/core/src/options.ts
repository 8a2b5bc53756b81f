import { createAuthleteClient } from './authlete/client'
import { serviceIdentity } from './authlete/service'
import { createIntrospectionCache, type CacheOptions, type IntrospectionCache } from './cache/introspection-cache'
import type { ChallengeOptions } from './decision/challenge'
import type { JudgeContext } from './decision/requirements'
import type { CheckEvent } from './diagnostics'
import { invalid, rejectUnknownKeys } from './errors'
import { createMemoryReplayStore, type ReplayStore } from './replay/store'
import { resolveClientCertificateSource, type ClientCertificateSource } from './request/client-certificate'
import type { ExtractContext } from './request/extract'
import { parseFixedPublicUrl } from './request/public-url'
import { canonicalResource, checkedResource, protectedResourceMetadataUrl } from './resource/identity'
import { checkedResourceMetadata, metadataDocument, type ProtectedResourceMetadata, type ResourceMetadataOptions } from './resource/metadata'
import type { AuthleteClient, AuthleteOptions, GuardErrorEvent, RouteOptions, TrustProxy } from './types'

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

/**
 * Default `iat` window of DPoP proofs, seconds: how old a proof may be, and how far ahead of this
 * server's clock (RFC 9449 §11.1). Accepted proofs are remembered for the sum of both.
 *
 * @example
 * createGuard({ authlete, dpopIat: { ...DEFAULT_DPOP_IAT, maxAgeSeconds: 60 } })
 */
export const DEFAULT_DPOP_IAT = Object.freeze({ maxAgeSeconds: 300, maxFutureSeconds: 60 })

/**
 * The options `createGuard` and `createAuthorizationServer` share (`COMMON_OPTION_KEYS`), checked
 * and resolved alike by `resolveCommonOptions`.
 */
export interface CommonOptions {
  /** Authlete connection options, or a client from `createAuthleteClient` (a guard and an authorization server may share one). */
  authlete: AuthleteOptions | AuthleteClient
  /** Fixed public origin, optionally with a path prefix, used for `htu`: `https://api.example.com/v1`. */
  publicUrl?: string | undefined
  /** Believe `Forwarded` / `X-Forwarded-*` from the peer. Default: the framework's own setting, else false. */
  trustProxy?: TrustProxy | undefined
  /**
   * Where the client's certificate comes from (RFC 8705 mutual TLS): `'tls'` (the default) takes
   * `RequestLike.clientCertificate`, the certificate of the server's own TLS socket
   * (`fromNodeRequest`; none on Web runtimes); `{ header, encoding? }` takes it from a header a
   * TLS-terminating proxy sets, believed only from a peer `trustProxy` trusts (required with it),
   * and never the socket's. A header that holds no certificate is 400 `invalid_request`, before any
   * call to Authlete. The guard sends the certificate to Authlete as PEM, keys its cache by the
   * certificate's thumbprint, and sets `auth.certificateThumbprint` for a certificate-bound token
   * only (the token's binding, equal to that thumbprint). The authorization server's token and PAR
   * endpoints send it as `clientCertificate` and the certificates after it as
   * `clientCertificatePath` (API V3 only); UserInfo sends `clientCertificate`.
   *
   * @example
   * createGuard({ authlete, trustProxy: 1, clientCertificate: { header: 'client-cert' } }) // RFC 9440
   */
  clientCertificate?: ClientCertificateSource | undefined
  /**
   * `realm` of the challenges written by the guard or the endpoints themselves (for the
   * authorization server: `Basic` at the token endpoint, default `DEFAULT_BASIC_REALM`, and at PAR,
   * default `DEFAULT_PAR_BASIC_REALM`; `Bearer` / `DPoP` at UserInfo). Default none for the guard.
   */
  realm?: string | undefined
  /** `algs` advertised in the guard's (or UserInfo's) own `DPoP` challenges. Default `DEFAULT_DPOP_ALGS`. */
  dpopAlgs?: readonly string[] | undefined
  /** Called for every infrastructure failure (the request was denied with 500). */
  onError?: ((event: GuardErrorEvent) => void) | undefined
}

/** Options of `createGuard`. */
export interface GuardOptions extends CommonOptions {
  /**
   * Reuse Authlete's OK answers (opt-in): `true` for the defaults (30 s, 10,000 tokens), or
   * `{ ttlMs, maxEntries }`. A hit still verifies the request's own DPoP proof and its `jti`, and
   * judges the route's requirements against the cached facts. Default off: every request asks Authlete.
   */
  cache?: boolean | CacheOptions | undefined
  /**
   * Where accepted DPoP proofs are remembered so each is used once. Default: an in-memory store
   * (`createMemoryReplayStore()`); `false` leaves replay detection to Authlete alone.
   */
  replay?: ReplayStore | false | undefined
  /** The `iat` window of DPoP proofs, seconds. Default `{ maxAgeSeconds: 300, maxFutureSeconds: 60 }`. */
  dpopIat?: { maxAgeSeconds?: number | undefined; maxFutureSeconds?: number | undefined } | undefined
  /** The clock, ms since the epoch (tests, simulations). Default `Date.now`. */
  now?: (() => number) | undefined
  /**
   * Called after every check with what was decided, where and why (`CheckEvent`: method, path
   * without query, scheme, route, allowed, status, error, source, durationMs, reason). Never a
   * token, proof or credential. The same fields the `authlete-guard:check` channel publishes.
   */
  onDecision?: ((event: CheckEvent) => void) | undefined
  /**
   * The resource identifier of what this guard protects (RFC 8707, RFC 9728): an absolute `https`
   * URL (`http` only for localhost, 127.0.0.1 or [::1]) without query or fragment, kept as written
   * (the metadata's `resource` and `guard.resourceMetadataUrl` use it exactly; tokens' audiences are
   * compared with its canonical form). Needs `resourceMetadata`. With it, every 401 and 403
   * `insufficient_scope` challenge carries `resource_metadata="<guard.resourceMetadataUrl>"` (a 403
   * also `scope="<the route's scopes>"`), and `audience` applies. Default none.
   *
   * @example
   * createGuard({ authlete, resource: 'https://api.example.com/mcp', resourceMetadata: { authorization_servers: ['https://as.example.com'] } })
   */
  resource?: string | undefined
  /**
   * The other members of the protected resource metadata (RFC 9728 §2) in their RFC spelling, for
   * `guard.resourceMetadata()`: `authorization_servers` (required), `scopes_supported`,
   * `bearer_methods_supported` (default `['header']`), `resource_name`, ...; never
   * `dpop_signing_alg_values_supported`, which the guard fills from `dpopAlgs`. Needs `resource`,
   * and `resource` needs it.
   */
  resourceMetadata?: ResourceMetadataOptions | undefined
  /**
   * Which tokens `resource` admits: `'strict'` (the default with `resource`) only those whose
   * audience (`accessTokenResources`, else `resources`) holds the resource, compared canonically;
   * others, and tokens with no audience, get 401 `invalid_token` (reason `audience`). `'any'` skips
   * the check: unsafe for an MCP server, which must refuse tokens issued for another resource.
   * Needs `resource`.
   */
  audience?: AudienceMode | undefined
}

/**
 * `GuardOptions.audience`: `'strict'` admits only tokens issued for the guard's `resource`; `'any'` skips the check.
 *
 * @example
 * const audience: AudienceMode = process.env.NODE_ENV === 'test' ? 'any' : 'strict'
 */
export type AudienceMode = 'strict' | 'any'

export const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')

/** The keys of `RouteOptions`. */
export const ROUTE_OPTION_KEYS: readonly string[] = ['scopes', 'subject', 'resources', 'acrValues', 'maxAge', 'dpopNonceRequired']
/** The keys `createGuard` and `createAuthorizationServer` share. */
const COMMON_OPTION_KEYS = ['authlete', 'publicUrl', 'trustProxy', 'clientCertificate', 'realm', 'dpopAlgs', 'onError'] as const
/** The keys of `GuardOptions`. */
export const GUARD_OPTION_KEYS: readonly string[] = [...COMMON_OPTION_KEYS, 'cache', 'replay', 'dpopIat', 'now', 'onDecision', 'resource', 'resourceMetadata', 'audience']
/** The keys of `AuthorizationServerOptions`. */
export const AUTHORIZATION_SERVER_OPTION_KEYS: readonly string[] = [...COMMON_OPTION_KEYS, 'dpopNonceRequired', 'getClaims', 'metadataTtlMs']

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

/** What the guard and the authorization server resolve alike: where `htu` comes from, and how their own challenges look. */
export interface CommonContext extends ExtractContext, ChallengeOptions {}

/** The shared part of the guard's and the authorization server's configuration. */
export function resolveCommonOptions(options: Omit<CommonOptions, 'authlete'>): CommonContext {
  const { publicUrl, trustProxy, clientCertificate, realm, dpopAlgs, onError } = options
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
  return { fixed, trustProxy, clientCertificate: resolveClientCertificateSource(clientCertificate, trustProxy), realm, dpopAlgs: dpopAlgs ?? DEFAULT_DPOP_ALGS }
}

/** An `AuthleteClient` (made by `createAuthleteClient`) rather than connection options. */
export const isClient = (value: unknown): value is AuthleteClient =>
  typeof value === 'object' && value !== null && typeof (value as AuthleteClient).call === 'function'

/** Resolve `authlete` to a client: an options object gets its own keep-alive pool. */
export function resolveAuthlete(authlete: AuthleteOptions | AuthleteClient): AuthleteClient {
  if (authlete === undefined || authlete === null) invalid('The authlete option is required.')
  return isClient(authlete) ? authlete : createAuthleteClient(authlete)
}

function positiveSeconds(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) invalid(`dpopIat.${name} must be a number of seconds, 0 or more.`)
  return value
}

function resolveCache(cache: GuardOptions['cache']): IntrospectionCache | undefined {
  if (cache === undefined || cache === false) return undefined
  if (cache === true) return createIntrospectionCache({})
  if (cache === null || typeof cache !== 'object') invalid('cache must be true, false or { ttlMs, maxEntries }.')
  rejectUnknownKeys(cache, ['ttlMs', 'maxEntries', 'store'], 'cache')
  if (cache.store !== undefined && (cache.store === null || typeof cache.store.get !== 'function' || typeof cache.store.set !== 'function')) invalid('cache.store must be an IntrospectionCacheStore ({ get(key), set(key, entry, ttlMs) }).')
  if (cache.ttlMs !== undefined && (!Number.isInteger(cache.ttlMs) || cache.ttlMs < 1 || cache.ttlMs > 86_400_000)) invalid('cache.ttlMs must be a whole number of milliseconds from 1 to 86400000.')
  if (cache.maxEntries !== undefined && (!Number.isInteger(cache.maxEntries) || cache.maxEntries < 1)) invalid('cache.maxEntries must be a positive whole number.')
  return createIntrospectionCache(cache)
}

function resolveReplay(replay: GuardOptions['replay']): ReplayStore | undefined {
  if (replay === false) return undefined
  if (replay === undefined) return createMemoryReplayStore()
  if (replay === null || typeof replay !== 'object' || typeof (replay as ReplayStore).remember !== 'function') invalid('replay must be a ReplayStore ({ remember(key, ttlMs, owner), seen?(key, owner) }) or false.')
  if (replay.seen !== undefined && typeof replay.seen !== 'function') invalid('replay.seen must be a function (key, owner) => Promise<boolean>, or absent.')
  return replay
}

/** What a guard's stages share: the common context (with `resourceMetadataUrl`) and the audience its judge requires. */
export type GuardContext = CommonContext & Pick<JudgeContext, 'audience'>

/** The guard's `resource`, `resourceMetadata` and `audience`, checked: what its stages and `Guard` get of them. */
interface ResolvedResource {
  /** The context's part: the metadata URL for challenges, the canonical resource its judge requires (`'strict'`). */
  context: Pick<GuardContext, 'resourceMetadataUrl' | 'audience'>
  resourceMetadataUrl: string | undefined
  resourceMetadata: () => ProtectedResourceMetadata
}

/**
 * Check `resource`, `resourceMetadata` and `audience` (each mistake `ERR_INVALID_CONFIG`): the
 * resource as written (the document's `resource`, and its metadata URL by RFC 9728 §3.1), its
 * canonical form (what tokens' audiences are compared with), and the document's members, required
 * with `resource`: every 401 points clients to the document.
 */
function resolveResource(options: GuardOptions, dpopAlgs: readonly string[]): ResolvedResource {
  const { resource, resourceMetadata, audience } = options
  if (audience !== undefined && audience !== 'strict' && audience !== 'any') invalid(`audience must be 'strict' or 'any'; not ${JSON.stringify(audience)}.`)
  if (resource === undefined) {
    if (resourceMetadata !== undefined) invalid('resourceMetadata needs resource: the resource identifier the document describes, e.g. https://api.example.com/mcp.')
    if (audience !== undefined) invalid('audience needs resource: the resource identifier tokens must be issued for, e.g. https://api.example.com/mcp.')
    return { context: {}, resourceMetadataUrl: undefined, resourceMetadata: () => invalid('guard.resourceMetadata() needs the resource option (and resourceMetadata.authorization_servers) in createGuard.') }
  }
  const identifier = checkedResource(resource)
  if (resourceMetadata === undefined) {
    invalid(`resource needs resourceMetadata with authorization_servers: every 401 points clients to the resource's metadata (RFC 9728), which names the authorization servers that issue tokens for it. Add it, e.g. createGuard({ ..., resource: ${JSON.stringify(identifier)}, resourceMetadata: { authorization_servers: ['https://as.example.com'] } }).`)
  }
  const members = checkedResourceMetadata(resourceMetadata)
  const resourceMetadataUrl = protectedResourceMetadataUrl(identifier)
  return {
    context: { resourceMetadataUrl, audience: audience === 'any' ? undefined : canonicalResource(identifier) },
    resourceMetadataUrl,
    resourceMetadata: () => metadataDocument(identifier, members, dpopAlgs),
  }
}

/** `createGuard`'s options, checked and resolved: what the guard's stages are built from. */
export interface ResolvedGuardOptions {
  /** The options the guard shows as `guard.options` (all but authlete, cache, replay, dpopIat, now, onDecision). */
  rest: Omit<GuardOptions, 'authlete' | 'cache' | 'replay' | 'dpopIat' | 'now' | 'onDecision'>
  context: GuardContext
  /** `guard.resourceMetadataUrl`: RFC 9728 §3.1's URL for `resource`, else `undefined`. */
  resourceMetadataUrl: string | undefined
  /** `guard.resourceMetadata()`: a fresh document each call; `ERR_INVALID_CONFIG` without `resource`. */
  resourceMetadata: () => ProtectedResourceMetadata
  authlete: AuthleteClient
  /** The identity of the Authlete service every store key carries (`serviceIdentity`). */
  service: string
  cache: IntrospectionCache | undefined
  replay: ReplayStore | undefined
  maxAgeSeconds: number
  maxFutureSeconds: number
  now: () => number
  onDecision: ((event: CheckEvent) => void) | undefined
}

/** Check `createGuard`'s options; a mistake throws `ERR_INVALID_CONFIG` naming it. */
export function resolveGuardOptions(options: GuardOptions): ResolvedGuardOptions {
  if (!options || typeof options !== 'object') invalid('createGuard needs an options object with at least { authlete }.')
  rejectUnknownKeys(options, GUARD_OPTION_KEYS, 'createGuard')
  const { authlete: authleteOptions, cache: cacheOption, replay: replayOption, dpopIat, now: clock, onDecision, ...rest } = options
  if (onDecision !== undefined && typeof onDecision !== 'function') invalid('onDecision must be a function (event) => void.')
  const common = resolveCommonOptions(rest)
  const { context: resourceContext, resourceMetadataUrl, resourceMetadata } = resolveResource(options, common.dpopAlgs)
  const context: GuardContext = { ...common, ...resourceContext }
  if (dpopIat !== undefined && (dpopIat === null || typeof dpopIat !== 'object')) invalid('dpopIat must be { maxAgeSeconds, maxFutureSeconds }.')
  if (dpopIat) rejectUnknownKeys(dpopIat, ['maxAgeSeconds', 'maxFutureSeconds'], 'dpopIat')
  const maxAgeSeconds = positiveSeconds(dpopIat?.maxAgeSeconds ?? DEFAULT_DPOP_IAT.maxAgeSeconds, 'maxAgeSeconds')
  const maxFutureSeconds = positiveSeconds(dpopIat?.maxFutureSeconds ?? DEFAULT_DPOP_IAT.maxFutureSeconds, 'maxFutureSeconds')
  if (clock !== undefined && typeof clock !== 'function') invalid('now must be a function returning ms since the epoch.')
  const cache = resolveCache(cacheOption)
  const replay = resolveReplay(replayOption)
  const authlete = resolveAuthlete(authleteOptions)
  // Every cache and replay key carries the service's identity: guards of two services sharing a
  // store never serve each other's entries.
  const sharedStores = (typeof cacheOption === 'object' && cacheOption.store !== undefined) || (replayOption !== undefined && replayOption !== false)
  const service = serviceIdentity(authlete, sharedStores)
  return { rest, context, resourceMetadataUrl, resourceMetadata, authlete, service, cache, replay, maxAgeSeconds, maxFutureSeconds, now: clock ?? Date.now, onDecision }
}
