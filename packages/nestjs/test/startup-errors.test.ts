// Issue 19, points 13b and 6b on NestJS: mistakes that Nest would report obscurely, or not at all,
// stop the application at start-up with ERR_INVALID_CONFIG naming the fix.
// - @Protect() without AuthleteGuardModule imported: Nest's own "can't resolve dependencies of the
//   RequiresAuthleteGuardModule" error named no fix; the error names AuthleteGuardModule.forRoot.
// - @Protect({ dpopNonceRequired: true }) with a guard on Authlete API V2 (no DPoP nonces there).
import 'reflect-metadata'
import { Controller, Get } from '@nestjs/common'
import { afterAll, describe, expect, it } from 'vitest'
import { Auth, AuthleteGuardModule, createGuard, isAuthleteGuardError, Protect, type AccessTokenInfo } from '../src/index'
import { failure, PLATFORMS, useNestApps, type Platform } from './nest-app'

const nest = useNestApps()
// Constructed only: no request reaches Authlete in these tests, so the base URL is never used.
const v2 = createGuard({ authlete: { baseUrl: 'http://127.0.0.1:9', apiKey: '1234', apiSecret: 'secret' } })
const v3 = createGuard({ authlete: { baseUrl: 'http://127.0.0.1:9', serviceId: '1234', accessToken: 'token' } })
afterAll(() => Promise.all([v2.close(), v3.close()]))

@Controller('api')
class ApiController {
  @Get('me')
  @Protect({ scopes: ['profile'] })
  me(@Auth() auth: AccessTokenInfo) {
    return { sub: auth.subject }
  }
}

@Controller('nonce')
class NonceController {
  @Get()
  @Protect({ dpopNonceRequired: true })
  nonce(@Auth() auth: AccessTokenInfo) {
    return { sub: auth.subject }
  }
}

describe('@Protect() without AuthleteGuardModule imported', () => {
  it.each(PLATFORMS)('the app does not start, and the error names AuthleteGuardModule.forRoot (%s)', async (platform: Platform) => {
    const error = await failure(() => nest.create({ module: class Forgotten {}, controllers: [ApiController] }, platform))
    expect(isAuthleteGuardError(error) && error.code, String(error)).toBe('ERR_INVALID_CONFIG')
    expect((error as Error).message).toContain('AuthleteGuardModule is not imported')
    expect((error as Error).message).toContain('AuthleteGuardModule.forRoot({ guard })')
  })

  it('with the module imported the same controller starts (control)', async () => {
    const app = await nest.create({ module: class Imported {}, imports: [AuthleteGuardModule.forRoot({ guard: v3 })], controllers: [ApiController] }, 'express')
    await expect(app.init()).resolves.toBe(app)
  })
})

describe('@Protect({ dpopNonceRequired: true }) with a guard on Authlete API V2', () => {
  it.each(PLATFORMS)('forRoot: the app does not start: ERR_INVALID_CONFIG, V2 has no DPoP nonces (%s)', async (platform: Platform) => {
    const error = await failure(async () => {
      const app = await nest.create({ module: class V2App {}, imports: [AuthleteGuardModule.forRoot({ guard: v2 })], controllers: [NonceController] }, platform)
      await app.init()
    })
    expect(isAuthleteGuardError(error) && error.code, String(error)).toBe('ERR_INVALID_CONFIG')
    expect((error as Error).message).toMatch(/Authlete API V2 has no DPoP nonces.*Use API V3/)
  })

  it('forRootAsync alike; a V3 guard starts with the same controller', async () => {
    const error = await failure(async () => {
      const app = await nest.create({ module: class V2Async {}, imports: [AuthleteGuardModule.forRootAsync({ useFactory: () => ({ guard: createGuard({ authlete: { baseUrl: 'http://127.0.0.1:9', apiKey: '1', apiSecret: 's' } }) }) })], controllers: [NonceController] }, 'express')
      await app.init()
    })
    expect((error as Error).message).toContain('Authlete API V2 has no DPoP nonces')
    const app = await nest.create({ module: class V3App {}, imports: [AuthleteGuardModule.forRoot({ guard: v3 })], controllers: [NonceController] }, 'fastify')
    await expect(app.init()).resolves.toBe(app)
  })
})
