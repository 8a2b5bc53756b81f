import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const pkg = (name: string) => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url))

// Tests import the packages' sources (no build needed for unit and scenario tests); the
// published shape (dist, exports map) is exercised separately by the package-shape tests.
const alias = {
  '@authlete-guard/core': pkg('core'),
  '@authlete-guard/emulator': pkg('emulator'),
  '@authlete-guard/express': pkg('express'),
  '@authlete-guard/koa': pkg('koa'),
  '@authlete-guard/fastify': pkg('fastify'),
  '@authlete-guard/next': pkg('next'),
}

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
      ...['core', 'emulator', 'express', 'koa', 'fastify', 'next'].map((name) =>
        project(name, [`packages/${name}/test/**/*.test.ts`]),
      ),
      project('cross-package', ['test/**/*.test.ts']),
    ],
  },
})
