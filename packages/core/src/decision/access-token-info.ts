import type { AccessTokenInfo, IntrospectionResponse } from '../types'

/**
 * A record for token properties: no prototype, so a key such as `__proto__` or `constructor` is an
 * own property like any other and nothing is inherited; and a non-enumerable `Symbol.toPrimitive`,
 * so `String(record)` and template literals still give `[object Object]` (a key named `toString`
 * cannot break them). `Object.keys`, `JSON.stringify` and spread see the keys only.
 */
function propertyRecord(): Record<string, string> {
  const record = Object.create(null) as Record<string, string>
  Object.defineProperty(record, Symbol.toPrimitive, { value: () => '[object Object]' })
  return record
}

/** The token's properties, split by Authlete's `hidden` flag. */
function propertiesRecords(properties: IntrospectionResponse['properties']): { visible: Record<string, string>; hidden: Record<string, string> } {
  const visible = propertyRecord()
  const hidden = propertyRecord()
  if (Array.isArray(properties)) {
    for (const p of properties) if (p && typeof p.key === 'string') (p.hidden === true ? hidden : visible)[p.key] = String(p.value ?? '')
  }
  return { visible, hidden }
}

const orUndefined = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value)
/** The strings of an array from Authlete's reply; `undefined` when it is not an array. */
export const stringArray = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined

/**
 * The token's own audience (RFC 8707): Authlete's `accessTokenResources` (possibly narrowed at the
 * token endpoint), else `resources` (what the authorization request asked for); `[]` for none.
 */
export const tokenAudience = (response: IntrospectionResponse): string[] =>
  stringArray(response.accessTokenResources) ?? stringArray(response.resources) ?? []

/** Map an OK introspection response to the principal the route sees. */
export function toAccessTokenInfo(response: IntrospectionResponse, tokenType: 'DPoP' | 'Bearer', source: AccessTokenInfo['source'] = 'authlete'): AccessTokenInfo {
  const properties = propertiesRecords(response.properties)
  return {
    subject: orUndefined(response.subject) || undefined,
    clientId: response.clientId as number,
    clientIdAlias: orUndefined(response.clientIdAlias),
    clientIdAliasUsed: response.clientIdAliasUsed === true,
    clientEntityId: orUndefined(response.clientEntityId),
    scopes: stringArray(response.scopes) ?? [],
    expiresAt: response.expiresAt as number,
    tokenType,
    resources: tokenAudience(response),
    requestedResources: stringArray(response.resources) ?? [],
    authorizationDetails: orUndefined(response.authorizationDetails),
    properties: properties.visible,
    hiddenProperties: properties.hidden,
    certificateThumbprint: orUndefined(response.certificateThumbprint),
    acr: orUndefined(response.acr),
    authTime: typeof response.authTime === 'number' && response.authTime > 0 ? response.authTime : undefined,
    grantType: orUndefined(response.grantType),
    raw: response,
    source,
  }
}
