import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { DEFAULT_CLIENT, DPOP_IAT_MAX_AGE_SECONDS, DPOP_IAT_MAX_FUTURE_SECONDS } from './defaults'
import { DpopNonces } from './dpop-nonces'
import type { DpopVerifyInput } from './dpop-verify'
import { JtiCache } from './jti-cache'
import type { ApiVersion, AuthorizationCodeOptions, EmulatorClient, EmulatorSettings, GrantType, TokenProperty, TokenRecord } from './types'

/** An authorization code made by `emu.createAuthorizationCode()`: its options, resolved. */
export interface AuthorizationCodeRecord extends Omit<AuthorizationCodeOptions, 'clientId' | 'scopes' | 'claims' | 'code' | 'duration'> {
  code: string
  clientId: number
  scopes: string[]
  /** Claim names for UserInfo. */
  claims?: string[]
  expiresAt: number
  used: boolean
  /** Access tokens issued with this code (revoked if the code is replayed, RFC 6749 §4.1.2). */
  issued: string[]
}

/** A request registered at `/pushed_auth_req`. */
export interface PushedAuthorizationRequest {
  requestUri: string
  clientId: number
  /** The authorization request parameters as pushed. */
  parameters: Record<string, string>
  dpopJkt?: string
  expiresAt: number
}

/** What {@link EmulatorStore.issue} needs to mint a grant. */
export interface IssueParams {
  client: EmulatorClient
  clientIdAliasUsed?: boolean
  grantType: GrantType
  subject?: string
  scopes?: string[]
  accessTokenDuration?: number
  refreshTokenDuration?: number
  withRefreshToken: boolean
  jkt?: string
  certificateThumbprint?: string
  resources?: string[]
  properties?: TokenProperty[]
  claims?: string[]
  acr?: string
  authTime?: number
  accessToken?: string
  refreshToken?: string
}

/** How long a seen `jti` is remembered: as long as its proof could pass the `iat` window. */
export const JTI_TTL_MS = (DPOP_IAT_MAX_AGE_SECONDS + DPOP_IAT_MAX_FUTURE_SECONDS) * 1000

/** Random opaque token value (32 bytes, base64url), like Authlete's. */
export const randomToken = (): string => randomBytes(32).toString('base64url')

/**
 * In-memory state of one emulator: clients, grants (access + refresh tokens), authorization codes,
 * pushed requests, DPoP nonces and seen `jti` values.
 */
export class EmulatorStore {
  readonly clients = new Map<number, EmulatorClient>()
  readonly byAccessToken = new Map<string, TokenRecord>()
  readonly byRefreshToken = new Map<string, TokenRecord>()
  readonly codes = new Map<string, AuthorizationCodeRecord>()
  readonly pushedRequests = new Map<string, PushedAuthorizationRequest>()
  readonly nonces = new DpopNonces()
  readonly jtis = new JtiCache()
  #signingKey: { privateKey: KeyObject; kid: string } | undefined

  constructor(
    readonly settings: EmulatorSettings,
    readonly now: () => number,
    clients: readonly EmulatorClient[] = [],
  ) {
    this.addClient({ ...DEFAULT_CLIENT })
    for (const client of clients) this.addClient(client)
  }

  addClient(client: EmulatorClient): void {
    this.clients.set(client.clientId, { ...client })
  }

  /** Look a client up by numeric id (number or digit string) or by alias. */
  findClient(id: unknown): { client: EmulatorClient; aliasUsed: boolean } | undefined {
    if (typeof id === 'number' || (typeof id === 'string' && /^\d+$/.test(id))) {
      const client = this.clients.get(Number(id))
      if (client) return { client, aliasUsed: false }
    }
    if (typeof id === 'string' && id !== '') {
      for (const client of this.clients.values()) if (client.clientIdAlias === id) return { client, aliasUsed: true }
    }
    return undefined
  }

  /**
   * Whether a call must carry a server-issued DPoP nonce: on API V3, when the service setting or the
   * request's `dpopNonceRequired` asks for it. API V2 (Authlete 2.x) has no nonces: never there,
   * whatever the setting or the request says.
   */
  nonceRequired(requested: unknown, version: ApiVersion): boolean {
    return version === 'V3' && (this.settings.dpopNonceRequired || requested === true)
  }

  /** The current DPoP nonce (minted on demand). */
  currentNonce(): string {
    return this.nonces.current(this.now(), this.settings.dpopNonceDuration)
  }

  isNonceValid(nonce: unknown): boolean {
    return this.nonces.isValid(nonce, this.now(), this.settings.dpopNonceDuration)
  }

  /**
   * The store's part of a proof check: clock, nonce validity and the `jti` record. With
   * `rejectReplayedProofs` off, a `jti` is neither recorded nor refused.
   */
  proofContext(): Pick<DpopVerifyInput, 'now' | 'isNonceValid' | 'rememberJti'> {
    const now = this.now()
    return {
      now,
      isNonceValid: (nonce) => this.isNonceValid(nonce),
      rememberJti: (htu, jti) => !this.settings.rejectReplayedProofs || this.jtis.remember(htu, jti, now, JTI_TTL_MS),
    }
  }

  /** True while the grant's refresh token can still be used. */
  isRefreshable(record: TokenRecord): boolean {
    return record.refreshToken !== undefined && (record.refreshTokenExpiresAt ?? 0) > this.now()
  }

  /**
   * Forget an expired access token once it has been reported, as Authlete's introspection does
   * (later calls find no such token). A refresh token that is still valid keeps working.
   */
  forgetExpiredAccessToken(record: TokenRecord): void {
    if (this.isRefreshable(record)) this.byAccessToken.delete(record.accessToken)
    else this.remove(record)
  }

  /** The service's ES256 key for signed responses (made on first use). */
  signingKey(): { privateKey: KeyObject; kid: string } {
    if (!this.#signingKey) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      this.#signingKey = { privateKey, kid: randomBytes(8).toString('base64url') }
    }
    return this.#signingKey
  }

  /** Mint and store a grant. */
  issue(params: IssueParams): TokenRecord {
    const now = this.now()
    const accessTokenDuration = params.accessTokenDuration ?? this.settings.accessTokenDuration
    const record: TokenRecord = {
      accessToken: params.accessToken ?? randomToken(),
      clientId: params.client.clientId,
      clientIdAlias: params.client.clientIdAlias,
      clientIdAliasUsed: params.clientIdAliasUsed ?? false,
      subject: params.subject,
      scopes: params.scopes ?? [],
      createdAt: now,
      expiresAt: now + accessTokenDuration * 1000,
      jkt: params.jkt,
      certificateThumbprint: params.certificateThumbprint,
      resources: params.resources,
      properties: params.properties,
      grantType: params.grantType,
      claims: params.claims,
      acr: params.acr,
      authTime: params.authTime,
    }
    if (params.withRefreshToken) {
      record.refreshToken = params.refreshToken ?? randomToken()
      record.refreshTokenExpiresAt = now + (params.refreshTokenDuration ?? this.settings.refreshTokenDuration) * 1000
      this.byRefreshToken.set(record.refreshToken, record)
    }
    this.byAccessToken.set(record.accessToken, record)
    return record
  }

  /** Delete a grant: its access token and refresh token stop working (Authlete deletes revoked tokens). */
  remove(record: TokenRecord): void {
    this.byAccessToken.delete(record.accessToken)
    if (record.refreshToken) this.byRefreshToken.delete(record.refreshToken)
  }
}
