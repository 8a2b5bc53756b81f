import Koa from 'koa'
import { koaDriver } from './koa'

/** Koa 3 (`koa`). */
export const koa3 = koaDriver('koa3', Koa)
