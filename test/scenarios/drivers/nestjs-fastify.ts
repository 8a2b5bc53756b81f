import { NestFactory } from '@nestjs/core'
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify'
import { createGuard } from '@authlete-guard/nestjs'
import { routeCounter, type AdapterDriver } from '../harness'
import { listenScenarioApp, scenarioModule } from './nestjs-app'

/** NestJS on `@nestjs/platform-fastify` (Fastify 5); `trustProxy` is Fastify's own option. */
export const nestjsFastify: AdapterDriver = {
  name: 'nestjs-fastify',
  async start({ authlete, trustProxy, publicUrl }) {
    const guard = createGuard({ authlete, publicUrl })
    const counter = routeCounter()
    const app = await NestFactory.create<NestFastifyApplication>(scenarioModule(guard, counter, '*'), new FastifyAdapter({ trustProxy }), { logger: false, abortOnError: false })
    return listenScenarioApp(app, guard, counter)
  },
}
