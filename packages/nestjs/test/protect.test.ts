import { Catch, Controller, Get, type ArgumentsHost, type ExceptionFilter, type INestApplication } from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'
import type { NestFastifyApplication } from '@nestjs/platform-fastify'
import { createDpopProof } from '@authlete-guard/emulator'
import { beforeAll, describe, expect, it } from 'vitest'
import { itBehavesLikeAnAdapter, SAMPLE_DENIAL, useAdapterTestbed } from '../../../test/support/adapter-testbed'
import { Auth, AuthleteGuardModule, Protect, type AccessTokenInfo, type DenyDecision, type Guard } from '../src/index'
import { PLATFORMS, rawExchange, recordingLogger, useNestApps, type Platform } from './nest-app'

const bed = useAdapterTestbed()
const nest = useNestApps()
let runs = 0
const DENIAL_BODY = (SAMPLE_DENIAL as DenyDecision).body

@Controller()
class ApiController {
  @Get('me')
  @Protect({ scopes: ['profile'] })
  me(@Auth() auth: AccessTokenInfo) {
    runs++
    return { sub: auth.subject, scopes: auth.scopes, tokenType: auth.tokenType }
  }

  @Get('nonce')
  @Protect({ dpopNonceRequired: true })
  nonce(@Auth() auth: AccessTokenInfo) {
    runs++
    return { sub: auth.subject }
  }

  @Get('denied')
  @Protect()
  denied() {
    runs++
    return 'route ran'
  }

  @Get('broken')
  @Protect()
  broken() {
    runs++
    return 'route ran'
  }

  @Get('open')
  open() {
    runs++
    return { open: true }
  }
}

/** `@Protect` on the controller; one handler has its own, which wins. */
@Controller('admin')
@Protect({ scopes: ['admin'] })
class AdminController {
  @Get('stats')
  stats(@Auth() auth: AccessTokenInfo) {
    runs++
    return { sub: auth.subject }
  }

  @Get('profile')
  @Protect({ scopes: ['profile'] })
  profile(@Auth() auth: AccessTokenInfo) {
    runs++
    return { sub: auth.subject }
  }
}

/** The emulator's guard, except that `/denied*` gets SAMPLE_DENIAL and `/broken*` a rejection. */
function testGuard(): Guard {
  const guard = bed.newGuard()
  return {
    ...guard,
    check: (request, route) => {
      if (request.url.startsWith('/denied')) return Promise.resolve(SAMPLE_DENIAL)
      if (request.url.startsWith('/broken')) return Promise.reject(new Error('boom'))
      return guard.check(request, route)
    },
  }
}

const appModule = (guard: Guard) => ({ module: class AppModule {}, imports: [AuthleteGuardModule.forRoot({ guard })], controllers: [ApiController, AdminController] })

/** A catch-all filter as Nest's docs write one (no check for a response already sent). */
@Catch()
class AllExceptionsFilter implements ExceptionFilter {
  readonly caught: unknown[] = []
  constructor(private readonly adapterHost: HttpAdapterHost) {}
  catch(exception: unknown, host: ArgumentsHost) {
    this.caught.push(exception)
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), { caughtBy: 'AllExceptionsFilter' }, 599)
  }
}

async function token(scopes: string[]) {
  return (await bed.emu().createToken({ subject: 'alice', scopes })).accessToken
}

