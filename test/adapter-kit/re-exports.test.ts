// Every adapter re-exports the one list of @authlete-guard/core/adapter, the same values, plus its
// runtime's createGuard: /node's createNodeGuard on Express, Fastify, Koa and NestJS, the root
// entry's createGuard on Hono and Next (issue 20, point 4).
import { describe, expect, it } from 'vitest'
import * as root from '@authlete-guard/core'
import * as list from '@authlete-guard/core/adapter'
import * as node from '@authlete-guard/core/node'
import * as express from '@authlete-guard/express'
import * as fastify from '@authlete-guard/fastify'
import * as hono from '@authlete-guard/hono'
import * as koa from '@authlete-guard/koa'
import * as nestjs from '@authlete-guard/nestjs'
import * as next from '@authlete-guard/next'

const adapters: Record<string, { module: Record<string, unknown>; createGuard: unknown }> = {
  express: { module: express, createGuard: node.createNodeGuard },
  fastify: { module: fastify, createGuard: node.createNodeGuard },
  koa: { module: koa, createGuard: node.createNodeGuard },
  nestjs: { module: nestjs, createGuard: node.createNodeGuard },
  hono: { module: hono, createGuard: root.createGuard },
  next: { module: next, createGuard: root.createGuard },
}

describe.each(Object.keys(adapters))('@authlete-guard/%s', (name) => {
  const { module, createGuard } = adapters[name]!

  it("re-exports every name of the core's list, the very same values", () => {
    expect(Object.keys(list).length).toBeGreaterThan(0)
    for (const [key, value] of Object.entries(list)) expect(module[key], key).toBe(value)
  })

  it("exports its runtime's createGuard", () => {
    expect(module.createGuard).toBe(createGuard)
  })
})
