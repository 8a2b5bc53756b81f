import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common'
import { HttpAdapterHost, Reflector } from '@nestjs/core'
import { AuthleteGuardError } from '@authlete-guard/core'
import type { Guard } from '@authlete-guard/core'
import { DenialSent } from './denial'
import { exchangeFor } from './platform'
import { PROTECT_METADATA, type Protection } from './protect'
import { AUTHLETE_GUARD } from './tokens'

/**
 * The Nest guard `AuthleteGuardModule` registers globally (`APP_GUARD`). It acts only on handlers
 * with `@Protect()` metadata (the handler's own, else its controller's) and does what every
 * adapter does: map the request, `guard.check()`, on allow attach the principal and copy the
 * headers, on deny write status, headers and body and stop.
 */
@Injectable()
export class ProtectGuard implements CanActivate {
  constructor(
    @Inject(AUTHLETE_GUARD) private readonly guard: Guard,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const protection = this.reflector.getAllAndOverride<Protection | undefined>(PROTECT_METADATA, [context.getHandler(), context.getClass()])
    if (!protection) return true
    if (context.getType() !== 'http') {
      // Fail closed: a protected handler must not run unchecked in a context the guard cannot read.
      throw new AuthleteGuardError(
        'ERR_INVALID_CONFIG',
        `@authlete-guard/nestjs: @Protect() on ${context.getClass().name}.${context.getHandler().name} protects HTTP routes only, not "${context.getType()}" handlers`,
      )
    }
    const http = context.switchToHttp()
    const exchange = exchangeFor(this.adapterHost.httpAdapter.getType(), http.getRequest(), http.getResponse())
    const decision = await this.guard.check(exchange.requestLike, protection.route)
    if (decision.allowed) {
      exchange.allow(decision)
      return true
    }
    exchange.deny(decision)
    throw new DenialSent(decision)
  }
}
