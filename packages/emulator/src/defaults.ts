/**
 * Default values of the emulator. The README quotes these names; change them here only.
 */

/** Service id of the emulated service (also the v2 API key, as in Authlete). */
export const DEFAULT_SERVICE_ID = '5550001001'

/** v2 API secret of the emulated service (HTTP Basic `serviceId:apiSecret`). */
export const DEFAULT_API_SECRET = 'emulator-api-secret'

/** v3 service access token (`Authorization: Bearer ...`). */
export const DEFAULT_SERVICE_ACCESS_TOKEN = 'emulator-service-access-token'

/** Access token lifetime in seconds (service setting `accessTokenDuration`). */
export const DEFAULT_ACCESS_TOKEN_DURATION = 3600

/** Refresh token lifetime in seconds. */
export const DEFAULT_REFRESH_TOKEN_DURATION = 86_400

/** Lifetime of a server-issued DPoP nonce in seconds (service setting `dpopNonceDuration`). */
export const DEFAULT_DPOP_NONCE_DURATION = 300

/** Lifetime of an authorization code in seconds (RFC 6749 recommends at most 10 minutes). */
export const DEFAULT_AUTHORIZATION_CODE_DURATION = 600

/** Lifetime of a pushed authorization request (`request_uri`) in seconds. */
export const DEFAULT_PUSHED_AUTH_REQ_DURATION = 600

/** How far in the past a DPoP proof's `iat` may be, in seconds (assumption: Authlete does not publish it). */
export const DPOP_IAT_MAX_AGE_SECONDS = 300

/** How far in the future a DPoP proof's `iat` may be, in seconds (assumption). */
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