describe.each(PLATFORMS)('Nest on %s', (platform: Platform) => {
  let url: string
  const logger = recordingLogger()
  const fastifyLog: string[] = []

  beforeAll(async () => {
    url = await nest.start(appModule(testGuard()), platform, { logger, fastifyLog })
  })

  itBehavesLikeAnAdapter(bed, { url: () => url, runs: () => runs, principal: '@Auth()' })

  it('writes the denial as the guard made it (status, every header, body bytes), never runs the handler, logs nothing', async () => {
    const before = runs
    const res = await fetch(`${url}/denied`)
    expect(res.status).toBe(400)
    expect(res.headers.get('x-extra')).toBe('1')
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_request"')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('etag')).toBeNull()
    expect(await res.text()).toBe(DENIAL_BODY)
    expect(runs).toBe(before)
    expect(logger.lines).toEqual([])
    expect(fastifyLog).toEqual([])
  })

  it('sends one response only: nothing follows the denial on the wire', async () => {
    const raw = await rawExchange(url, '/me', { authorization: 'Bearer nope' })
    expect(raw.match(/^HTTP\/1\.1 /gm)).toHaveLength(1)
    expect(raw).toMatch(/^HTTP\/1\.1 401 /)
    const [head, body] = raw.split('\r\n\r\n')
    expect(head).toMatch(/\r\ncontent-type: application\/json\r\n/i)
    expect(JSON.parse(body!)).toMatchObject({ error: 'invalid_token' })
    expect(logger.lines).toEqual([])
    expect(fastifyLog).toEqual([])
  })

  it('the handler options win over the controller options; the others take the controller options', async () => {
    const headers = { authorization: `Bearer ${await token(['profile'])}` }
    const before = runs
    const own = await fetch(`${url}/admin/profile`, { headers })
    expect(own.status).toBe(200)
    expect(await own.json()).toEqual({ sub: 'alice' })
    const inherited = await fetch(`${url}/admin/stats`, { headers })
    expect(inherited.status).toBe(403)
    expect(inherited.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/)
    expect(runs - before).toBe(1)
  })

  it('leaves handlers without @Protect alone: no token needed, no guard headers', async () => {
    const res = await fetch(`${url}/open`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ open: true })
    expect(res.headers.get('www-authenticate')).toBeNull()
  })

  it('an unexpected failure of the guard is a Nest 500 and the handler never runs', async () => {
    const errors = logger.lines.length
    const before = runs
    const res = await fetch(`${url}/broken`, { headers: { authorization: 'Bearer x' } })
    expect(res.status).toBe(500)
    expect(runs).toBe(before)
    expect(logger.lines.slice(errors).join('\n')).toMatch(/boom/)
    logger.lines.length = errors
  })
})

describe.each(PLATFORMS)('Nest on %s, set up the way applications are', (platform: Platform) => {
  it('htu holds the global prefix: a proof for /v2/me -> 200, a proof without the prefix -> 401', async () => {
    const url = await nest.start(appModule(bed.newGuard()), platform, { setup: (app) => void app.setGlobalPrefix('v2') })
    const key = bed.key()
    const { accessToken } = await bed.emu().createToken({ subject: 'alice', scopes: ['profile'], dpopKeyThumbprint: key.thumbprint })
    const call = async (htu: string) =>
      fetch(`${url}/v2/me`, { headers: { authorization: `DPoP ${accessToken}`, dpop: await createDpopProof(key, { htm: 'GET', htu, accessToken }) } })
    expect((await call(`${url}/v2/me`)).status).toBe(200)
    const wrong = await call(`${url}/me`)
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/)
  })

  it("a catch-all filter of the application's (useGlobalFilters) does not write over the denial", async () => {
    const logger = recordingLogger()
    let filter: AllExceptionsFilter | undefined
    const url = await nest.start(appModule(testGuard()), platform, {
      logger,
      setup: (app) => void app.useGlobalFilters((filter = new AllExceptionsFilter(app.get(HttpAdapterHost)))),
    })
    const raw = await rawExchange(url, '/denied')
    expect(raw.match(/^HTTP\/1\.1 /gm)).toHaveLength(1)
    expect(raw).toMatch(/^HTTP\/1\.1 400 /)
    expect(raw.endsWith(`\r\n\r\n${DENIAL_BODY}`)).toBe(true)
    expect(filter!.caught, "@Protect's filter is picked before the application's global ones").toEqual([])
    // The application's filter still handles everything else.
    expect((await fetch(`${url}/broken`, { headers: { authorization: 'Bearer x' } })).status).toBe(599)
    expect(logger.lines).toEqual([])
  })
})

describe('Nest on fastify with an async onSend hook (the reply is sent a tick later)', () => {
  it('the denial is written once, with its own headers and body, and nothing is logged', async () => {
    const logger = recordingLogger()
    const fastifyLog: string[] = []
    const url = await nest.start(appModule(testGuard()), 'fastify', {
      logger,
      fastifyLog,
      setup: (app: INestApplication) => {
        ;(app as NestFastifyApplication).getHttpAdapter().getInstance().addHook('onSend', async (_request, reply, payload) => {
          await new Promise((resolve) => setTimeout(resolve, 20))
          reply.header('x-on-send', 'ran')
          return payload
        })
      },
    })
    const before = runs
    const raw = await rawExchange(url, '/denied')
    expect(raw.match(/^HTTP\/1\.1 /gm)).toHaveLength(1)
    expect(raw).toMatch(/^HTTP\/1\.1 400 /)
    expect(raw).toMatch(/\r\nx-on-send: ran\r\n/i)
    expect(raw).toMatch(/\r\ncontent-type: application\/json\r\n/i)
    expect(raw.endsWith(`\r\n\r\n${DENIAL_BODY}`)).toBe(true)
    expect(runs).toBe(before)
    expect(logger.lines).toEqual([])
    expect(fastifyLog).toEqual([])
  })
})
