import { authleteOptionsFromEnv, createGuard } from '@authlete-guard/next'

/** @type {import('@authlete-guard/next').Guard | undefined} */
let guard

/**
 * The app's one guard, configured from AUTHLETE_BASE_URL, AUTHLETE_SERVICE_APIKEY (the service
 * id) and AUTHLETE_SERVICE_ACCESSTOKEN. Created on the first request: `next build` evaluates the
 * route modules and must not need those variables.
 */
export function getGuard() {
  guard ??= createGuard({
    authlete: authleteOptionsFromEnv(),
    publicUrl: process.env.PUBLIC_URL || undefined,
  })
  return guard
}
