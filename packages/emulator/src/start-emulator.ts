import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import {
  DEFAULT_ACCESS_TOKEN_DURATION,
  DEFAULT_API_SECRET,
  DEFAULT_AUTHORIZATION_CODE_DURATION,
  DEFAULT_CLIENT,
  DEFAULT_DPOP_NONCE_DURATION,
  DEFAULT_REFRESH_TOKEN_DURATION,
  DEFAULT_SERVICE_ACCESS_TOKEN,
  DEFAULT_SERVICE_ID,
} from './defaults'
import { checkServiceUrl, ENDPOINT_SETTINGS } from './endpoints'
import { Faults, type FaultInjector } from './faults'
import { createApiServer } from './server'
import { EmulatorStore, type PushedAuthorizationRequest } from './store'
import { handleTokenCreate, type TokenCreateParams, type TokenCreateResponse } from './token-create'
import type { AuthorizationCodeOptions, EmulatorClient, EmulatorSettings, RecordedRequest } from './types'

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** TCP port; default 0 (a free one). */
  port?: number
  /** Interface to bind; default `127.0.0.1` (never all interfaces unless asked). */
  host?: string
  /** Extra clients; {@link DEFAULT_CLIENT} always exists unless one of these reuses its id. */
  clients?: EmulatorClient[]
  /** Service setting `dpopNonceRequired`; default false. */
  dpopNonceRequired?: boolean
  /** Nonce lifetime, seconds; default {@link DEFAULT_DPOP_NONCE_DURATION}. */
  dpopNonceDuration?: number
  /** Access token lifetime, seconds; default {@link DEFAULT_ACCESS_TOKEN_DURATION}. */
  accessTokenDuration?: number
  /** Refresh token lifetime, seconds; default {@link DEFAULT_REFRESH_TOKEN_DURATION}. */
  refreshTokenDuration?: number
  /**
   * Refuse a DPoP proof whose `jti` was already used for the same `htu` within the `iat` window;
   * default true (RFC 9449 §11.1). No Authlete source says its APIs do this, so turn it off to
   * test a resource server that must do its own replay protection.
   */
  rejectReplayedProofs?: boolean
  /** Clock in ms used for expiry, the `iat` window and nonces; default `Date.now`. */
  now?: () => number
  /** Service id (and v2 API key); default {@link DEFAULT_SERVICE_ID}. */
  serviceId?: string | number
  /** v3 service access token; default {@link DEFAULT_SERVICE_ACCESS_TOKEN}. */
  accessToken?: string
  /** v2 API secret; default {@link DEFAULT_API_SECRET}. */
  apiSecret?: string
  /**
   * Service setting `tokenEndpoint`: `token_endpoint` of `/service/configuration` and the `htu`
   * assumed when a token request carries none; default `{issuer}/token`.
   */
  tokenEndpoint?: string
  /** Service setting `authorizationEndpoint` (`authorization_endpoint`); default `{issuer}/authorize`. */
  authorizationEndpoint?: string
  /** Service setting `userInfoEndpoint` (`userinfo_endpoint`, absent unless set); also the `htu` assumed when a UserInfo request carries none. */
  userInfoEndpoint?: string
  /** Service setting `pushedAuthReqEndpoint` (`pushed_authorization_request_endpoint`, absent unless set); also the `htu` assumed when a PAR request carries none. */
  pushedAuthReqEndpoint?: string
  /** Service setting `introspectionEndpoint` (`introspection_endpoint`, absent unless set). */
  introspectionEndpoint?: string
  /** Service setting `revocationEndpoint` (`revocation_endpoint`, absent unless set). */
  revocationEndpoint?: string
  /** Service setting `issuer`: `issuer` of `/service/configuration`, `iss` of signed responses; default the emulator's URL. */
  issuer?: string
}

/**
 * Service settings changeable at runtime: the DPoP and lifetime settings, and the issuer and
 * endpoint URLs that `/service/configuration` reports (e.g. once the app that serves them listens).
 */
export type RuntimeSettings = Partial<
  Pick<
    EmulatorSettings,
    | 'dpopNonceRequired'
    | 'dpopNonceDuration'
    | 'accessTokenDuration'
    | 'refreshTokenDuration'
    | 'rejectReplayedProofs'
    | 'issuer'
    | (typeof ENDPOINT_SETTINGS)[number]
  >
>

/** The keys of {@link RuntimeSettings}. */
const RUNTIME_SETTINGS = ['dpopNonceRequired', 'dpopNonceDuration', 'accessTokenDuration', 'refreshTokenDuration', 'rejectReplayedProofs', 'issuer', ...ENDPOINT_SETTINGS] as const

/** Throw for an issuer or endpoint URL that is not an absolute http(s) URL. */
function checkUrls(settings: Partial<Record<'issuer' | (typeof ENDPOINT_SETTINGS)[number], unknown>>, where: string): void {
  for (const name of ['issuer', ...ENDPOINT_SETTINGS] as const) {
    if (settings[name] !== undefined) checkServiceUrl(`${where}: ${name}`, settings[name])
  }
}

/** Options of `emu.createToken()`: those of `/auth/token/create`. */
export type CreateTokenOptions = TokenCreateParams

