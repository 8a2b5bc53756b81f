import { formatResultMessage, RESULTS, type ResultEntry } from './result-codes'
import type { EmulatorStore } from './store'
import type { ApiResponse, GrantType, TokenProperty, TokenRecord } from './types'
import { DEFAULT_CLIENT } from './defaults'

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
 * `/auth/token/create`: mint an access token directly (no authorization flow). Also the logic
 * behind `emu.createToken()`.
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
  const optionalString = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)
  for (const name of ['accessToken', 'refreshToken', 'dpopKeyThumbprint'] as const) {
    if (body[name] !== undefined && body[name] !== null && typeof body[name] !== 'string') return failure(RESULTS.tokenCreateBadRequest)
  }
  const accessToken = optionalString(body.accessToken)
  const refreshToken = optionalString(body.refreshToken)
  if ((accessToken && store.byAccessToken.has(accessToken)) || (refreshToken && store.byRefreshToken.has(refreshToken))) {
    return failure(RESULTS.tokenCreateTokenInUse)
  }
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
    jkt: optionalString(body.dpopKeyThumbprint),
    resources: stringArray(body.resources),
    properties,
    claims: stringArray(body.claims),
    acr: optionalString(body.acr),
    authTime: positive(body.authTime),
    accessToken,
    refreshToken,
  })
  return { ...tokenCreateResponse(record, store.now()) }
}
