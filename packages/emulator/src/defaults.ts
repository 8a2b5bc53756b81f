/**
 * Default values of the emulator. The README quotes these names; change them here only.
 */

/**
 * Service id of the emulated service (also the v2 API key, as in Authlete).
 *
 * @example
 * const emu = await startEmulator() // emu.serviceId === DEFAULT_SERVICE_ID
 */
export const DEFAULT_SERVICE_ID = '5550001001'

/**
 * v2 API secret of the emulated service (HTTP Basic `serviceId:apiSecret`).
 *
 * @example
 * fetch(`${emu.url}/api/auth/introspection`, { headers: { authorization: `Basic ${btoa(`${DEFAULT_SERVICE_ID}:${DEFAULT_API_SECRET}`)}` } })
 */
export const DEFAULT_API_SECRET = 'emulator-api-secret'

/**
 * v3 service access token (`Authorization: Bearer ...`).
 *
 * @example
 * createGuard({ authlete: { baseUrl: emu.url, serviceId: DEFAULT_SERVICE_ID, accessToken: DEFAULT_SERVICE_ACCESS_TOKEN } })
 */
export const DEFAULT_SERVICE_ACCESS_TOKEN = 'emulator-service-access-token'

/**
 * Access token lifetime in seconds (service setting `accessTokenDuration`).
 *
 * @example
 * await startEmulator({ accessTokenDuration: DEFAULT_ACCESS_TOKEN_DURATION / 60 }) // one-minute tokens
 */
export const DEFAULT_ACCESS_TOKEN_DURATION = 3600

/**
 * Refresh token lifetime in seconds.
 *
 * @example
 * await startEmulator({ refreshTokenDuration: DEFAULT_REFRESH_TOKEN_DURATION * 7 })
 */
export const DEFAULT_REFRESH_TOKEN_DURATION = 86_400

/**
 * Lifetime of a server-issued DPoP nonce in seconds (service setting `dpopNonceDuration`).
 *
 * @example
 * await startEmulator({ dpopNonceRequired: true, dpopNonceDuration: DEFAULT_DPOP_NONCE_DURATION })
 */
export const DEFAULT_DPOP_NONCE_DURATION = 300

/**
 * Lifetime of an authorization code in seconds (RFC 6749 recommends at most 10 minutes).
 *
 * @example
 * await emu.createAuthorizationCode({ subject: 'alice', duration: DEFAULT_AUTHORIZATION_CODE_DURATION })
 */
export const DEFAULT_AUTHORIZATION_CODE_DURATION = 600

/**
 * Lifetime of a pushed authorization request (`request_uri`) in seconds.
 *
 * @example
 * // a request_uri from /pushed_auth_req expires DEFAULT_PUSHED_AUTH_REQ_DURATION seconds after it is made
 */
export const DEFAULT_PUSHED_AUTH_REQ_DURATION = 600

/**
 * How far in the past a DPoP proof's `iat` may be, in seconds (assumption: Authlete does not publish it).
 *
 * @example
 * await createDpopProof(key, { htm: 'GET', htu, iat: Math.floor(Date.now() / 1000) - DPOP_IAT_MAX_AGE_SECONDS - 1 }) // refused: stale
 */
export const DPOP_IAT_MAX_AGE_SECONDS = 300

/**
 * How far in the future a DPoP proof's `iat` may be, in seconds (assumption).
 *
 * @example
 * await createDpopProof(key, { htm: 'GET', htu, iat: Math.floor(Date.now() / 1000) + DPOP_IAT_MAX_FUTURE_SECONDS + 1 }) // refused: from the future
 */
export const DPOP_IAT_MAX_FUTURE_SECONDS = 60

/** Largest accepted API request body in bytes; larger bodies get HTTP 413. */
export const MAX_REQUEST_BODY_BYTES = 1_048_576

/** Largest accepted PAR `parameters` string in bytes; larger ones get action `PAYLOAD_TOO_LARGE`. */
export const MAX_PAR_PARAMETERS_BYTES = 65_536

/**
 * The client that always exists (unless `clients` redefines the same `clientId`).
 * A confidential client that may use every supported grant.
 *
 * @example
 * ```ts
 * import { DEFAULT_CLIENT } from '@authlete-guard/emulator'
 * const body = `grant_type=client_credentials&client_id=${DEFAULT_CLIENT.clientId}&client_secret=${DEFAULT_CLIENT.clientSecret}`
 * ```
 */
export const DEFAULT_CLIENT = Object.freeze({
  clientId: 5550002002,
  clientSecret: 'emulator-client-secret',
  clientIdAlias: 'emulator-client',
  dpopRequired: false,
} as const)
