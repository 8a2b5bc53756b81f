import { applyDecorators, Inject, Injectable, Optional, SetMetadata, UseFilters, UseGuards, type CanActivate } from '@nestjs/common'
import { AuthleteGuardError, validateRouteOptions } from '@authlete-guard/core'
import type { Guard, RouteOptions } from '@authlete-guard/core'
import { DenialSentFilter } from './denial'
import { AUTHLETE_GUARD } from './tokens'

/** Reflect-metadata key under which `@Protect()` records a handler's or controller's route options. */
export const PROTECT_METADATA = 'authlete-guard:protect'

/**
 * What `@Protect()` records. Wrapped in an object so that `@Protect()` without options is told
 * apart from no `@Protect()` at all.
 */
export interface Protection {
  route: RouteOptions | undefined
}

/** The start-up error of an application that uses `@Protect()` without `AuthleteGuardModule`. */
export function moduleNotImported(): AuthleteGuardError {
  return new AuthleteGuardError(
    'ERR_INVALID_CONFIG',
    '@authlete-guard/nestjs: @Protect() is used but AuthleteGuardModule is not imported, so nothing would check the access tokens: ' +
      'add AuthleteGuardModule.forRoot({ guard }) (or AuthleteGuardModule.forRootAsync({ useFactory })) to the imports of the root module',
  )
}

/**
 * Put on every `@Protect()` target so that an application that forgot to import
 * `AuthleteGuardModule` fails at start-up (`ERR_INVALID_CONFIG` naming
 * `AuthleteGuardModule.forRoot`) instead of running protected handlers unchecked. The check itself
 * is the module's global guard; this one always lets the request on.
 */
@Injectable()
export class RequiresAuthleteGuardModule implements CanActivate {
  // Optional, so that Nest hands over `undefined` (and this names the fix) instead of failing
  // with its generic "can't resolve dependencies" error.
  constructor(@Optional() @Inject(AUTHLETE_GUARD) readonly guard: Guard) {
    if (!guard) throw moduleNotImported()
  }

  canActivate(): boolean {
    return true
  }
}

/**
 * Let a route run only with an access token (Bearer or DPoP) that Authlete accepts for `route`.
 * On a handler it protects that handler; on a controller, every handler of it. Where both have
 * one, the handler's options win (they are not merged). The options are checked when the class is
 * defined: a typo throws `ERR_INVALID_CONFIG` at start-up, not on the first request. Needs
 * `AuthleteGuardModule` imported (once) in the application, or the application does not start.
 *
 * @example
 * @Controller('api')
 * @Protect({ scopes: ['read'] })
 * class ApiController {
 *   @Get('me') me(@Auth() auth: AccessTokenInfo) { return { sub: auth.subject } }
 *   @Post('items') @Protect({ scopes: ['write'] }) add(@Auth() auth: AccessTokenInfo) { return { by: auth.subject } }
 * }
 */
export function Protect(route?: RouteOptions): ClassDecorator & MethodDecorator {
  if (route !== undefined) validateRouteOptions(route)
  const protection: Protection = { route }
  // The filter at the handler's (or controller's) own scope, so it is picked before the
  // application's global catch-all filters, which would try to write a second response.
  return applyDecorators(SetMetadata(PROTECT_METADATA, protection), UseGuards(RequiresAuthleteGuardModule), UseFilters(DenialSentFilter))
}
