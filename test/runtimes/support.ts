// Shared by the runtime tests: esbuild bundles that report what they pulled in, and the Deno/Bun
// child processes that serve app.ts (spawned from the real binaries, bounded, always killed).
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire, isBuiltin } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type BuildOptions, type Plugin } from 'esbuild'
import type { Env } from './app'

/** test/runtimes: bare imports resolve from test/node_modules, as a user's project would. */
export const HERE = dirname(fileURLToPath(import.meta.url))
/** test/: the workspace package with hono, deno, bun, esbuild and miniflare. */
export const TEST_DIR = dirname(HERE)

/** Per test (a runtime has to start, compile and call Authlete) and per hook (bundling, spawning). */
export const TIMEOUT = { test: 60_000, hook: 120_000 }

export interface Bundle {
  code: string
  /** Every file bundled, relative to the repository root (`packages/core/dist/index.js`, `node_modules/.pnpm/undici@.../...`). */
  inputs: string[]
  /** Node built-ins imported anywhere in the bundle, static or `import()` (`node:crypto (import-statement in ...)`); none is bundled. */
  nodeImports: string[]
}

/**
 * Bundle like a Workers/edge build does: platform `neutral`, ESM, `module` before `main`, no
 * tsconfig `paths` (the root tsconfig maps the packages to their sources; a user gets dist).
 * Node built-ins are not refused but recorded (and left external), so that a test can say which
 * file wanted them instead of failing on esbuild's "Could not resolve".
 */
export async function bundle(entry: { file: string } | { contents: string }, options: Pick<BuildOptions, 'external' | 'conditions'> = {}): Promise<Bundle> {
  const nodeImports = new Set<string>()
  const recordBuiltins: Plugin = {
    name: 'record-node-builtins',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        // Any `node:` name counts, also one this Node does not know yet (`node:sqlite` on Node 20).
        if (!args.path.startsWith('node:') && !isBuiltin(args.path)) return undefined
        nodeImports.add(`${args.path} (${args.kind} in ${args.importer.replace(`${dirname(TEST_DIR)}/`, '')})`)
        return { path: args.path, external: true }
      })
    },
  }
  const result = await build({
    ...('file' in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.contents, resolveDir: HERE, loader: 'ts' } }),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    tsconfigRaw: '{}',
    metafile: true,
    logLevel: 'silent',
    plugins: [recordBuiltins],
    ...options,
  })
  const root = dirname(TEST_DIR)
  return {
    code: result.outputFiles[0]!.text,
    inputs: Object.keys(result.metafile.inputs).map((path) => (path.startsWith('/') ? path : join(process.cwd(), path)).replace(`${root}/`, '')),
    nodeImports: [...nodeImports],
  }
}

/**
 * A runtime's real executable, from its npm package in test/ (not the `.bin` wrapper: deno's is a
 * Node script whose child a kill would not reach). A missing one FAILS the run: CI never skips.
 */
export function runtimeBinary(pkg: 'deno' | 'bun'): string {
  const require = createRequire(join(TEST_DIR, 'package.json'))
  let path: string
  try {
    // deno's postinstall is not run (pnpm-workspace.yaml allowBuilds): its own install API links
    // the binary of @deno/<platform> into the package on first use, as its bin.cjs does.
    path = pkg === 'deno' ? (require('deno/install_api.cjs') as { runInstall(): string }).runInstall() : join(dirname(require.resolve('bun/package.json')), 'bin/bun.exe')
  } catch (error) {
    throw new Error(`${pkg} is not installed in test/ (pnpm install): ${(error as Error).message}`)
  }
  // bun's bin/bun.exe is a small placeholder until its postinstall links the real binary.
  if (!existsSync(path) || statSync(path).size < 1_000_000) throw new Error(`${pkg}: no runtime binary at ${path} (did its postinstall run?)`)
  return path
}

export interface RuntimeServer {
  /** `http://127.0.0.1:PORT` */
  origin: string
  /** What the runtime resolved `@authlete-guard/hono` to. */
  resolved: string
  close(): Promise<void>
}

const SERVER = join(HERE, 'server.ts')
/** Exactly the variables `authleteOptionsFromEnv()` reads: Deno grants no other. */
const AUTHLETE_VARS = ['AUTHLETE_BASE_URL', 'AUTHLETE_API_VERSION', 'AUTHLETE_SERVICE_APIKEY', 'AUTHLETE_SERVICE_APISECRET', 'AUTHLETE_SERVICE_ACCESSTOKEN']

export interface Runtime {
  name: 'deno' | 'bun'
  /** Start server.ts with `env`; `scratch` is a private temporary folder. */
  start(env: Env, scratch: string): Promise<RuntimeServer>
}

export const runtimes: Runtime[] = [
  {
    name: 'deno',
    start: (env, scratch) =>
      serve(
        runtimeBinary('deno'),
        [
          'run',
          '--sloppy-imports', // app.ts is imported without an extension, as tsc and esbuild want it
          '--no-remote',
          '--cached-only', // nothing is downloaded: packages come from test/node_modules
          '--node-modules-dir=manual',
          '--no-prompt',
          '--allow-net=127.0.0.1', // listen on, and call the emulator at, 127.0.0.1 only
          `--allow-env=${AUTHLETE_VARS.join(',')}`,
          SERVER,
        ],
        // A fresh cache folder: proves no earlier download is relied on.
        { ...env, DENO_DIR: join(scratch, 'deno'), DENO_NO_UPDATE_CHECK: '1' },
      ),
  },
  {
    name: 'bun',
    async start(env, scratch) {
      const tsconfig = join(scratch, 'tsconfig.json')
      await writeFile(tsconfig, '{}')
      return serve(runtimeBinary('bun'), ['--no-install', '--no-env-file', `--tsconfig-override=${tsconfig}`, SERVER], { ...env, DO_NOT_TRACK: '1' })
    },
  },
]

/** A private temporary folder, removed by the returned function. */
export async function scratchDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'authlete-guard-runtimes-'))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

/**
 * Spawn `bin args` in test/ with only PATH, HOME and `env`, and wait (bounded) for the JSON line
 * server.ts prints once it listens. An early exit or a timeout rejects with the child's output.
 */
async function serve(bin: string, args: string[], env: Record<string, string | undefined>): Promise<RuntimeServer> {
  const child = spawn(bin, args, {
    cwd: TEST_DIR,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('did not print its port within 30 s')), 30_000)
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk
        const newline = stdout.indexOf('\n')
        if (newline !== -1) {
          clearTimeout(timer)
          resolve(stdout.slice(0, newline))
        }
      })
      child.once('error', (error) => (clearTimeout(timer), reject(error)))
      child.once('exit', (code, signal) => (clearTimeout(timer), reject(new Error(`exited (${code ?? signal}) before listening`))))
    })
    const { port, resolved } = JSON.parse(line) as { port: number; resolved: string }
    return { origin: `http://127.0.0.1:${port}`, resolved, close }
  } catch (error) {
    await close()
    throw new Error(`${bin} ${args.join(' ')}: ${(error as Error).message}\nstdout: ${stdout}\nstderr: ${stderr}`)
  }
}
