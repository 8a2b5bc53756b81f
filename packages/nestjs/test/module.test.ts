import { Controller, Get, Inject, Injectable, Module, type ExecutionContext } from '@nestjs/common'
import { HttpAdapterHost, Reflector } from '@nestjs/core'
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js'
import { describe, expect, it, vi } from 'vitest'
import { useAdapterTestbed } from '../../../test/support/adapter-testbed'
import { Auth, AUTHLETE_GUARD, AuthleteGuardModule, isAuthleteGuardError, Protect, type AccessTokenInfo, type Guard, type RouteOptions } from '../src/index'
import { ProtectGuard } from '../src/protect-guard'
import { failure, MeController, PLATFORMS, useNestApps, type Platform } from './nest-app'

const bed = useAdapterTestbed()
const nest = useNestApps()

function expectConfigError(error: unknown, message: RegExp) {
  expect(isAuthleteGuardError(error) && error.code, String(error)).toBe('ERR_INVALID_CONFIG')
  expect((error as Error).message).toMatch(message)
}

describe('@Protect(route): the options are checked when the class is defined', () => {
  it('refuses a wrong type or an unknown key with ERR_INVALID_CONFIG, naming the fix', async () => {
    expectConfigError(await failure(() => Protect({ scopes: 'profile' } as unknown as RouteOptions)), /scopes must be an array/)
    expectConfigError(await failure(() => Protect({ scope: ['profile'] } as unknown as RouteOptions)), /scope.*Did you mean scopes/)
  })

  it('a typo fails the class definition itself (the decorator runs there)', async () => {
    const error = await failure(() => {
      @Controller()
      class Typo {
        @Get('x')
        @Protect({ maxAge: -1 })
        x() {}
      }
      return Typo
    })
    expectConfigError(error, /maxAge/)
  })

  it('takes no options, or valid ones', () => {
    expect(() => Protect()).not.toThrow()
    expect(() => Protect({ scopes: ['profile'], dpopNonceRequired: true })).not.toThrow()
  })
})

describe('AuthleteGuardModule', () => {
  it('forRoot refuses a missing guard with ERR_INVALID_CONFIG', async () => {
    expectConfigError(await failure(() => AuthleteGuardModule.forRoot({} as { guard: Guard })), /forRoot needs \{ guard \}/)
    expectConfigError(await failure(() => AuthleteGuardModule.forRoot(undefined as unknown as { guard: Guard })), /forRoot/)
  })

  it('forRootAsync refuses a missing factory, and a factory that gives no guard fails start-up', async () => {
    expectConfigError(await failure(() => AuthleteGuardModule.forRootAsync({} as never)), /useFactory/)
    const root = { module: class NoGuard {}, imports: [AuthleteGuardModule.forRootAsync({ useFactory: () => ({}) as { guard: Guard } })], controllers: [MeController] }
    expectConfigError(await failure(() => nest.create(root, 'express')), /forRootAsync needs \{ guard \}/)
  })

  it.each(PLATFORMS)('forRootAsync builds the guard from injected providers and closes it when the app closes (%s)', async (platform: Platform) => {
    const CONFIG = Symbol('config')
    @Module({ providers: [{ provide: CONFIG, useValue: { emulator: () => bed.emu() } }], exports: [CONFIG] })
    class ConfigModule {}
    let guard: Guard | undefined
    const root = {
      module: class AsyncApp {},
      imports: [
        AuthleteGuardModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: async (config: { emulator: typeof bed.emu }) => {
            guard = bed.newGuard()
            expect(config.emulator()).toBe(bed.emu())
            return { guard }
          },
        }),
      ],
      controllers: [MeController],
    }
    const app = await nest.create(root, platform)
    await app.listen(0, '127.0.0.1')
    const { accessToken } = await bed.emu().createToken({ subject: 'alice', scopes: ['profile'] })
    const res = await fetch(`${await app.getUrl()}/me`, { headers: { authorization: `Bearer ${accessToken}` } })
    expect(await res.json()).toEqual({ sub: 'alice' })
    const close = vi.spyOn(guard!, 'close')
    await app.close()
    expect(close).toHaveBeenCalledTimes(1)
  })

  it('forRoot leaves the guard to the application: app.close() does not close it', async () => {
    const guard = bed.newGuard()
    const close = vi.spyOn(guard, 'close')
    const app = await nest.create({ module: class SyncApp {}, imports: [AuthleteGuardModule.forRoot({ guard })], controllers: [MeController] }, 'express')
    await app.init()
    await app.close()
    expect(close).not.toHaveBeenCalled()
  })

  it('exports the guard under AUTHLETE_GUARD for the application (e.g. guard.ready() at start-up)', async () => {
    @Injectable()
    class Readiness {
      constructor(@Inject(AUTHLETE_GUARD) readonly guard: Guard) {}
    }
    @Module({ providers: [Readiness], exports: [Readiness] })
    class FeatureModule {}
    const guard = bed.newGuard()
    const app = await nest.create({ module: class TokenApp {}, imports: [AuthleteGuardModule.forRoot({ guard }), FeatureModule] }, 'express')
    await app.init()
    expect(app.get(Readiness).guard).toBe(guard)
    expect(app.get(AUTHLETE_GUARD)).toBe(guard)
    await expect(app.get<Guard>(AUTHLETE_GUARD).ready()).resolves.toBeUndefined()
  })
})

