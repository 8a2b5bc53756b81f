/**
 * What a package's BUILT files request at run time: every module request esbuild finds in a file
 * (import, export from, import(), require()), with the bundling stopped at packages, so the built
 * package's own view of its dependencies. Used by the adapters' dist tests.
 */
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect } from 'vitest'

const run = promisify(execFile)

interface Metafile {
  inputs: Record<string, { imports: Array<{ path: string; external?: boolean }> }>
}
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ metafile: Metafile }>
}
/** The esbuild tsup builds with (not a dependency of the packages of their own). */
const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild') as Esbuild

/** The external modules a file (or a snippet) requests, by name. */
export async function modulesRequested(source: { file?: string; contents?: string; format: 'esm' | 'cjs' }): Promise<string[]> {
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

/** The package's dist folder, built if missing; fails when a src file is newer than the build. */
export async function builtDist(packageDir: string): Promise<string> {
  const dist = join(packageDir, 'dist')
  if (!existsSync(join(dist, 'index.js'))) await run('pnpm', ['build'], { cwd: packageDir })
  const built = statSync(join(dist, 'index.js')).mtimeMs
  const newer = readdirSync(join(packageDir, 'src')).filter((file) => statSync(join(packageDir, 'src', file)).mtimeMs > built)
  expect(newer, 'src changed after the last build: run `pnpm build` (`pnpm test` does)').toEqual([])
  return dist
}
