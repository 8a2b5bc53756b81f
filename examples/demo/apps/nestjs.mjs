import { Controller, Get } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { Auth, AuthleteGuardModule, Protect } from '@authlete-guard/nestjs'
import { ROUTES, principal } from './routes.mjs'

/**
 * The controller. In TypeScript (with `experimentalDecorators`) it reads:
 *
 *   @Controller()
 *   class ApiController {
 *     @Get('/api/me') @Protect({ scopes: ['profile'] })
 *     me(@Auth() auth: AccessTokenInfo) { return principal(auth) }
 *     // ... one handler per route of routes.mjs
 *   }
 *
 * Plain JavaScript has no decorator syntax, so the same decorators are applied here as the
 * TypeScript compiler applies them: parameter decorators first, then the method's, then the class's.
 */
class ApiController {}
for (const [index, { path, options }] of ROUTES.entries()) {
  const name = `route${index}`
  const proto = ApiController.prototype
  Object.defineProperty(proto, name, { value: (auth) => principal(auth), writable: true, configurable: true })
  Auth()(proto, name, 0)
  Object.defineProperty(proto, name, Reflect.decorate([Get(path), Protect(options)], proto, name, Object.getOwnPropertyDescriptor(proto, name)))
}
Reflect.decorate([Controller()], ApiController)

/**
 * The protected API with NestJS on its Express platform: `AuthleteGuardModule.forRoot({ guard })`
 * once, `@Protect(routeOptions)` on each handler, `@Auth()` for the principal. On
 * `@nestjs/platform-fastify` only the adapter changes (`new FastifyAdapter()`).
 */
export async function startApi({ guard, port = 0 }) {
  const root = { module: class AppModule {}, imports: [AuthleteGuardModule.forRoot({ guard })], controllers: [ApiController] }
  const app = await NestFactory.create(root, new ExpressAdapter(), { logger: ['error', 'warn'] })
  await app.listen(port, '127.0.0.1')
  return { url: await app.getUrl(), close: () => app.close() }
}