describe('start-up refusals', () => {
  it.each(PLATFORMS)('@Auth() on a handler without @Protect (on it or its controller) stops app.init() with ERR_INVALID_CONFIG (%s)', async (platform: Platform) => {
    @Controller('reports')
    class ReportsController {
      @Get()
      list(@Auth() auth: AccessTokenInfo) {
        return auth.subject
      }
    }
    const app = await nest.create({ module: class AuthWithoutProtect {}, imports: [AuthleteGuardModule.forRoot({ guard: bed.newGuard() })], controllers: [ReportsController] }, platform)
    expectConfigError(await failure(() => app.init()), /@Auth\(\) on ReportsController\.list, which has no @Protect\(\)/)
  })

  it('@Auth() is accepted under a @Protect on the controller, or inherited from a base class', async () => {
    @Protect({ scopes: ['profile'] })
    @Controller('a')
    class OnController {
      @Get()
      one(@Auth() auth: AccessTokenInfo) {
        return auth.subject
      }
    }
    class Base {
      @Get('base')
      @Protect()
      base(@Auth() auth: AccessTokenInfo) {
        return auth.subject
      }
    }
    @Controller('b')
    class Derived extends Base {}
    const app = await nest.create({ module: class Accepted {}, imports: [AuthleteGuardModule.forRoot({ guard: bed.newGuard() })], controllers: [OnController, Derived] }, 'express')
    await expect(app.init()).resolves.toBe(app)
  })

  it.each(PLATFORMS)('@Protect without AuthleteGuardModule imported: the app does not start, rather than run the handler unchecked (%s)', async (platform: Platform) => {
    const error = await failure(() => nest.create({ module: class Forgotten {}, controllers: [MeController] }, platform))
    expectConfigError(error, /AuthleteGuardModule is not imported.*AuthleteGuardModule\.forRoot/)
  })
})

describe('request-time checks the start-up cannot cover', () => {
  const http = (request: object, type = 'http'): ExecutionContext =>
    ({
      getType: () => type,
      getClass: () => MeController,
      getHandler: () => MeController.prototype.me,
      switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
    }) as unknown as ExecutionContext

  it('@Auth() with no principal on the request throws ERR_INVALID_CONFIG (a 500), never gives undefined', async () => {
    const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, MeController, 'me') as Record<string, { factory: (data: unknown, ctx: ExecutionContext) => unknown }>
    const [param] = Object.values(args)
    expectConfigError(await failure(() => param!.factory(undefined, http({}))), /@Auth\(\) on MeController\.me/)
    const auth = { subject: 'alice' }
    expect(param!.factory(undefined, http({ auth }))).toBe(auth)
  })

  it('a @Protect handler reached in a non-HTTP context is refused, not run unchecked', async () => {
    const guard = new ProtectGuard(bed.newGuard(), new Reflector(), new HttpAdapterHost())
    expectConfigError(await failure(() => guard.canActivate(http({}, 'rpc'))), /protects HTTP routes only, not "rpc"/)
  })
})
