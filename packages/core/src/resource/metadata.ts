/**
 * The protected resource's metadata document (RFC 9728 §2): the members an app gives, checked at
 * start-up, and the document built from them. Pure.
 */
import { invalid, rejectUnknownKeys } from '../errors'
import { canonicalResource } from './identity'

/** The bearer methods (RFC 6750 §2) the guard reads a token by: the `Authorization` header only (§2.1). */
const BEARER_METHODS: readonly string[] = ['header']

/**
 * The RFC 9728 members of the guard's protected resource metadata, in their RFC spelling, except
 * `resource` (the guard's `resource` option) and `dpop_signing_alg_values_supported` (the guard
 * fills it from `dpopAlgs`).
 *
 * @example
 * createGuard({ authlete, resource: 'https://api.example.com/mcp', resourceMetadata: { authorization_servers: ['https://as.example.com'], scopes_supported: ['mcp:tools'] } })
 */
export interface ResourceMetadataOptions {
  /** Issuer identifiers of the authorization servers that issue tokens for this resource (required, at least one). */
  authorization_servers: readonly string[]
  /** Scopes a client may ask for to call this resource. */
  scopes_supported?: readonly string[] | undefined
  /**
   * How a client may send the token (RFC 6750 §2). Default `['header']`; only `'header'` is
   * accepted, the only way the guard reads one (`body` and `query` throw `ERR_INVALID_CONFIG`).
   */
  bearer_methods_supported?: ReadonlyArray<'header'> | undefined
  /** A human-readable name of the resource. */
  resource_name?: string | undefined
  /** A page with documentation for developers. */
  resource_documentation?: string | undefined
  /** A page about how clients may use the data. */
  resource_policy_uri?: string | undefined
  /** The resource's terms of service. */
  resource_tos_uri?: string | undefined
  /** The resource's JSON Web Key Set (for signed responses; the guard signs nothing). */
  jwks_uri?: string | undefined
  /** JWS algorithms the resource signs responses with. */
  resource_signing_alg_values_supported?: readonly string[] | undefined
  /** Whether the resource accepts only DPoP-bound tokens (say so only if every route's tokens are). */
  dpop_bound_access_tokens_required?: boolean | undefined
  /** Whether the resource accepts only certificate-bound tokens (RFC 8705). */
  tls_client_certificate_bound_access_tokens?: boolean | undefined
  /** RAR types (RFC 9396) the resource understands. */
  authorization_details_types_supported?: readonly string[] | undefined
  /** A JWT holding these members, signed by a party the client trusts (RFC 9728 §2.2). */
  signed_metadata?: string | undefined
}

/**
 * The protected resource metadata document (RFC 9728 §2) `guard.resourceMetadata()` returns: a
 * fresh plain object each call, to serve as JSON at `guard.resourceMetadataUrl`.
 *
 * @example
 * const document: ProtectedResourceMetadata = guard.resourceMetadata()
 * return Response.json(document, { headers: { 'Cache-Control': 'public, max-age=3600' } })
 */
export interface ProtectedResourceMetadata {
  resource: string
  authorization_servers: string[]
  scopes_supported?: string[]
  bearer_methods_supported: string[]
  resource_name?: string
  resource_documentation?: string
  resource_policy_uri?: string
  resource_tos_uri?: string
  jwks_uri?: string
  resource_signing_alg_values_supported?: string[]
  dpop_bound_access_tokens_required?: boolean
  tls_client_certificate_bound_access_tokens?: boolean
  authorization_details_types_supported?: string[]
  signed_metadata?: string
  /** The guard's `dpopAlgs`: the proof algorithms it accepts. */
  dpop_signing_alg_values_supported: string[]
}

type Kind = 'strings' | 'string' | 'url' | 'boolean'
const MEMBERS: Record<keyof ResourceMetadataOptions, Kind> = {
  authorization_servers: 'strings',
  scopes_supported: 'strings',
  bearer_methods_supported: 'strings',
  resource_name: 'string',
  resource_documentation: 'url',
  resource_policy_uri: 'url',
  resource_tos_uri: 'url',
  jwks_uri: 'url',
  resource_signing_alg_values_supported: 'strings',
  dpop_bound_access_tokens_required: 'boolean',
  tls_client_certificate_bound_access_tokens: 'boolean',
  authorization_details_types_supported: 'strings',
  signed_metadata: 'string',
}

