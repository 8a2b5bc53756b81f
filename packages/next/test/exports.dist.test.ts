import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { builtDist, modulesRequested } from '../../../test/support/built-imports'

// Needs `pnpm build` (a *.dist.test.ts: the slow lane).
describe('the built package (dist, as `pnpm build` makes it) imports nothing of next at run time', () => {
  // Every module request of the built files, as esbuild sees them (test/support/built-imports.ts).
  let dist: string
  beforeAll(async () => {
    dist = await builtDist(fileURLToPath(new URL('..', import.meta.url)))
  }, 120_000)

  it.each([
    ["import 'next/server'", 'esm', 'next/server'],
    ["export { NextResponse } from 'next/server.js'", 'esm', 'next/server.js'],
    ["await import('next/headers')", 'esm', 'next/headers'],
    ["const { NextResponse } = require('next')", 'cjs', 'next'],
  ] as const)('the scan finds a next import where there is one: %s', async (contents, format, name) => {
    expect(nextModules(await modulesRequested({ contents, format }))).toEqual([name])
  })

  it.each([
    ['index.js', 'esm'],
    ['index.cjs', 'cjs'],
  ] as const)('dist/%s requests @authlete-guard/core (root and /adapter) and no next module', async (file, format) => {
    const modules = await modulesRequested({ file: join(dist, file), format })
    expect(modules).toContain('@authlete-guard/core')
    expect(nextModules(modules)).toEqual([])
    // Nor a Node.js built-in: the edge runtime (edge routes, Next 14/15 middleware) bundles it.
    // The core's two runtime-neutral entries only: the root and the adapters' re-export list.
    expect(modules.filter((name) => name !== '@authlete-guard/core' && name !== '@authlete-guard/core/adapter')).toEqual([])
  })
})

const nextModules = (modules: string[]) => modules.filter((name) => name === 'next' || name.startsWith('next/'))

