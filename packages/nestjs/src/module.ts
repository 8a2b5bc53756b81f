import { Inject, Injectable, Module, Optional, type DynamicModule, type FactoryProvider, type MiddlewareConsumer, type ModuleMetadata, type NestModule, type OnApplicationShutdown, type Provider } from '@nestjs/common'
import { APP_GUARD, DiscoveryModule, HttpAdapterHost } from '@nestjs/core'
import { AuthleteGuardError, assertGuard } from '@authlete-guard/core'
import type { Guard, ResourceMetadataResponder, ResourceMetadataServeOptions } from '@authlete-guard/core'
import { AuthUsageCheck } from './auth-usage-check'
import { ProtectGuard } from './protect-guard'
import { metadataResponderOf, RESOURCE_METADATA, resourceMetadataMiddleware } from './resource-metadata'
import { AUTHLETE_GUARD } from './tokens'

/** Options of `AuthleteGuardModule.forRoot`, and what the `forRootAsync` factory returns. */
export interface AuthleteGuardModuleOptions {
  /** The guard from `createGuard()`. A guard given to `forRoot` is the application's to close. */
  guard: Guard
  /**
   * Serve the guard's OAuth 2.0 Protected Resource Metadata (RFC 9728) at its well-known paths
   * (`/.well-known/oauth-protected-resource` and the path of `guard.resourceMetadataUrl`), through
   * a middleware on every route: `true`, or `{ maxAgeSeconds }` for another `Cache-Control`
   * max-age. The guard then needs `resource` and `resourceMetadata`, or the application does not
   * start (`ERR_INVALID_CONFIG`). Default: not served.
   */
  resourceMetadata?: boolean | ResourceMetadataServeOptions
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

/** The guard and the metadata responder of the module's options, both checked. */
function providersOf(options: AuthleteGuardModuleOptions | undefined, call: string): { guard: Guard; metadata: ResourceMetadataResponder | null } {
  const guard = guardOf(options, call)
  return { guard, metadata: metadataResponderOf(guard, options?.resourceMetadata, call) }
}

/** `providersOf` for what the `forRootAsync` factory returned: its guard is closed when its options are refused. */
async function checkedAsync(options: AuthleteGuardModuleOptions | undefined): Promise<ReturnType<typeof providersOf>> {
  const guard = guardOf(options, 'forRootAsync')
  try {
    return providersOf(options, 'forRootAsync')
  } catch (error) {
    await guard.close()
    throw error
  }
}

/** Injection token of what the `forRootAsync` factory returned, checked. */
const ASYNC_OPTIONS = Symbol('@authlete-guard/nestjs:async-options')

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
export class AuthleteGuardModule implements NestModule {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    // Optional: AuthleteGuardModule imported without forRoot has none (and nothing to serve).
    @Optional() @Inject(RESOURCE_METADATA) private readonly metadata?: ResourceMetadataResponder | null,
  ) {}

  /**
   * With `resourceMetadata`, the metadata middleware on the HTTP server, at the origin's root
   * whatever the global prefix. Here, where Nest sets up middleware: before any route.
   */
  configure(_consumer: MiddlewareConsumer): void {
    if (this.metadata) this.adapterHost.httpAdapter?.use(resourceMetadataMiddleware(this.metadata))
  }

  /**
   * The module with a guard you created (and close, e.g. after `app.close()`).
   *
   * @example
   * AuthleteGuardModule.forRoot({ guard: createGuard({ authlete: authleteOptionsFromEnv() }) })
   *
   * @example
   * // Also serves /.well-known/oauth-protected-resource (and /.well-known/oauth-protected-resource/mcp)
   * const guard = createGuard({ authlete: authleteOptionsFromEnv(), resource: 'https://api.example.com/mcp', resourceMetadata: { authorization_servers: ['https://as.example.com'] } })
   * AuthleteGuardModule.forRoot({ guard, resourceMetadata: true })
   */
  static forRoot(options: AuthleteGuardModuleOptions): DynamicModule {
    const { guard, metadata } = providersOf(options, 'forRoot')
    return moduleWith([
      { provide: AUTHLETE_GUARD, useValue: guard },
      { provide: RESOURCE_METADATA, useValue: metadata },
    ])
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
    const checked: Provider = {
      provide: ASYNC_OPTIONS,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's own factory signature
      useFactory: async (...args: any[]) => checkedAsync(await useFactory(...args)),
      inject: options.inject ?? [],
    }
    type Checked = ReturnType<typeof providersOf>
    return moduleWith(
      [
        checked,
        { provide: AUTHLETE_GUARD, useFactory: (made: Checked) => made.guard, inject: [ASYNC_OPTIONS] },
        { provide: RESOURCE_METADATA, useFactory: (made: Checked) => made.metadata, inject: [ASYNC_OPTIONS] },
        FactoryGuardCloser,
      ],
      options.imports,
    )
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
