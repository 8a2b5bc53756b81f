// Real Nest applications for the package's tests, on either HTTP platform, on 127.0.0.1:0.
import { Controller, Get, type DynamicModule, type INestApplication, type LoggerService, type Type } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll } from 'vitest'
import { Auth, Protect, type AccessTokenInfo } from '../src/index'

export type Platform = 'express' | 'fastify'
export const PLATFORMS: Platform[] = ['express', 'fastify']

/** `GET /me`, protected with scope `profile`, answering `{ sub }` from `@Auth()`. */
@Controller()
export class MeController {
  @Get('me')
  @Protect({ scopes: ['profile'] })
  me(@Auth() auth: AccessTokenInfo) {
    return { sub: auth.subject }
  }
}

/** A Nest logger that keeps what it is told, to assert that nothing was logged. */
export function recordingLogger(): LoggerService & { lines: string[] } {
  const lines: string[] = []
  const keep = (level: string) => (message: unknown) => void lines.push(`${level}: ${String(message)}`)
  return { lines, log: () => {}, error: keep('error'), warn: keep('warn'), fatal: keep('fatal') }
}

export interface StartOptions {
  logger?: LoggerService | false
  /** Lines Fastify's own logger writes at `warn` and above (Fastify platform only). */
  fastifyLog?: string[]
  /** Called before `listen` (global prefix, `trust proxy`, filters, Fastify hooks). */
  setup?: (app: INestApplication) => void | Promise<void>
}

/** Creates Nest apps for a test file and closes them after it. */
export function useNestApps() {
  const apps: INestApplication[] = []
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()))
  })
  return {
    /** Create (not listen) an app: for start-up errors, which surface in `init()`. */
    async create(root: Type | DynamicModule, platform: Platform, options: StartOptions = {}): Promise<INestApplication> {
      const fastifyLogger = options.fastifyLog && { level: 'warn', stream: { write: (line: string) => void options.fastifyLog!.push(line) } }
      const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(fastifyLogger ? { logger: fastifyLogger } : {})
      const app = await NestFactory.create(root, adapter, { logger: options.logger ?? false, abortOnError: false })
      apps.push(app)
      return app
    },
    /** Create an app and serve it; resolves to its base URL. */
    async start(root: Type | DynamicModule, platform: Platform, options: StartOptions = {}): Promise<string> {
      const app = await this.create(root, platform, options)
      await options.setup?.(app)
      await app.listen(0, '127.0.0.1')
      return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`
    },
  }
}

/**
 * Everything the server writes on one connection for one request (`Connection: close`), raw:
 * shows a second response or extra bytes that a client library would hide.
 */
export function rawExchange(url: string, path: string, headers: Record<string, string> = {}): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let received = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (received += chunk))
    socket.on('end', () => resolve(received))
    socket.on('error', reject)
    const lines = [`GET ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
    socket.write(`${lines.join('\r\n')}\r\n\r\n`)
  })
}

/** The error `fn` throws or rejects with, for assertions outside a catch. */
export async function failure(fn: () => unknown): Promise<unknown> {
  try {
    await fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a failure, got none')
}
