/**
 * The `authlete-emulator` binary as a real process, built from the sources: src/cli.ts bundled by
 * the esbuild tsup builds dist/cli.js with (same entry, platform node), into a temporary folder,
 * so the tests need no `pnpm build` and never run a stale dist. `runCli()` runs it with `node`,
 * bounded by a timeout, with only the environment given (never the test process's AUTHLETE_*).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>
}
/** The esbuild tsup builds with (not a dependency of the emulator's own). */
const esbuild = createRequire(createRequire(import.meta.url).resolve('tsup'))('esbuild') as Esbuild

/** What a finished CLI process gave. */
export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** The bundled binary; call `remove()` in `afterAll`. */
export interface CliBinary {
  /** The bundle's path: `node <path> args...` is `authlete-emulator args...`. */
  readonly path: string
  run(args: readonly string[], env?: Record<string, string>): Promise<CliRun>
  remove(): void
}

/** Bundle src/cli.ts (about 50 ms) and return a way to run it. */
export async function buildCli(): Promise<CliBinary> {
  const dir = mkdtempSync(join(tmpdir(), 'authlete-emulator-cli-'))
  const path = join(dir, 'cli.mjs')
  await esbuild.build({
    entryPoints: [fileURLToPath(new URL('../src/cli.ts', import.meta.url))],
    outfile: path,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
  })
  return {
    path,
    run: (args, env = {}) =>
      new Promise((resolve, reject) => {
        execFile(process.execPath, [path, ...args], { timeout: 15_000, env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') return reject(error)
          resolve({ code: error ? (error.code as number) : 0, stdout, stderr })
        })
      }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
