import Koa2 from 'koa2'
import { koaDriver } from './koa'

/** Koa 2 (`koa2`, the alias npm:koa@^2). */
export const koa2 = koaDriver('koa2', Koa2)
