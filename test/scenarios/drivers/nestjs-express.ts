import { NestFactory } from '@nestjs/core'
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express'
import { createGuard } from '@authlete-guard/nestjs'
import { routeCounter, type AdapterDriver } from '../harness'
import { listenScenarioApp, scenarioModule } from './nestjs-app'

/** NestJS on `@nestjs/platform-express` (Express 5); `trustProxy` is Nest's `app.set('trust proxy', ...)`. */
export const nestjsExpress: AdapterDriver = {
  name: 'nestjs-express',
  async start({ authlete, trustProxy, publicUrl }) {
    const guard = createGuard({ authlete, publicUrl })
    const counter = routeCounter()
    const app = await NestFactory.create<NestExpressApplication>(scenarioModule(guard, counter, '*path'), new ExpressAdapter(), { logger: false, abortOnError: false })
    app.set('trust proxy', trustProxy)
    return listenScenarioApp(app, guard, counter)
  },
}
