// One module instance backs every entry of the core (issue 20, point 4), in the BUILT packages:
// the core's entries share chunks (tsup splitting, ESM and CJS), so a Node process that loads the
// root, `/node` and an adapter has one `AuthleteGuardError` class, one replay-store module, one
// guard module. Checked twice: by the build's own source maps (each core module is in exactly one
// output file per format; an adapter holds none and imports no other adapter), and by loading the packages in a fresh Node process (ESM and CJS) from
// test/, where they resolve to packages/*/dist through the exports maps.
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { modulesRequested } from '../support/built-imports'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const ADAPTERS = ['express', 'koa', 'fastify', 'hono', 'next', 'nestjs'] as const
const dist = (name: string) => join(root, 'packages', name, 'dist')

beforeAll(async () => {
  if (['core', ...ADAPTERS].some((name) => !existsSync(join(dist(name), 'index.js')))) {
    await run('pnpm', ['-r', '--filter', './packages/*', 'build'], { cwd: root })
  }
}, 180_000)

/** output file -> the source files (relative to the repo) its source map says it holds. */
function sourcesByOutput(name: string, extension: '.js' | '.cjs'): Map<string, string[]> {
  const byOutput = new Map<string, string[]>()
  for (const file of readdirSync(dist(name)).filter((f) => f.endsWith(`${extension}.map`))) {
    const map = JSON.parse(readFileSync(join(dist(name), file), 'utf8')) as { sources: string[] }
    byOutput.set(file.slice(0, -'.map'.length), map.sources.map((source) => relative(root, resolve(dist(name), source))))
  }
  return byOutput
}

describe.each(['.js', '.cjs'] as const)('the built core, %s files', (extension) => {
  it('holds each of its modules in exactly one output file, and every entry is there', () => {
    const outputs = sourcesByOutput('core', extension)
    expect([...outputs.keys()].filter((file) => !file.startsWith('chunk-')).sort()).toEqual(
      ['adapter', 'authorization-server', 'index', 'node', 'unstable'].map((entry) => `${entry}${extension}`),
    )
    const holders = new Map<string, string[]>()
    for (const [output, sources] of outputs) for (const source of sources) holders.set(source, [...(holders.get(source) ?? []), output])
    expect([...holders.keys()]).toContain('packages/core/src/errors.ts')
    expect([...holders].filter(([, files]) => files.length > 1).map(([source, files]) => `${source}: ${files.join(', ')}`)).toEqual([])
  })

  it.each(ADAPTERS)('@authlete-guard/%s holds no module of the core and imports no other adapter', async (name) => {
    const copied = [...sourcesByOutput(name, extension).values()].flat().filter((source) => source.startsWith('packages/core/'))
    expect(copied).toEqual([])
    const requested = await modulesRequested({ file: join(dist(name), `index${extension}`), format: extension === '.js' ? 'esm' : 'cjs' })
    expect(requested.filter((module) => module.startsWith('@authlete-guard/') && !/^@authlete-guard\/core(\/|$)/.test(module))).toEqual([])
  })
})

/** Loads every entry, then reports what is shared: run as ESM (`await import`) or CJS (`require`). */
const probe = (load: string) => `
  ${load}('reflect-metadata')
  const core = ${load}('@authlete-guard/core'), node = ${load}('@authlete-guard/core/node')
  const as = ${load}('@authlete-guard/core/authorization-server'), list = ${load}('@authlete-guard/core/adapter')
  const adapters = { ${ADAPTERS.map((name) => `${name}: ${load}('@authlete-guard/${name}')`).join(', ')} }
  const bad = { authlete: { baseUrl: 'nope' } }
  const errorOf = (fn) => { try { fn() } catch (error) { return error } }
  const thrown = {
    'core createGuard': errorOf(() => core.createGuard(bad)),
    'core/node createNodeGuard': errorOf(() => node.createNodeGuard(bad)),
    'core/authorization-server': errorOf(() => as.createAuthorizationServer(bad)),
    'express createGuard': errorOf(() => adapters.express.createGuard(bad)),
    'express protect': errorOf(() => adapters.express.protect()),
    'koa protect': errorOf(() => adapters.koa.protect()),
    'hono protect': errorOf(() => adapters.hono.protect()),
    'nestjs forRoot': errorOf(() => adapters.nestjs.AuthleteGuardModule.forRoot({})),
  }
  const modules = [core, list, ...Object.values(adapters)]
  console.log(JSON.stringify({
    errorClasses: new Set(modules.map((m) => m.AuthleteGuardError)).size,
    replayStoreFactories: new Set(modules.map((m) => m.createMemoryReplayStore)).size,
    instanceOfCoreClass: Object.fromEntries(Object.entries(thrown).map(([where, error]) => [where, error instanceof core.AuthleteGuardError])),
  }))
`

describe('one module instance in a Node process that loads the core and every adapter (built packages)', () => {
  const cwd = join(root, 'test') // its node_modules link every package: imports resolve to dist
  const expected = {
    errorClasses: 1,
    replayStoreFactories: 1,
    instanceOfCoreClass: Object.fromEntries(
      ['core createGuard', 'core/node createNodeGuard', 'core/authorization-server', 'express createGuard', 'express protect', 'koa protect', 'hono protect', 'nestjs forRoot'].map((where) => [where, true]),
    ),
  }

  it('ESM: one AuthleteGuardError class (instanceof holds across entries), one replay-store module', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe('await import')], { cwd })
    expect(JSON.parse(stdout)).toEqual(expected)
  }, 60_000)

  it('CJS: the same, with require', async () => {
    const { stdout } = await run(process.execPath, ['-e', probe('require')], { cwd })
    expect(JSON.parse(stdout)).toEqual(expected)
  }, 60_000)
})
