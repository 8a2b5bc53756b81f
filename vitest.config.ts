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
  'core/adapter': 'core/src/kit/adapter-exports.ts',
  emulator: 'emulator/src/index.ts',
  express: 'express/src/index.ts',
  koa: 'koa/src/index.ts',
  fastify: 'fastify/src/index.ts',
  next: 'next/src/index.ts',
  hono: 'hono/src/index.ts',
  nestjs: 'nestjs/src/index.ts',
  redis: 'redis/src/index.ts',
  opentelemetry: 'opentelemetry/src/index.ts',
  mcp: 'mcp/src/index.ts',
}).map(([name, path]) => ({ find: new RegExp(`^@authlete-guard/${name}$`), replacement: src(path) }))

/**
 * The slow lane: suites that need the built packages (`dist`, packed tarballs), a Next build, other
 * runtimes (workerd, Deno, Bun) or several processes, and a package's own checks of its build
 * (`packages/<name>/test/*.dist.test.ts`). `pnpm test` runs every project (after `pnpm build`);
 * `pnpm test:unit` runs all but this one, with no build; `pnpm test:slow` only this one. The type
 * tests (`*.test-d.ts`) are in no project: `pnpm typecheck` (one `tsc` over tsconfig.json) checks
 * them, and `pnpm test` and `pnpm test:unit` run it.
 */
const DIST = 'packages/*/test/**/*.dist.test.ts'
const SLOW = [...['e2e', 'package-shape', 'runtimes', 'multi-instance'].map((dir) => `test/${dir}/**/*.test.ts`), DIST]

const project = (name: string, include: string[]) => ({ extends: true as const, test: { name, include } })

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
    testTimeout: 20_000,
    hookTimeout: 120_000,
    projects: [
      ...['core', 'emulator', 'express', 'koa', 'fastify', 'next', 'hono', 'nestjs', 'redis', 'opentelemetry', 'mcp'].map((name) =>
        project(name, [`packages/${name}/test/**/*.test.ts`, `!${DIST}`]),
      ),
      project('cross-package', ['test/**/*.test.ts', ...SLOW.map((glob) => `!${glob}`)]),
      project('slow', SLOW),
    ],
  },
})
