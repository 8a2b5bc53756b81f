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

/**
 * `error` as the SDK's error: an `AuthleteGuardError` as it is (Authlete's and the stores' faults
 * arrive coded), anything else as `ERR_INTERNAL` ("The `what` failed unexpectedly inside
 * authlete-guard."): a bug here, never a reason to allow.
 */
export function asGuardError(error: unknown, what: string): AuthleteGuardError {
  return isAuthleteGuardError(error) ? error : new AuthleteGuardError('ERR_INTERNAL', `The ${what} failed unexpectedly inside authlete-guard.`, { cause: error })
}

/** Throw the one misconfiguration error (`ERR_INVALID_CONFIG`). */
export function invalid(message: string): never {
  throw new AuthleteGuardError('ERR_INVALID_CONFIG', message)
}

/** Levenshtein distance, bounded: option names are short, so this is cheap. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

/**
 * Refuse keys an options object does not know, naming the near miss: a typo such as
 * `{ scope: ['admin'] }` for `scopes` would otherwise drop the check it meant, silently.
 */
export function rejectUnknownKeys(value: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue
    const near = known
      .map((name) => ({ name, d: distance(key, name) }))
      .filter(({ name, d }) => d <= Math.max(2, Math.floor(name.length / 3)))
      .sort((x, y) => x.d - y.d)[0]
    const hint = near ? ` Did you mean ${near.name}?` : ` Known options: ${known.join(', ')}.`
    invalid(`Unknown ${what} option ${JSON.stringify(key)}.${hint}`)
  }
}
