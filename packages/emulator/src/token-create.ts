import { formatResultMessage, RESULTS, type ResultEntry } from './result-codes'
import type { EmulatorStore, IssueParams } from './store'
import type { ApiResponse, GrantType, TokenProperty, TokenRecord } from './types'
import { DEFAULT_CLIENT } from './defaults'
import { isResourceIndicator } from './resources'

const GRANT_TYPES: readonly GrantType[] = [
  'AUTHORIZATION_CODE',
  'CLIENT_CREDENTIALS',
  'REFRESH_TOKEN',
  'PASSWORD',
  'IMPLICIT',
  'TOKEN_EXCHANGE',
  'JWT_BEARER',
  'DEVICE_CODE',
  'CIBA',
]

/** Parameters of `/auth/token/create` and `emu.createToken()`. */
export interface TokenCreateParams {
  /** Authlete grant type name (`AUTHORIZATION_CODE`, `CLIENT_CREDENTIALS`, ...; OAuth spellings like `client_credentials` are accepted). Default: `CLIENT_CREDENTIALS` without a subject, else `AUTHORIZATION_CODE`. */
  grantType?: string
  /** Client id or alias; default {@link DEFAULT_CLIENT}. */
  clientId?: number | string
  subject?: string
  scopes?: string[]
  /** Access token lifetime in seconds; default the service's `accessTokenDuration`. */
  accessTokenDuration?: number
  refreshTokenDuration?: number
  /** RFC 7638 thumbprint of the DPoP key to bind the token to (an input only: no response echoes it). */
  dpopKeyThumbprint?: string
  /**
   * RFC 8705 `x5t#S256` (base64url SHA-256 of the DER, 43 characters) of the client certificate to
   * bind the token to: introspection then wants that certificate in `clientCertificate` and reports
   * the value as `certificateThumbprint`. Another shape is `BAD_REQUEST` (A109305). The token's
   * type stays `Bearer` (RFC 8705 §3).
   */
  certificateThumbprint?: string
  /**
   * RFC 8707 resources of the token (its audience: introspection's `resources` and
   * `accessTokenResources`). Each must be an absolute URI without a fragment, else `BAD_REQUEST`
   * (A109305). Not checked against the client's `requestableResources`: this API mints directly.
   */
  resources?: string[]
  properties?: TokenProperty[]
  /** Use this exact access token value (as Authlete's `accessToken` request parameter allows). */
  accessToken?: string
  refreshToken?: string
  /** Claim names the token's client requested, reported by `/auth/userinfo` (emulator extension). */
  claims?: string[]
  acr?: string
  /** Authentication time, seconds. */
  authTime?: number
}

/**
 * The `/auth/token/create` response (also what `emu.createToken()` resolves to): the members
 * Authlete's reply declares.
 */
export interface TokenCreateResponse {
  /** @deprecated Never set: Authlete's reply declares no `type` member. */
  type?: 'tokenCreateResponse'
  resultCode: string
  resultMessage: string
  action: 'OK' | 'BAD_REQUEST' | 'FORBIDDEN' | 'INTERNAL_SERVER_ERROR'
  accessToken: string
  refreshToken?: string
  clientId: number
  subject?: string
  scopes: string[]
  grantType: GrantType
  /** Access token expiry, ms since the epoch. */
  expiresAt: number
  /** Access token lifetime, seconds. */
  expiresIn: number
  /** `DPoP` when the token is bound to a key, else `Bearer`. */
  tokenType: 'DPoP' | 'Bearer'
  properties?: TokenProperty[]
  /** @deprecated Never set: Authlete's `/auth/token/create` reply has no `resources` (introspection reports them). */
  resources?: string[]
}

/** Map `client_credentials` / `CLIENT_CREDENTIALS` to the Authlete enum name. */
export function toGrantType(value: string): GrantType | undefined {
  const upper = value.toUpperCase().replace(/^URN:IETF:PARAMS:OAUTH:GRANT-TYPE:/, '').replace(/-/g, '_')
  return GRANT_TYPES.find((grantType) => grantType === upper)
}

const stringArray = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined

/** The `resources` of a request: absent or empty -> undefined; `false` when one is not an absolute URI without a fragment. */
function resourcesOf(value: unknown): string[] | undefined | false {
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || !value.every((r) => typeof r === 'string' && isResourceIndicator(r))) return false
  return value.length > 0 ? [...new Set(value as string[])] : undefined
}

/** An RFC 8705 `x5t#S256`: a SHA-256 digest in base64url without padding. */
const X5T_S256 = /^[A-Za-z0-9_-]{43}$/

