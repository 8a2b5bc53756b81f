import { NestFactory } from '@nestjs/core'
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express'
import { createGuard } from '@authlete-guard/nestjs'
import { certificateGuardOptions, routeCounter, serverTlsOptions, type AdapterDriver } from '../harness'
import { listenScenarioApp, scenarioModule } from './nestjs-app'

/** NestJS on `@nestjs/platform-express` (Express 5); `trustProxy` is Nest's `app.set('trust proxy', ...)`, `tls` its `httpsOptions`. */
export const nestjsExpress: AdapterDriver = {
  name: 'nestjs-express',
  async start({ authlete, trustProxy, publicUrl, clientCertificate, tls }) {
    const guard = createGuard({ authlete, publicUrl, ...certificateGuardOptions(clientCertificate, true) })
    const counter = routeCounter()
    const https = tls ? { httpsOptions: serverTlsOptions(tls) } : {}
    const app = await NestFactory.create<NestExpressApplication>(scenarioModule(guard, counter, '*path'), new ExpressAdapter(), { logger: false, abortOnError: false, ...https })
    app.set('trust proxy', trustProxy)
    return listenScenarioApp(app, guard, counter, tls !== undefined)
  },
}
