/**
 * End to end: a real Nest application in its own Node process, on `@nestjs/platform-express` and
 * on `@nestjs/platform-fastify`, loading `@authlete-guard/nestjs` from its built `dist` as ESM
 * (`import`) and as CommonJS (`require`, which loads Nest 12's ES modules through Node's
 * `require(esm)`), called over HTTP on 127.0.0.1 with real DPoP proofs, the emulator standing in
 * for Authlete. The app is plain JavaScript: the decorators are applied as TypeScript compiles them.
 * Run `pnpm build` first (the root `pnpm test` does).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'

const testDir = fileURLToPath(new URL('..', import.meta.url))
const builtEntries = ['core', 'express', 'nestjs'].flatMap((name) => ['js', 'cjs'].map((ext) => fileURLToPath(new URL(`../../packages/${name}/dist/index.${ext}`, import.meta.url))))

type Platform = 'express' | 'fastify'
type Format = 'esm' | 'cjs'

/** The application's source: the same code for both module formats, only the loading differs. */
function appSource(platform: Platform, format: Format): string {
  const adapter = platform === 'express' ? 'ExpressAdapter' : 'FastifyAdapter'
  const load = (name: string) => (format === 'esm' ? `await import('${name}')` : `require('${name}')`)
  return `
    (async () => {
      const { Controller, Get } = ${load('@nestjs/common')}
      const { NestFactory } = ${load('@nestjs/core')}
      const { ${adapter} } = ${load(`@nestjs/platform-${platform}`)}
      const { AuthleteGuardModule, Auth, Protect, authleteOptionsFromEnv, createGuard } = ${load('@authlete-guard/nestjs')}

      class ApiController {
        me(auth) { return { sub: auth.subject, scopes: auth.scopes, tokenType: auth.tokenType } }
        admin(auth) { return { sub: auth.subject } }
      }
      const handlers = { me: [Get('me'), Protect({ scopes: ['profile'] })], admin: [Get('admin'), Protect({ scopes: ['admin'] })] }
      for (const [name, decorators] of Object.entries(handlers)) {
        const proto = ApiController.prototype
        Auth()(proto, name, 0)
        Object.defineProperty(proto, name, Reflect.decorate(decorators, proto, name, Object.getOwnPropertyDescriptor(proto, name)))
      }
      Reflect.decorate([Controller('api')], ApiController)

      const guard = createGuard({ authlete: authleteOptionsFromEnv() })
      const root = { module: class AppModule {}, imports: [AuthleteGuardModule.forRoot({ guard })], controllers: [ApiController] }
      const app = await NestFactory.create(root, new ${adapter}(), { logger: ['error', 'warn'] })
      await app.listen(0, '127.0.0.1')
      console.log('LISTENING ' + (await app.getUrl()))
    })().catch((error) => { console.error(error); process.exit(1) })
  `
}

/** Start the app; resolves to its URL once it listens. */
function startApp(platform: Platform, format: Format, env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess; log: () => string }> {
  const args = format === 'esm' ? ['--input-type=module', '-e', appSource(platform, format)] : ['-e', appSource(platform, format)]
  const child = spawn(process.execPath, args, { cwd: testDir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start within 30 s:\n${log}`)), 30_000)
    child.stderr!.on('data', (chunk) => (log += chunk))
    child.stdout!.on('data', (chunk) => {
      log += chunk
      const url = /LISTENING (http:\/\/\S+)/.exec(log)?.[1]
      if (url) {
        clearTimeout(timer)
        resolve({ url, child, log: () => log })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the app exited with ${code}:\n${log}`))
    })
  })
}

let emu: Awaited<ReturnType<typeof startEmulator>>
let key: DpopKeyPair
const children: ChildProcess[] = []

beforeAll(async () => {
  const missing = builtEntries.filter((file) => !existsSync(file))
  if (missing.length > 0) throw new Error(`run \`pnpm build\` first: missing ${missing.join(', ')}`)
  emu = await startEmulator({ port: 0 })
  key = await createDpopKeyPair('ES256')
})

afterAll(async () => {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }),
  )
  await emu?.close()
})

describe.each([
  ['express', 'esm'],
  ['fastify', 'esm'],
  ['express', 'cjs'],
  ['fastify', 'cjs'],
] as const)('a Nest app on platform-%s, @authlete-guard/nestjs loaded as %s', (platform, format) => {
  let url: string
  let log: () => string
  let accessToken: string

  beforeAll(async () => {
    const env = {
      ...process.env,
      AUTHLETE_BASE_URL: emu.url,
      AUTHLETE_API_VERSION: 'V3',
      AUTHLETE_SERVICE_APIKEY: String(emu.serviceId),
      AUTHLETE_SERVICE_ACCESSTOKEN: emu.accessToken,
    }
    const app = await startApp(platform, format, env)
    children.push(app.child)
    ;({ url, log } = app)
    ;({ accessToken } = await emu.createToken({ subject: 'alice', scopes: ['profile'], dpopKeyThumbprint: key.thumbprint }))
  }, 60_000)

  const dpopGet = async (path: string, htu = `${url}${path}`) =>
    fetch(`${url}${path}`, { headers: { authorization: `DPoP ${accessToken}`, dpop: await createDpopProof(key, { htm: 'GET', htu, accessToken }) } })

  it('a DPoP-bound token with a proof for the URL called -> 200 with the principal', async () => {
    const res = await dpopGet('/api/me')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: 'alice', scopes: ['profile'], tokenType: 'DPoP' })
  })

  it('a proof for another URL -> 401 invalid_dpop_proof, as the guard wrote it', async () => {
    const res = await dpopGet('/api/me', `${url}/api/other`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toMatchObject({ error: 'invalid_dpop_proof' })
  })

  it('no token -> 401 with a challenge offering Bearer and DPoP and no error code', async () => {
    const res = await fetch(`${url}/api/me`)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer.*DPoP/)
    expect(res.headers.get('www-authenticate')).not.toMatch(/error=/)
  })

  it('a token without the scope -> 403 insufficient_scope', async () => {
    const res = await dpopGet('/api/admin')
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/)
    expect(await res.json()).toMatchObject({ error: 'insufficient_scope' })
  })

  it('the app logged no error or warning of its own', () => {
    expect(log().replace(/^.*ExperimentalWarning.*$\n?|^\(Use `node --trace-warnings.*$\n?/gm, '').replace(/LISTENING \S+\n/, '')).toBe('')
  })
})
