// The published shape of every package, as a user gets it: publint and "Are the types wrong?"
// on each package, then the packed tarballs installed with npm into a scratch project and
// imported from ESM and required from CJS. Needs the packages built (`pnpm test` builds first).
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { publint } from 'publint'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const PACKAGES = ['core', 'emulator', 'express', 'koa', 'fastify', 'next', 'hono', 'nestjs', 'redis', 'opentelemetry', 'mcp'] as const
// Nest itself, which @authlete-guard/nestjs imports at run time (decorators, tokens), with its own
// peers; the OpenTelemetry API, which @authlete-guard/opentelemetry imports at run time.
const RUNTIME_PEERS = { '@nestjs/common': '^12.0.0', '@nestjs/core': '^12.0.0', 'reflect-metadata': '^0.2.2', rxjs: '^7.8.2', '@opentelemetry/api': '~1.9.1' }
const dir = (name: string) => join(root, 'packages', name)
const manifest = (name: string) => JSON.parse(readFileSync(join(dir(name), 'package.json'), 'utf8'))

beforeAll(async () => {
  if (PACKAGES.some((name) => !existsSync(join(dir(name), 'dist', 'index.js')))) {
    await run('pnpm', ['-r', '--filter', './packages/*', 'build'], { cwd: root })
  }
}, 180_000)

describe.each(PACKAGES)('@authlete-guard/%s manifest', (name) => {
  it('declares what a published package needs', () => {
    const pkg = manifest(name)
    expect(pkg.name).toBe(`@authlete-guard/${name}`)
    expect(pkg.files).toEqual(['dist'])
    expect(pkg.engines).toEqual({ node: '>=20.18' })
    expect(pkg.sideEffects).toBe(false)
    expect(pkg.license).toBe('Apache-2.0')
    expect(pkg.repository?.url).toMatch(/authlete-guard/)
    expect(Object.keys(pkg.exports['.'].import)[0]).toBe('types')
    expect(Object.keys(pkg.exports['.'].require)[0]).toBe('types')
  })
  it('passes publint', async () => {
    const { messages } = await publint({ pkgDir: dir(name), level: 'warning', strict: true, pack: 'pnpm' })
    expect(messages.map((m) => `${m.type}: ${m.code} ${JSON.stringify(m.path)}`)).toEqual([])
  }, 60_000)
  it('passes @arethetypeswrong/cli for ESM and CJS consumers (node16 and bundler)', async () => {
    const attw = join(root, 'node_modules', '.bin', 'attw')
    const { stdout } = await run(attw, ['--pack', dir(name), '--format', 'json', '--profile', 'node16'], { cwd: root }).catch((e) => e)
    const report = JSON.parse(stdout)
    const problems = [...(report.analysis?.problems ?? []), ...Object.values(report.problems ?? {}).flat()]
    expect(problems).toEqual([])
    expect(report.analysis?.types).toBeTruthy()
  }, 90_000)
})

