import { execFile } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it, test } from 'vitest'
import * as api from '../src/index'

const run = promisify(execFile)

// The public surface grows only on purpose: a new export must be added here too.
test('public exports', () => {
  expect(Object.keys(api).sort()).toEqual([
    'AuthleteGuardError',
    'authFromHeaders',
    'authProxy',
    'authleteOptionsFromEnv',
    'checkInProxy',
    'createGuard',
    'isAuthleteGuardError',
    'withAuth',
    'withoutAuthHeaders',
  ])
})

describe('the built package (dist, as `pnpm build` makes it) imports nothing of next at run time', () => {
  // Every module request esbuild finds in a file (import, export from, import(), require()),
  // with the bundling stopped at packages: the built adapter's own view of its dependencies.
  const packageDir = fileURLToPath(new URL('..', import.meta.url))
  const dist = join(packageDir, 'dist')

  beforeAll(async () => {
    if (!existsSync(join(dist, 'index.js'))) await run('pnpm', ['build'], { cwd: packageDir })
    const built = statSync(join(dist, 'index.js')).mtimeMs
    const newer = readdirSync(join(packageDir, 'src')).filter((file) => statSync(join(packageDir, 'src', file)).mtimeMs > built)
    expect(newer, 'src changed after the last build: run `pnpm build` (`pnpm test` does)').toEqual([])
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
  ] as const)('dist/%s requests @authlete-guard/core and no next module', async (file, format) => {
    const modules = await modulesRequested({ file: join(dist, file), format })
    expect(modules).toContain('@authlete-guard/core')
    expect(nextModules(modules)).toEqual([])
    // Nor a Node.js built-in: the edge runtime (edge routes, Next 14/15 middleware) bundles it.
    expect(modules.filter((name) => name !== '@authlete-guard/core')).toEqual([])
  })
})

interface Metafile {
  inputs: Record<string, { imports: Array<{ path: string; external?: boolean }> }>
}
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ metafile: Metafile }>
}
/** The esbuild tsup builds with (not a dependency of this package of its own). */
const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild') as Esbuild

const nextModules = (modules: string[]) => modules.filter((name) => name === 'next' || name.startsWith('next/'))

/** The external modules a file (or a snippet) requests, by name. */
async function modulesRequested(source: { file?: string; contents?: string; format: 'esm' | 'cjs' }): Promise<string[]> {
  const { metafile } = await esbuild.build({
    ...(source.file ? { entryPoints: [source.file] } : { stdin: { contents: source.contents, sourcefile: 'snippet.js', loader: 'js', resolveDir: fileURLToPath(new URL('.', import.meta.url)) } }),
    format: source.format,
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node20',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  return Object.values(metafile.inputs).flatMap((input) => input.imports.filter((i) => i.external).map((i) => i.path))
}
