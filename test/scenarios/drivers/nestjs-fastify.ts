import { NestFactory } from '@nestjs/core'
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify'
import { createGuard } from '@authlete-guard/nestjs'
import { certificateGuardOptions, routeCounter, serverTlsOptions, type AdapterDriver } from '../harness'
import { listenScenarioApp, scenarioModule } from './nestjs-app'

/** NestJS on `@nestjs/platform-fastify` (Fastify 5); `trustProxy` and `tls` (`https`) are Fastify's own options. */
export const nestjsFastify: AdapterDriver = {
  name: 'nestjs-fastify',
  async start({ authlete, trustProxy, publicUrl, clientCertificate, tls }) {
    const guard = createGuard({ authlete, publicUrl, ...certificateGuardOptions(clientCertificate, true) })
    const counter = routeCounter()
    const adapter = tls ? new FastifyAdapter({ trustProxy, https: serverTlsOptions(tls) }) : new FastifyAdapter({ trustProxy })
    const app = await NestFactory.create<NestFastifyApplication>(scenarioModule(guard, counter, '*'), adapter, { logger: false, abortOnError: false })
    return listenScenarioApp(app, guard, counter, tls !== undefined)
  },
}