const isUrl = (value: unknown): value is string => typeof value === 'string' && canonicalResource(value) !== undefined

/** One member's type check; `undefined` members are left out of the document. */
function checkMember(name: string, kind: Kind, value: unknown): void {
  const where = `resourceMetadata.${name}`
  if (kind === 'strings' && (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== ''))) invalid(`${where} must be an array of non-empty strings.`)
  if (kind === 'string' && (typeof value !== 'string' || value === '')) invalid(`${where} must be a non-empty string.`)
  if (kind === 'url' && !isUrl(value)) invalid(`${where} must be an absolute http(s) URL.`)
  if (kind === 'boolean' && typeof value !== 'boolean') invalid(`${where} must be a boolean.`)
}

/**
 * Check `resourceMetadata` at start-up and return a copy the guard keeps: a known RFC 9728
 * member of the right type each, `authorization_servers` a non-empty list of absolute URLs, bearer
 * methods the guard reads (`header` only). A mistake throws `ERR_INVALID_CONFIG` naming the member.
 */
export function checkedResourceMetadata(value: unknown): ResourceMetadataOptions {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) invalid('resourceMetadata must be an object of RFC 9728 members: { authorization_servers: [...], ... }.')
  const given = value as Record<string, unknown>
  if ('dpop_signing_alg_values_supported' in given) invalid('resourceMetadata.dpop_signing_alg_values_supported is filled by the guard from dpopAlgs: set dpopAlgs instead.')
  if ('resource' in given) invalid('resourceMetadata.resource is the guard\'s resource option: set resource instead.')
  rejectUnknownKeys(given, Object.keys(MEMBERS), 'resourceMetadata')
  const servers = given.authorization_servers
  if (!Array.isArray(servers) || servers.length === 0) invalid('resourceMetadata.authorization_servers must list at least one authorization server (its issuer URL).')
  const copy: Record<string, unknown> = {}
  for (const [name, member] of Object.entries(given)) {
    if (member === undefined) continue
    checkMember(name, MEMBERS[name as keyof ResourceMetadataOptions], member)
    copy[name] = Array.isArray(member) ? [...(member as string[])] : member
  }
  const notUrl = (servers as string[]).find((server) => !isUrl(server))
  if (notUrl !== undefined) invalid(`resourceMetadata.authorization_servers must hold absolute http(s) URLs; not ${JSON.stringify(notUrl)}.`)
  const unknown = ((given.bearer_methods_supported as string[] | undefined) ?? []).find((method) => !BEARER_METHODS.includes(method))
  if (unknown !== undefined) invalid(`resourceMetadata.bearer_methods_supported may only hold 'header': the guard reads access tokens from the Authorization header only (RFC 6750 §2.1), and refuses them in a form body or the query; not ${JSON.stringify(unknown)}.`)
  return copy as unknown as ResourceMetadataOptions
}

/**
 * The metadata document: `resource`, the app's members (arrays copied), `bearer_methods_supported`
 * (default `['header']`) and `dpop_signing_alg_values_supported` from the guard's `dpopAlgs`.
 *
 * @example
 * metadataDocument('https://api.example.com/mcp', { authorization_servers: ['https://as.example.com'] }, ['ES256'])
 * // { resource: 'https://api.example.com/mcp', authorization_servers: ['https://as.example.com'], bearer_methods_supported: ['header'], dpop_signing_alg_values_supported: ['ES256'] }
 */
export function metadataDocument(resource: string, members: ResourceMetadataOptions, dpopAlgs: readonly string[]): ProtectedResourceMetadata {
  const document: Record<string, unknown> = { resource }
  for (const [name, member] of Object.entries(members)) document[name] = Array.isArray(member) ? [...(member as string[])] : member
  document.bearer_methods_supported = [...(members.bearer_methods_supported ?? ['header'])]
  document.dpop_signing_alg_values_supported = [...dpopAlgs]
  return document as unknown as ProtectedResourceMetadata
}