const optionalString = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)

/**
 * The string members of a request that name a token or its binding: each absent or a string
 * (else A109305), `certificateThumbprint` shaped as an `x5t#S256` (else A109305), and the token
 * values not already in use (else A109304).
 */
function tokenValues(store: EmulatorStore, body: Record<string, unknown>): Pick<IssueParams, 'accessToken' | 'refreshToken' | 'jkt' | 'certificateThumbprint'> | ResultEntry {
  for (const name of ['accessToken', 'refreshToken', 'dpopKeyThumbprint', 'certificateThumbprint'] as const) {
    if (body[name] !== undefined && body[name] !== null && typeof body[name] !== 'string') return RESULTS.tokenCreateBadRequest
  }
  const certificateThumbprint = optionalString(body.certificateThumbprint)
  if (certificateThumbprint !== undefined && !X5T_S256.test(certificateThumbprint)) return RESULTS.tokenCreateBadRequest
  const accessToken = optionalString(body.accessToken)
  const refreshToken = optionalString(body.refreshToken)
  if ((accessToken && store.byAccessToken.has(accessToken)) || (refreshToken && store.byRefreshToken.has(refreshToken))) return RESULTS.tokenCreateTokenInUse
  return { accessToken, refreshToken, jkt: optionalString(body.dpopKeyThumbprint), certificateThumbprint }
}

function failure(result: ResultEntry): ApiResponse {
  return { resultCode: result.code, resultMessage: formatResultMessage(result), action: 'BAD_REQUEST' }
}

/** Describe a stored grant as a token create response. */
export function tokenCreateResponse(record: TokenRecord, now: number): TokenCreateResponse {
  return {
    resultCode: RESULTS.tokenCreateOk.code,
    resultMessage: formatResultMessage(RESULTS.tokenCreateOk),
    action: 'OK',
    accessToken: record.accessToken,
    refreshToken: record.refreshToken,
    clientId: record.clientId,
    subject: record.subject,
    scopes: record.scopes,
    grantType: record.grantType,
    expiresAt: record.expiresAt,
    expiresIn: Math.round((record.expiresAt - now) / 1000),
    tokenType: record.jkt ? 'DPoP' : 'Bearer',
    properties: record.properties,
  }
}

/**
 * `/auth/token/create`: mint an access token directly (no authorization flow), bound to a DPoP key
 * (`dpopKeyThumbprint`) or a client certificate (`certificateThumbprint`) when asked. Also the
 * logic behind `emu.createToken()`.
 */
export function handleTokenCreate(store: EmulatorStore, body: Record<string, unknown>): ApiResponse {
  const subject = typeof body.subject === 'string' && body.subject !== '' ? body.subject : undefined
  let grantType: GrantType | undefined = subject ? 'AUTHORIZATION_CODE' : 'CLIENT_CREDENTIALS'
  if (body.grantType !== undefined && body.grantType !== null) {
    grantType = typeof body.grantType === 'string' ? toGrantType(body.grantType) : undefined
    if (!grantType) return failure(RESULTS.tokenCreateBadGrantType)
  }
  if (!subject && grantType !== 'CLIENT_CREDENTIALS') return failure(RESULTS.tokenCreateMissingSubject)

  const found = store.findClient(body.clientId ?? DEFAULT_CLIENT.clientId)
  if (!found) return failure(RESULTS.tokenCreateUnknownClient)

  const positive = (value: unknown) => (typeof value === 'number' && value > 0 ? value : undefined)
  const values = tokenValues(store, body)
  if ('code' in values) return failure(values)
  const resources = resourcesOf(body.resources)
  if (resources === false) return failure(RESULTS.tokenCreateBadRequest)
  const properties = Array.isArray(body.properties)
    ? body.properties.filter((p): p is TokenProperty => p !== null && typeof p === 'object' && typeof p.key === 'string' && typeof p.value === 'string')
    : undefined

  const record = store.issue({
    client: found.client,
    clientIdAliasUsed: found.aliasUsed,
    grantType,
    subject,
    scopes: stringArray(body.scopes) ?? [],
    accessTokenDuration: positive(body.accessTokenDuration),
    refreshTokenDuration: positive(body.refreshTokenDuration),
    withRefreshToken: grantType !== 'CLIENT_CREDENTIALS' && grantType !== 'IMPLICIT',
    ...values,
    resources,
    properties,
    claims: stringArray(body.claims),
    acr: optionalString(body.acr),
    authTime: positive(body.authTime),
  })
  return { ...tokenCreateResponse(record, store.now()) }
}
