import { Inject, Injectable, Module, type DynamicModule, type FactoryProvider, type ModuleMetadata, type OnApplicationShutdown, type Provider } from '@nestjs/common'
import { APP_GUARD, DiscoveryModule } from '@nestjs/core'
import { AuthleteGuardError, assertGuard } from '@authlete-guard/core'
import type { Guard } from '@authlete-guard/core'
import { AuthUsageCheck } from './auth-usage-check'
import { ProtectGuard } from './protect-guard'
import { AUTHLETE_GUARD } from './tokens'

/** Options of `AuthleteGuardModule.forRoot`, and what the `forRootAsync` factory returns. */
export interface AuthleteGuardModuleOptions {
  /** The guard from `createGuard()`. A guard given to `forRoot` is the application's to close. */
  guard: Guard
}

/** Options of `AuthleteGuardModule.forRootAsync`: the guard is made by a factory with injected dependencies. */
export interface AuthleteGuardModuleAsyncOptions {
  /** Modules that export the factory's dependencies (e.g. `ConfigModule`). */
  imports?: ModuleMetadata['imports']
  /** Providers passed to `useFactory`, in order (e.g. `[ConfigService]`). */
  inject?: FactoryProvider['inject']
  /** Returns `{ guard }`, or a promise of it. The module closes this guard when the application shuts down. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's own factory signature
  useFactory: (...args: any[]) => AuthleteGuardModuleOptions | Promise<AuthleteGuardModuleOptions>
}

function guardOf(options: AuthleteGuardModuleOptions | undefined, call: string): Guard {
  const guard = options?.guard
  assertGuard(guard, `@authlete-guard/nestjs: AuthleteGuardModule.${call}`, '{ guard } created by createGuard()')
  return guard
}

/** Closes a guard made by the `forRootAsync` factory when the application shuts down. */
@Injectable()
class FactoryGuardCloser implements OnApplicationShutdown {
  constructor(@Inject(AUTHLETE_GUARD) private readonly guard: Guard) {}

  async onApplicationShutdown(): Promise<void> {
    await this.guard.close()
  }
}

/**
 * The NestJS module of authlete-guard: import it once, in the root module, with the guard. It
 * registers a global Nest guard that checks the access token of every handler marked with
 * `@Protect()` (and of every handler of a controller marked with it), and leaves the other
 * handlers alone. Works on `@nestjs/platform-express` and `@nestjs/platform-fastify`.
 *
 * @example
 * const guard = createGuard({ authlete: authleteOptionsFromEnv() })
 * @Module({ imports: [AuthleteGuardModule.forRoot({ guard })], controllers: [ApiController] })
 * class AppModule {}
 */
@Module({})
export class AuthleteGuardModule {
  /**
   * The module with a guard you created (and close, e.g. after `app.close()`).
   *
   * @example
   * AuthleteGuardModule.forRoot({ guard: createGuard({ authlete: authleteOptionsFromEnv() }) })
   */
  static forRoot(options: AuthleteGuardModuleOptions): DynamicModule {
    const guard = guardOf(options, 'forRoot')
    return moduleWith([{ provide: AUTHLETE_GUARD, useValue: guard }])
  }

  /**
   * The module with a guard made by `useFactory` from injected providers, e.g. a `ConfigService`.
   * The module closes that guard when the application shuts down.
   *
   * @example
   * AuthleteGuardModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({
   *     guard: createGuard({ authlete: { baseUrl: config.getOrThrow('AUTHLETE_BASE_URL'), serviceId: config.getOrThrow('AUTHLETE_SERVICE_APIKEY'), accessToken: config.getOrThrow('AUTHLETE_SERVICE_ACCESSTOKEN') } }),
   *   }),
   * })
   */
  static forRootAsync(options: AuthleteGuardModuleAsyncOptions): DynamicModule {
    const useFactory = options?.useFactory
    if (typeof useFactory !== 'function') {
      throw new AuthleteGuardError('ERR_INVALID_CONFIG', '@authlete-guard/nestjs: AuthleteGuardModule.forRootAsync needs a useFactory that returns { guard }')
    }
    const guardProvider: Provider = {
      provide: AUTHLETE_GUARD,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's own factory signature
      useFactory: async (...args: any[]) => guardOf(await useFactory(...args), 'forRootAsync'),
      inject: options.inject ?? [],
    }
    return moduleWith([guardProvider, FactoryGuardCloser], options.imports)
  }
}

function moduleWith(providers: Provider[], imports: ModuleMetadata['imports'] = []): DynamicModule {
  return {
    module: AuthleteGuardModule,
    global: true,
    imports: [DiscoveryModule, ...imports],
    providers: [...providers, { provide: APP_GUARD, useClass: ProtectGuard }, AuthUsageCheck],
    exports: [AUTHLETE_GUARD],
  }
}
