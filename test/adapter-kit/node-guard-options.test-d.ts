// The Node adapters export Node's GuardOptions and AuthleteOptions (`NodeGuardOptions`,
// `NodeAuthleteOptions` of @authlete-guard/core/node), the options their createGuard takes: an
// annotated options object may carry the pool's `connections`, `maxQueued` and `dispatcher`.
import { Agent } from 'undici'
import { describe, expectTypeOf, it } from 'vitest'
import type { NodeGuardOptions } from '@authlete-guard/core/node'
import * as express from '@authlete-guard/express'
import * as fastify from '@authlete-guard/fastify'
import * as koa from '@authlete-guard/koa'
import * as nestjs from '@authlete-guard/nestjs'

const v3 = { baseUrl: 'https://us.authlete.com', serviceId: 1, accessToken: 't' }

describe("Node adapters: GuardOptions and AuthleteOptions are Node's", () => {
  it('an annotated options object takes the pool options', () => {
    const e: express.GuardOptions = { authlete: { ...v3, connections: 8, maxQueued: 64 } }
    const f: fastify.GuardOptions = { authlete: { ...v3, dispatcher: new Agent() } }
    const k: koa.AuthleteOptions = { ...v3, connections: 8 }
    const n: nestjs.AuthleteOptions = { ...v3, maxQueued: 0 }
    expectTypeOf([express.createGuard(e), fastify.createGuard(f), koa.createGuard({ authlete: k }), nestjs.createGuard({ authlete: n })]).toEqualTypeOf<express.Guard[]>()
  })

  it("is /node's NodeGuardOptions, the parameter of each adapter's createGuard", () => {
    expectTypeOf<express.GuardOptions>().toEqualTypeOf<NodeGuardOptions>()
    expectTypeOf<fastify.GuardOptions>().toEqualTypeOf<NodeGuardOptions>()
    expectTypeOf<koa.GuardOptions>().toEqualTypeOf<NodeGuardOptions>()
    expectTypeOf<nestjs.GuardOptions>().toEqualTypeOf<NodeGuardOptions>()
    expectTypeOf(express.createGuard).parameter(0).toEqualTypeOf<NodeGuardOptions>()
  })
})
