/**
 * Injection token of the `Guard` given to `AuthleteGuardModule`, for code that needs the guard
 * itself (e.g. `await guard.ready()` at start-up).
 *
 * @example
 * constructor(@Inject(AUTHLETE_GUARD) private readonly guard: Guard) {}
 */
export const AUTHLETE_GUARD = Symbol.for('@authlete-guard/nestjs:guard')
