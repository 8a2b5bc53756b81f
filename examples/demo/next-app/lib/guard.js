import { authleteOptionsFromEnv, createGuard } from '@authlete-guard/next'
import { principal } from '../../apps/routes.mjs'

/** @type {import('@authlete-guard/next').Guard | undefined} */
let guard

/**
 * The app's one guard, from the AUTHLETE_* variables. `withAuth` takes this function and calls
 * it on the first request, so `next build` does not need the variables.
 */
export function getGuard() {
  guard ??= createGuard({ authlete: authleteOptionsFromEnv() })
  return guard
}

/** The demo routes' handler: what the route read from the introspection. */
export const handler = async (_request, { auth }) => Response.json(principal(auth))