describe('installed from the packed tarballs into a scratch project', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'authlete-guard-consumer-'))
  afterAll(() => rmSync(scratch, { recursive: true, force: true }))

  beforeAll(async () => {
    const tarballs: Record<string, string> = {}
    for (const name of PACKAGES) {
      const { stdout } = await run('pnpm', ['pack', '--pack-destination', scratch], { cwd: dir(name) })
      const file = stdout.trim().split('\n').pop()!.trim()
      tarballs[`@authlete-guard/${name}`] = `file:${file.startsWith('/') ? file : join(scratch, file)}`
    }
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'consumer', private: true, dependencies: { ...tarballs, ...RUNTIME_PEERS }, overrides: tarballs }, null, 2))
    // Other peer frameworks are not needed to load the adapters: they import only types from them.
    await run('npm', ['install', '--no-audit', '--no-fund', '--legacy-peer-deps', '--prefer-offline'], { cwd: scratch })
  }, 240_000)

  it('ESM consumers import every package', async () => {
    writeFileSync(join(scratch, 'esm.mjs'), `
      import { createGuard, createAuthleteClient, isAuthleteGuardError } from '@authlete-guard/core'
      import { startEmulator, createDpopKeyPair, createDpopProof } from '@authlete-guard/emulator'
      import { protect as expressProtect } from '@authlete-guard/express'
      import { protect as koaProtect } from '@authlete-guard/koa'
      import authleteGuard from '@authlete-guard/fastify'
      import { withAuth } from '@authlete-guard/next'
      import { protect as honoProtect } from '@authlete-guard/hono'
      import { AuthleteGuardModule, Protect, Auth } from '@authlete-guard/nestjs'
      import { createRedisReplayStore, createRedisIntrospectionCache } from '@authlete-guard/redis'
      import { instrumentAuthleteGuard } from '@authlete-guard/opentelemetry'
      import { mcpAuth, toMcpAuthInfo } from '@authlete-guard/mcp' // the MCP SDK is not installed: types only
      import { createGuard as createNodeGuard, fromNodeRequest } from '@authlete-guard/core/node'
      import { createAuthorizationServer } from '@authlete-guard/core/authorization-server'
      import { decide } from '@authlete-guard/core/unstable'
      const emu = await startEmulator()
      const instrumentation = instrumentAuthleteGuard() // the API's no-op providers: nothing registered
      const guard = createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken } })
      const key = await createDpopKeyPair('ES256')
      const { accessToken } = await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })
      const htu = 'http://api.example.com/x'
      const dpop = await createDpopProof(key, { htm: 'GET', htu, accessToken })
      const d = await guard.check({ method: 'GET', url: '/x', headers: { host: 'api.example.com', authorization: 'DPoP ' + accessToken, dpop } }, { scopes: ['read'] })
      await guard.close(); await emu.close(); instrumentation.disable()
      console.log(JSON.stringify({ allowed: d.allowed, sub: d.auth?.subject, fns: [typeof createAuthleteClient, typeof isAuthleteGuardError, typeof expressProtect, typeof koaProtect, typeof authleteGuard, typeof withAuth, typeof honoProtect, typeof createNodeGuard, typeof fromNodeRequest, typeof createAuthorizationServer, typeof decide, typeof AuthleteGuardModule.forRoot, typeof Protect, typeof Auth, typeof createRedisReplayStore, typeof createRedisIntrospectionCache, typeof instrumentAuthleteGuard, typeof mcpAuth, typeof toMcpAuthInfo] }))
    `)
    const { stdout } = await run(process.execPath, ['esm.mjs'], { cwd: scratch })
    expect(JSON.parse(stdout)).toEqual({ allowed: true, sub: 'alice', fns: Array(19).fill('function') })
  }, 60_000)

  it('CJS consumers require every package', async () => {
    writeFileSync(join(scratch, 'cjs.cjs'), `
      const core = require('@authlete-guard/core')
      const emulator = require('@authlete-guard/emulator')
      const express = require('@authlete-guard/express')
      const koa = require('@authlete-guard/koa')
      const fastify = require('@authlete-guard/fastify')
      const next = require('@authlete-guard/next')
      const hono = require('@authlete-guard/hono')
      const nestjs = require('@authlete-guard/nestjs')
      const redis = require('@authlete-guard/redis')
      const opentelemetry = require('@authlete-guard/opentelemetry')
      const mcp = require('@authlete-guard/mcp')
      const node = require('@authlete-guard/core/node')
      const as = require('@authlete-guard/core/authorization-server')
      let code
      try { core.createGuard({ authlete: { baseUrl: 'nope' } }) } catch (e) { code = e.code }
      console.log(JSON.stringify({ code, fns: [typeof core.createGuard, typeof emulator.startEmulator, typeof express.protect, typeof koa.protect, typeof (fastify.default ?? fastify), typeof next.withAuth, typeof hono.protect, typeof node.createGuard, typeof as.createAuthorizationServer, typeof nestjs.AuthleteGuardModule.forRoot, typeof nestjs.Protect, typeof nestjs.Auth, typeof redis.createRedisReplayStore, typeof redis.createRedisIntrospectionCache, typeof opentelemetry.instrumentAuthleteGuard, typeof mcp.mcpAuth, typeof mcp.requireScopes] }))
    `)
    const { stdout } = await run(process.execPath, ['cjs.cjs'], { cwd: scratch })
    expect(JSON.parse(stdout)).toEqual({ code: 'ERR_INVALID_CONFIG', fns: Array(17).fill('function') })
  }, 60_000)

  it('the emulator CLI is installed as a bin', async () => {
    expect(existsSync(join(scratch, 'node_modules', '.bin', 'authlete-emulator'))).toBe(true)
  })
})
