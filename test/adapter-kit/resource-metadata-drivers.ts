/**
 * Every adapter's `resourceMetadata`, each in a real app of its framework on 127.0.0.1, for the
 * one table in `resource-metadata.test.ts`. Each app serves the guard's metadata the adapter's
 * documented way and has one route of its own, `GET /hello` (answering `hello from <name>`), to show
 * that other requests reach the app.
 */
import { serve } from '@hono/node-server'
import { Controller, Get, Module, type INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import express from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import Koa2 from 'koa2'
import { createServer, type IncomingMessage, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Guard, GuardFactory, ResourceMetadataServeOptions } from '@authlete-guard/core'
import * as expressAdapter from '@authlete-guard/express'
import * as fastifyAdapter from '@authlete-guard/fastify'
import * as honoAdapter from '@authlete-guard/hono'
import * as koaAdapter from '@authlete-guard/koa'
import { AuthleteGuardModule } from '@authlete-guard/nestjs'
import * as nextAdapter from '@authlete-guard/next'

/** A running app. */
export interface MetadataApp {
  url: string
  close(): Promise<void>
}

export interface MetadataDriver {
  name: string
  /** The app, serving the metadata of `guard` (a factory only where the adapter takes one). */
  start(guard: Guard | GuardFactory, options?: ResourceMetadataServeOptions): Promise<MetadataApp>
  /** Set the metadata up the adapter's way and build the app, without listening: where a bad guard is refused. */
  setUp(guard: Guard): Promise<void>
}

/** Serve a Node request listener on 127.0.0.1:0. */
async function listen(listener: RequestListener): Promise<MetadataApp> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

const hello = (name: string) => `hello from ${name}`

function expressApp(guard: Guard, options?: ResourceMetadataServeOptions, createExpress: typeof express = express) {
  const app = createExpress()
  app.use(expressAdapter.resourceMetadata(guard, options))
  app.get('/hello', (_req, res) => void res.send(hello('express')))
  return app
}

function koaApp(guard: Guard, options?: ResourceMetadataServeOptions, KoaClass: typeof Koa = Koa) {
  const app = new KoaClass()
  app.use(koaAdapter.resourceMetadata(guard, options))
  app.use(async (ctx, next) => {
    if (ctx.path !== '/hello') return next()
    ctx.body = hello('koa')
  })
  return app
}

async function fastifyApp(guard: Guard, options?: ResourceMetadataServeOptions) {
  const app = Fastify({ logger: false })
  await app.register(fastifyAdapter.resourceMetadata(guard, options))
  app.get('/hello', async () => hello('fastify'))
  await app.ready()
  return app
}

function honoApp(guard: Guard | GuardFactory, options?: ResourceMetadataServeOptions) {
  const app = new Hono()
  app.use(honoAdapter.resourceMetadata(guard, options))
  app.get('/hello', (c) => c.text(hello('hono')))
  return app
}

/**
 * What `next start` does with the app's two route files: `/hello` (app/hello/route.ts) and
 * everything at or under `/.well-known/oauth-protected-resource` (the optional catch-all
 * app/.well-known/oauth-protected-resource/[[...path]]/route.ts, exporting the object's handlers);
 * a method the route file does not export gets Next's 405, any other path 404.
 */
function nextListener(guard: Guard | GuardFactory, options?: ResourceMetadataServeOptions): RequestListener {
  const metadataRoute: Partial<Record<string, (request: Request) => Promise<Response>>> = { ...nextAdapter.resourceMetadata(guard, options) }
  const helloRoute: Partial<Record<string, (request: Request) => Promise<Response>>> = { GET: async () => new Response(hello('next')) }
  return (req, res) => {
    const request = toFetchRequest(req)
    const { pathname } = new URL(request.url)
    const route = pathname === '/hello' ? helloRoute : pathname === '/.well-known/oauth-protected-resource' || pathname.startsWith('/.well-known/oauth-protected-resource/') ? metadataRoute : undefined
    const handler = route?.[request.method]
    const response = route === undefined ? Promise.resolve(new Response(null, { status: 404 })) : handler ? handler(request) : Promise.resolve(new Response(null, { status: 405 }))
    response
      .then(async (answer) => {
        res.writeHead(answer.status, [...answer.headers].flat())
        res.end(Buffer.from(await answer.arrayBuffer()))
      })
      .catch((error: unknown) => res.writeHead(500).end(String(error)))
  }
}

/** What `next start` hands a route handler: origin `http://localhost:PORT`, every header as received. */
function toFetchRequest(req: IncomingMessage): Request {
  const headers = new Headers()
  for (const [name, values] of Object.entries(req.headersDistinct)) for (const value of values ?? []) headers.append(name, value)
  return new Request(`http://localhost:${req.socket.localPort}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers })
}

@Controller()
class HelloController {
  @Get('hello')
  hello() {
    return hello('nestjs')
  }
}

@Module({})
class MetadataAppModule {}

async function nestApp(platform: 'express' | 'fastify', guard: Guard, options?: ResourceMetadataServeOptions): Promise<INestApplication> {
  const root = { module: MetadataAppModule, imports: [AuthleteGuardModule.forRoot({ guard, resourceMetadata: options ?? true })], controllers: [HelloController] }
  const app = await NestFactory.create(root, platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(), { logger: false, abortOnError: false })
  await app.init()
  return app
}

function nestDriver(platform: 'express' | 'fastify'): MetadataDriver {
  return {
    name: `nestjs-${platform}`,
    async start(guard, options) {
      const app = await nestApp(platform, guard as Guard, options)
      await app.listen(0, '127.0.0.1')
      return { url: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`, close: () => app.close() }
    },
    async setUp(guard) {
      await (await nestApp(platform, guard)).close()
    },
  }
}

export const drivers: MetadataDriver[] = [
  {
    name: 'express',
    start: async (guard, options) => listen(expressApp(guard as Guard, options)),
    setUp: async (guard) => void expressApp(guard),
  },
  {
    name: 'express4',
    start: async (guard, options) => listen(expressApp(guard as Guard, options, express4)),
    setUp: async (guard) => void expressApp(guard, undefined, express4),
  },
  {
    name: 'koa',
    start: async (guard, options) => listen(koaApp(guard as Guard, options).callback()),
    setUp: async (guard) => void koaApp(guard),
  },
  {
    name: 'koa2',
    start: async (guard, options) => listen(koaApp(guard as Guard, options, Koa2).callback()),
    setUp: async (guard) => void koaApp(guard, undefined, Koa2),
  },
  {
    name: 'fastify',
    async start(guard, options) {
      const app = await fastifyApp(guard as Guard, options)
      await app.listen({ host: '127.0.0.1', port: 0 })
      return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() }
    },
    setUp: async (guard) => void (await fastifyApp(guard)).close(),
  },
  {
    name: 'hono',
    async start(guard, options) {
      const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
        const s = serve({ fetch: honoApp(guard, options).fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
      })
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        async close() {
          ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
          await new Promise((resolve) => server.close(resolve))
        },
      }
    },
    setUp: async (guard) => void honoApp(guard),
  },
  {
    name: 'next',
    start: async (guard, options) => listen(nextListener(guard, options)),
    setUp: async (guard) => void nextListener(guard),
  },
  nestDriver('express'),
  nestDriver('fastify'),
]

/** The drivers whose adapter takes a guard factory (`GuardFactory`) as well as a guard. */
export const FACTORY_DRIVERS = ['hono', 'next']
