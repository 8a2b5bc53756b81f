import { Inject, Injectable, type OnModuleInit } from '@nestjs/common'
import { DiscoveryService, Reflector } from '@nestjs/core'
import { validateRouteOptions, type Guard } from '@authlete-guard/core'
import { AUTH_PARAM_METADATA, authWithoutProtect } from './auth'
import { PROTECT_METADATA, type Protection } from './protect'
import { AUTHLETE_GUARD } from './tokens'

/** Every method name on `prototype` and the prototypes it inherits from (Object's excluded). */
function methodNames(prototype: object): string[] {
  const names = new Set<string>()
  for (let proto = prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, name)?.value === 'function') names.add(name)
    }
  }
  return [...names]
}

/**
 * Refuses to start an application in which a controller handler takes `@Auth()` but has no
 * `@Protect()`, on it or on its controller (there the principal would never be set), or in which a
 * `@Protect()` asks for what the module's guard cannot enforce (`dpopNonceRequired` with Authlete
 * API V2: `validateRouteOptions(route, guard)`). Runs when Nest initialises the modules
 * (`app.init()`, `app.listen()`).
 */
@Injectable()
export class AuthUsageCheck implements OnModuleInit {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AUTHLETE_GUARD) private readonly guard: Guard,
  ) {}

  onModuleInit(): void {
    for (const { metatype } of this.discovery.getControllers()) {
      if (typeof metatype !== 'function' || !metatype.prototype) continue
      const prototype = metatype.prototype as Record<string, () => unknown>
      for (const name of methodNames(prototype)) {
        const protection = this.reflector.getAllAndOverride<Protection | undefined>(PROTECT_METADATA, [prototype[name]!, metatype])
        this.checkRoute(protection)
        if (Reflect.getMetadata(AUTH_PARAM_METADATA, prototype, name) !== true || protection) continue
        throw authWithoutProtect(metatype.name, name)
      }
    }
  }

  /** A `@Protect()` route against this module's guard (its shape was checked by the decorator). */
  private checkRoute(protection: Protection | undefined): void {
    if (protection?.route) validateRouteOptions(protection.route, this.guard)
  }
}
