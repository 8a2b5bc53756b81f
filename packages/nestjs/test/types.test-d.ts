import { Controller, Get, type DynamicModule } from '@nestjs/common'
import { describe, expectTypeOf, it } from 'vitest'
import { Auth, AUTHLETE_GUARD, AuthleteGuardModule, Protect, type AccessTokenInfo, type AuthleteGuardModuleAsyncOptions, type AuthleteGuardModuleOptions, type Guard, type RouteOptions } from '../src/index'

declare const guard: Guard

describe('@authlete-guard/nestjs types', () => {
  it('@Auth() is a ParameterDecorator that takes no arguments', () => {
    expectTypeOf(Auth).parameters.toEqualTypeOf<[]>()
    expectTypeOf(Auth()).toEqualTypeOf<ParameterDecorator>()
  })

  it('@Auth() gives the typed principal to the handler parameter it decorates', () => {
    @Controller('api')
    class ApiController {
      @Get('me')
      @Protect({ scopes: ['read'] })
      me(@Auth() auth: AccessTokenInfo) {
        expectTypeOf(auth.subject).toEqualTypeOf<string | undefined>()
        expectTypeOf(auth.tokenType).toEqualTypeOf<'DPoP' | 'Bearer'>()
        return { sub: auth.subject }
      }
    }
    expectTypeOf(new ApiController().me).returns.toEqualTypeOf<{ sub: string | undefined }>()
  })

  it('@Protect(route?) decorates a handler or a whole controller', () => {
    expectTypeOf(Protect).parameters.toEqualTypeOf<[route?: RouteOptions]>()
    expectTypeOf(Protect()).toExtend<ClassDecorator>()
    expectTypeOf(Protect()).toExtend<MethodDecorator>()
    // @ts-expect-error an unknown route option is a type error too (and ERR_INVALID_CONFIG at run time)
    Protect({ scope: ['read'] })
  })

  it('AuthleteGuardModule.forRoot accepts { guard } and returns a DynamicModule', () => {
    expectTypeOf(AuthleteGuardModule.forRoot({ guard })).toEqualTypeOf<DynamicModule>()
    // @ts-expect-error the guard is required
    AuthleteGuardModule.forRoot({})
    expectTypeOf(AuthleteGuardModule.forRoot({ guard, resourceMetadata: true })).toEqualTypeOf<DynamicModule>()
    expectTypeOf(AuthleteGuardModule.forRoot({ guard, resourceMetadata: { maxAgeSeconds: 60 } })).toEqualTypeOf<DynamicModule>()
    // @ts-expect-error resourceMetadata is true/false or { maxAgeSeconds }
    AuthleteGuardModule.forRoot({ guard, resourceMetadata: 'yes' })
  })

  it('AuthleteGuardModule.forRootAsync takes a factory of { guard }, sync or async, with inject and imports', () => {
    expectTypeOf(AuthleteGuardModule.forRootAsync({ useFactory: () => ({ guard }) })).toEqualTypeOf<DynamicModule>()
    expectTypeOf(AuthleteGuardModule.forRootAsync({ imports: [], inject: ['CONFIG'], useFactory: async (_config: unknown) => ({ guard }) })).toEqualTypeOf<DynamicModule>()
    expectTypeOf<ReturnType<AuthleteGuardModuleAsyncOptions['useFactory']>>().toEqualTypeOf<AuthleteGuardModuleOptions | Promise<AuthleteGuardModuleOptions>>()
    expectTypeOf<AuthleteGuardModuleOptions>().toEqualTypeOf<{ guard: Guard; resourceMetadata?: boolean | { maxAgeSeconds?: number } }>()
    // @ts-expect-error the factory must give { guard }
    AuthleteGuardModule.forRootAsync({ useFactory: () => guard })
  })

  it('AUTHLETE_GUARD is an injection token', () => {
    expectTypeOf(AUTHLETE_GUARD).toExtend<symbol>()
  })
})
