import { createParamDecorator, type ExecutionContext } from '@nestjs/common'
import { AuthleteGuardError } from '@authlete-guard/core'
import type { AccessTokenInfo } from '@authlete-guard/core'

/** Reflect-metadata key marking a handler (on its prototype method) that takes an `@Auth()` parameter. */
export const AUTH_PARAM_METADATA = 'authlete-guard:auth-param'

/** The request property the guard sets on an allowed request, as the Express and Fastify adapters do. */
export interface RequestWithAuth {
  auth?: AccessTokenInfo | null | undefined
}

/** The error of an `@Auth()` without `@Protect()`, at start-up or (where start-up could not see it) per request. */
export function authWithoutProtect(controller: string, handler: string): AuthleteGuardError {
  return new AuthleteGuardError(
    'ERR_INVALID_CONFIG',
    `@authlete-guard/nestjs: @Auth() on ${controller}.${handler}, which has no @Protect() (on the handler or its controller): add one`,
  )
}

function authOf(_data: unknown, context: ExecutionContext): AccessTokenInfo {
  const auth = context.switchToHttp().getRequest<RequestWithAuth>().auth
  if (auth) return auth
  throw authWithoutProtect(context.getClass().name, context.getHandler().name)
}

const markAuthParam: ParameterDecorator = (target, key) => {
  if (key !== undefined) Reflect.defineMetadata(AUTH_PARAM_METADATA, true, target, key)
}

const authParam = createParamDecorator(authOf, [markAuthParam])

/**
 * The introspected access token (`AccessTokenInfo`) of a request that `@Protect()` let through.
 * Never `undefined`: on a handler without `@Protect()` (on it or on its controller) the
 * application refuses to start with `ERR_INVALID_CONFIG`.
 *
 * @example
 * @Get('me') @Protect({ scopes: ['read'] })
 * me(@Auth() auth: AccessTokenInfo) { return { sub: auth.subject, scopes: auth.scopes } }
 */
export function Auth(): ParameterDecorator {
  return authParam()
}
