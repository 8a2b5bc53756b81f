import { Controller, Get, HttpCode, Inject, Module, Post, type DynamicModule, type INestApplication } from '@nestjs/common'
import { RouterModule } from '@nestjs/core'
import type { AddressInfo } from 'node:net'
import { AuthleteGuardModule, Auth, Protect, type AccessTokenInfo, type Guard } from '@authlete-guard/nestjs'
import { MOUNT_PREFIX, principalOf, routeCounter, ROUTES, type ScenarioApp, type ScenarioRoute } from '../harness'

// The scenario app as a Nest application, the same on both platforms. Every provider is injected
// with @Inject(token): vitest's TypeScript transform emits no decorator metadata.

const COUNTER = Symbol('route counter')
type Counter = ReturnType<typeof routeCounter>

/** `@Protect` with a route of the table (its options typed as RouteOptions). */
const protectAs = (route: ScenarioRoute) => Protect(route.options)

@Controller()
class ApiController {
  constructor(@Inject(COUNTER) private readonly counter: Counter) {}

  private answer(auth: AccessTokenInfo) {
    this.counter.hit()
    return principalOf(auth)
  }

  @Get(ROUTES.me.path)
  @protectAs(ROUTES.me)
  me(@Auth() auth: AccessTokenInfo) {
    return this.answer(auth)
  }

  @Post(ROUTES.items.path)
  @HttpCode(200) // the table's answer; Nest's default for POST is 201
  @protectAs(ROUTES.items)
  items(@Auth() auth: AccessTokenInfo) {
    return this.answer(auth)
  }

  @Get(ROUTES.admin.path)
  @protectAs(ROUTES.admin)
  admin(@Auth() auth: AccessTokenInfo) {
    return this.answer(auth)
  }

  @Get(ROUTES.nonce.path)
  @protectAs(ROUTES.nonce)
  nonce(@Auth() auth: AccessTokenInfo) {
    return this.answer(auth)
  }
}

/**
 * The `/files/*` catch-all, with `@Protect` on the controller this time. Its path is written the
 * platform's way: `*path` for Express 5's path-to-regexp, `*` for Fastify's find-my-way.
 */
function filesController(wildcard: '*path' | '*') {
  @Controller(ROUTES.files.catchAll)
  @protectAs(ROUTES.files)
  class FilesController {
    constructor(@Inject(COUNTER) private readonly counter: Counter) {}

    @Get(wildcard)
    file(@Auth() auth: AccessTokenInfo) {
      this.counter.hit()
      return principalOf(auth)
    }
  }
  return FilesController
}

/** `/api/me` again, in a module that `RouterModule` mounts under `/v1`. */
@Controller()
class MountedController {
  constructor(@Inject(COUNTER) private readonly counter: Counter) {}

  @Get(ROUTES.mountedMe.mountedAt)
  @protectAs(ROUTES.mountedMe)
  me(@Auth() auth: AccessTokenInfo) {
    this.counter.hit()
    return principalOf(auth)
  }
}

@Module({ controllers: [MountedController] })
class V1Module {}

@Module({})
class ScenarioModule {}

/** The root module of one scenario app: the guard module, the table's controllers, `/v1` mounted. */
export function scenarioModule(guard: Guard, counter: Counter, wildcard: '*path' | '*'): DynamicModule {
  return {
    module: ScenarioModule,
    imports: [AuthleteGuardModule.forRoot({ guard }), V1Module, RouterModule.register([{ path: MOUNT_PREFIX, module: V1Module }])],
    controllers: [ApiController, filesController(wildcard)],
    providers: [{ provide: COUNTER, useValue: counter }],
    exports: [COUNTER],
    global: true,
  }
}

/** Listen on 127.0.0.1:0 and describe the app as the runner sees it (`https` when the platform was given TLS options). */
export async function listenScenarioApp(app: INestApplication, guard: Guard, counter: Counter, tls = false): Promise<ScenarioApp> {
  await app.listen(0, '127.0.0.1')
  const { port } = app.getHttpServer().address() as AddressInfo
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    routeRuns: counter.count,
    async close() {
      await app.close()
      await guard.close()
    },
  }
}
