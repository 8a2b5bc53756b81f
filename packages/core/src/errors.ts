/**
 * Codes of the errors the SDK throws (misconfiguration) or reports through `onError`
 * (infrastructure faults that became a 500 denial). Denials of bad requests are never errors.
 */
export type AuthleteGuardErrorCode =
  /** An option passed to `createGuard` / `createAuthorizationServer` is missing or invalid. */
  | 'ERR_INVALID_CONFIG'
  /** `authleteOptionsFromEnv` did not find the variables it needs. */
  | 'ERR_MISSING_ENV'
  /** `authleteOptionsFromEnv` found a variable with a value it cannot use (`AUTHLETE_API_VERSION=V4`). */
  | 'ERR_INVALID_ENV'
  /** Authlete could not be reached (connection refused, reset, DNS). */
  | 'ERR_AUTHLETE_UNREACHABLE'
  /** Authlete did not answer within `timeoutMs`. */
  | 'ERR_AUTHLETE_TIMEOUT'
  /** Every connection to Authlete was busy and `maxQueued` calls were already waiting (Node pool). */
  | 'ERR_AUTHLETE_OVERLOADED'
  /** Authlete answered with a non-2xx HTTP status (bad service credentials, Authlete fault). */
  | 'ERR_AUTHLETE_HTTP_STATUS'
  /** Authlete's reply was not the JSON object expected. */
  | 'ERR_AUTHLETE_INVALID_RESPONSE'
  /** Authlete answered with its `INTERNAL_SERVER_ERROR` action (a fault on its side or the service's). */
  | 'ERR_AUTHLETE_REPORTED_ERROR'
  /** Authlete answered with an `action` this SDK does not know. */
  | 'ERR_AUTHLETE_UNKNOWN_ACTION'
  /** A callback of the application (e.g. `getClaims`) threw. */
  | 'ERR_CALLBACK_FAILED'
  /** The DPoP replay store failed, timed out or is full: the request was denied (fail closed). */
  | 'ERR_STORE_UNAVAILABLE'
  /** A fault inside the SDK itself (a bug), not in Authlete's reply: please report it. */
  | 'ERR_INTERNAL'

/**
 * The one error class of the SDK. Branch on `code`, not on `instanceof`: ESM and CJS copies of
 * the package can both be loaded. Messages never contain access tokens or Authlete credentials.
 *
 * @example
 * try { createGuard({ authlete: { baseUrl: 'nope' } }) }
 * catch (e) { if (isAuthleteGuardError(e) && e.code === 'ERR_INVALID_CONFIG') console.error(e.message) }
 */
export class AuthleteGuardError extends Error {
  override readonly name = 'AuthleteGuardError'
  readonly code: AuthleteGuardErrorCode
  /** HTTP status Authlete answered with, for `ERR_AUTHLETE_HTTP_STATUS`. */
  readonly status: number | undefined
  /** Authlete's `resultCode`, when its reply carried one. */
  readonly resultCode: string | undefined

  constructor(
    code: AuthleteGuardErrorCode,
    message: string,
    options: { cause?: unknown; status?: number | undefined; resultCode?: string | undefined } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options.status
    this.resultCode = options.resultCode
  }
}

/**
 * True for any `AuthleteGuardError`, from whichever copy of the package it came.
 *
 * @example
 * if (isAuthleteGuardError(err)) log.warn({ code: err.code }, err.message)
 */
export function isAuthleteGuardError(value: unknown): value is AuthleteGuardError {
  return (
    value instanceof Error &&
    (value as { name?: unknown }).name === 'AuthleteGuardError' &&
    typeof (value as { code?: unknown }).code === 'string'
  )
}