/** A running emulator. */
export interface Emulator {
  /** Base URL (`AUTHLETE_BASE_URL`), e.g. `http://127.0.0.1:41234`; APIs live under `/api`. */
  readonly url: string
  /** Service id: v3 paths are `/api/{serviceId}/...`. */
  readonly serviceId: string
  /** v3 credential: `Authorization: Bearer {accessToken}`. */
  readonly accessToken: string
  /** v2 credential: HTTP Basic `apiKey:apiSecret`; equals `serviceId`, as in Authlete. */
  readonly apiKey: string
  readonly apiSecret: string
  /** Every HTTP request received, oldest first; clear with `emu.requests.length = 0`. */
  readonly requests: RecordedRequest[]
  /** Fault injection. */
  readonly faults: FaultInjector
  /** Current service settings. */
  readonly settings: Readonly<EmulatorSettings>
  /** Change service settings at runtime (an issuer or endpoint URL that is not an absolute http(s) URL throws a `TypeError`). */
  configure(settings: RuntimeSettings): void
  /** Mint a token in-process (same logic as `/auth/token/create`); rejects when Authlete would refuse. */
  createToken(options?: CreateTokenOptions): Promise<TokenCreateResponse>
  /** Make an authorization code for the `authorization_code` grant (emulator-only). */
  createAuthorizationCode(options: AuthorizationCodeOptions): Promise<string>
  /** Register (or replace) a client at runtime. */
  addClient(client: EmulatorClient): void
  /** A request registered at `/pushed_auth_req`, if it exists and has not expired. */
  getPushedAuthorizationRequest(requestUri: string): PushedAuthorizationRequest | undefined
  /** Stop the server, destroying open (also hanging) connections. */
  close(): Promise<void>
}

function claimNames(claims: AuthorizationCodeOptions['claims']): string[] | undefined {
  if (claims === undefined) return undefined
  if (Array.isArray(claims)) return claims
  return Object.keys(claims.userinfo ?? {})
}

/**
 * Start a local Authlete-compatible API on 127.0.0.1.
 *
 * @example
 * ```ts
 * const emu = await startEmulator({ dpopNonceRequired: false, rejectReplayedProofs: true })
 * const key = await createDpopKeyPair('ES256')
 * const { accessToken } = await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })
 * // point the guard at emu.url with emu.serviceId / emu.accessToken (v3) or emu.apiKey / emu.apiSecret (v2)
 * await emu.close()
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  checkUrls(options, 'startEmulator')
  const now = options.now ?? Date.now
  const settings: EmulatorSettings = {
    dpopNonceRequired: options.dpopNonceRequired ?? false,
    dpopNonceDuration: options.dpopNonceDuration ?? DEFAULT_DPOP_NONCE_DURATION,
    accessTokenDuration: options.accessTokenDuration ?? DEFAULT_ACCESS_TOKEN_DURATION,
    refreshTokenDuration: options.refreshTokenDuration ?? DEFAULT_REFRESH_TOKEN_DURATION,
    rejectReplayedProofs: options.rejectReplayedProofs ?? true,
    ...Object.fromEntries(ENDPOINT_SETTINGS.map((name) => [name, options[name]])),
    issuer: options.issuer ?? '',
  }
  const store = new EmulatorStore(settings, now, options.clients)
  const faults = new Faults()
  const requests: RecordedRequest[] = []
  const serviceId = String(options.serviceId ?? DEFAULT_SERVICE_ID)
  if (!/^\d+$/.test(serviceId)) throw new TypeError('startEmulator: serviceId must be numeric, as in Authlete')
  const credentials = {
    serviceId,
    accessToken: options.accessToken ?? DEFAULT_SERVICE_ACCESS_TOKEN,
    apiSecret: options.apiSecret ?? DEFAULT_API_SECRET,
  }
  const api = createApiServer({ store, faults, requests, credentials })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    api.server.once('error', reject)
    api.server.listen(options.port ?? 0, host, () => {
      api.server.off('error', reject)
      resolve()
    })
  })
  const { port } = api.server.address() as AddressInfo
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  if (!settings.issuer) settings.issuer = url

  return {
    url,
    serviceId,
    accessToken: credentials.accessToken,
    apiKey: serviceId,
    apiSecret: credentials.apiSecret,
    requests,
    faults,
    settings,
    configure(changes) {
      checkUrls(changes, 'configure')
      for (const key of RUNTIME_SETTINGS) {
        const value = changes[key]
        if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value
      }
    },
    async createToken(tokenOptions = {}) {
      const response = handleTokenCreate(store, { ...tokenOptions })
      if (response.action !== 'OK') throw new Error(`createToken: ${String(response.resultMessage)}`)
      return response as unknown as TokenCreateResponse
    },
    async createAuthorizationCode(codeOptions) {
      const found = store.findClient(codeOptions.clientId ?? DEFAULT_CLIENT.clientId)
      if (!found) throw new Error(`createAuthorizationCode: unknown client ${String(codeOptions.clientId)}`)
      const code = codeOptions.code ?? randomBytes(32).toString('base64url')
      if (store.codes.has(code)) throw new Error('createAuthorizationCode: code already exists')
      store.codes.set(code, {
        code,
        clientId: found.client.clientId,
        subject: codeOptions.subject,
        scopes: codeOptions.scopes ?? [],
        redirectUri: codeOptions.redirectUri,
        claims: claimNames(codeOptions.claims),
        nonce: codeOptions.nonce,
        codeChallenge: codeOptions.codeChallenge,
        codeChallengeMethod: codeOptions.codeChallengeMethod ?? (codeOptions.codeChallenge ? 'S256' : undefined),
        dpopJkt: codeOptions.dpopJkt,
        acr: codeOptions.acr,
        authTime: codeOptions.authTime ?? Math.floor(now() / 1000),
        resources: codeOptions.resources,
        properties: codeOptions.properties,
        expiresAt: now() + (codeOptions.duration ?? DEFAULT_AUTHORIZATION_CODE_DURATION) * 1000,
        used: false,
        issued: [],
      })
      return code
    },
    addClient: (client) => store.addClient(client),
    getPushedAuthorizationRequest(requestUri) {
      const request = store.pushedRequests.get(requestUri)
      return request && request.expiresAt > now() ? request : undefined
    },
    close: () => api.close(),
  }
}
