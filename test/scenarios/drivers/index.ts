import type { AdapterDriver } from '../harness'
import { express4Driver } from './express4'
import { express5 } from './express5'
import { koa2 } from './koa2'
import { koa3 } from './koa3'
import { fastify } from './fastify'
import { next } from './next'
import { hono } from './hono'
import { nestjsExpress } from './nestjs-express'
import { nestjsFastify } from './nestjs-fastify'

/**
 * Every adapter the scenario table runs against. To add one: write `drivers/<name>.ts` exporting
 * an `AdapterDriver` (see `../harness.ts` for the routes its app must expose) and append it here.
 */
export const drivers: AdapterDriver[] = [express5, express4Driver, koa3, koa2, fastify, next, hono, nestjsExpress, nestjsFastify]
