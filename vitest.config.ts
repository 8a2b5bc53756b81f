import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url))

// Tests import the packages' sources (no build needed for unit and scenario tests); the
// published shape (dist, exports map) is exercised separately by the package-shape tests.
// Exact matches: `@authlete-guard/core` must not swallow `@authlete-guard/core/node`.
const alias = Object.entries({
  core: 'core/src/index.ts',
  'core/node': 'core/src/node/index.ts',
  'core/authorization-server': 'core/src/authorization-server/index.ts',
  'core/unstable': 'core/src/unstable.ts',
  emulator: 'emulator/src/index.ts',
  express: 'express/src/index.ts',
  koa: 'koa/src/index.ts',
  fastify: 'fastify/src/index.ts',
  next: 'next/src/index.ts',
  hono: 'hono/src/index.ts',
  nestjs: 'nestjs/src/index.ts',
  redis: 'redis/src/index.ts',
  opentelemetry: 'opentelemetry/src/index.ts',
}).map(([name, path]) => ({ find: new RegExp(`^@authlete-guard/${name}$`), replacement: src(path) }))

const project = (name: string, include: string[]) => ({
  extends: true as const,
  test: { name, include, typecheck: { enabled: true, include: include.map((p) => p.replace(/\.test\.ts$/, '.test-d.ts')), tsconfig: './tsconfig.json' } },
})

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
    testTimeout: 20_000,
    hookTimeout: 120_000,
    projects: [
      ...['core', 'emulator', 'express', 'koa', 'fastify', 'next', 'hono', 'nestjs', 'redis', 'opentelemetry'].map((name) =>
        project(name, [`packages/${name}/test/**/*.test.ts`]),
      ),
      project('cross-package', ['test/**/*.test.ts']),
    ],
  },
})
