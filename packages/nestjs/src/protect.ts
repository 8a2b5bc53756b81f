import { SetMetadata } from '@nestjs/common'
import { validateRouteOptions } from '@authlete-guard/core'
import type { RouteOptions } from '@authlete-guard/core'

/** Reflect-metadata key under which `@Protect()` records a handler's or controller's route options. */
export const PROTECT_METADATA = 'authlete-guard:protect'

/**
 * What `@Protect()` records. Wrapped in an object so that `@Protect()` without options is told
 * apart from no `@Protect()` at all.
 */
export interface Protection {
  route: RouteOptions | undefined
}

/**
 * Let a route run only with an access token (Bearer or DPoP) that Authlete accepts for `route`.
 * On a handler it protects that handler; on a controller, every handler of it. Where both have
 * one, the handler's options win (they are not merged). The options are checked when the class is
 * defined: a typo throws `ERR_INVALID_CONFIG` at start-up, not on the first request. Needs
 * `AuthleteGuardModule` imported once in the application.
 *
 * @example
 * @Controller('api')
 * @Protect({ scopes: ['read'] })
 * class ApiController {
 *   @Get('me') me(@Auth() auth: AccessTokenInfo) { return { sub: auth.subject } }
 *   @Post('items') @Protect({ scopes: ['write'] }) create(@Auth() auth: AccessTokenInfo) { ... }
 * }
 */
export function Protect(route?: RouteOptions): ClassDecorator & MethodDecorator {
  if (route !== undefined) validateRouteOptions(route)
  const protection: Protection = { route }
  return SetMetadata(PROTECT_METADATA, protection)
}
