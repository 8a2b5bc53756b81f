#!/usr/bin/env node
// Build workspace packages only when their build is out of date, dependencies first, one line per
// package. Used by `pnpm demo` (examples/demo/build.mjs) and `pnpm pack:all` (scripts/pack-all.mjs).
//
//   node scripts/build-packages.mjs [--root DIR] [@authlete-guard/NAME ...]   (default: every package)
//
// A package is up to date when its dist/ holds every file its package.json points at (exports,
// main, module, types, bin) and every file in dist/ is newer than every input: the files under its
// src/, its package.json, tsup.config.* and tsconfig.json, the shared tsup.base.ts and
// tsconfig.base.json, and the same inputs of each workspace package it depends on. A package is
// also rebuilt when one of its dependencies was rebuilt in this run. A stale package is built with
// its own `build` script (`pnpm --silent run build` in its folder); the build's output is shown
// only when it fails (then all of it), and its exit code is passed on.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const PACKAGE_INPUTS = ['package.json', 'tsup.config.ts', 'tsup.config.mjs', 'tsup.config.js', 'tsconfig.json']
const SHARED_INPUTS = ['tsup.base.ts', 'tsconfig.base.json']

/** Every workspace package under `<root>/packages`, by name, with its workspace dependencies. */
export function workspacePackages(root) {
  const dir = join(root, 'packages')
  const packages = new Map()
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const manifestFile = join(dir, entry.name, 'package.json')
    if (!entry.isDirectory() || !existsSync(manifestFile)) continue
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'))
    packages.set(manifest.name, { name: manifest.name, dir: join(dir, entry.name), manifest })
  }
  for (const pkg of packages.values()) {
    pkg.deps = workspaceDependencies(pkg.manifest).filter((name) => packages.has(name))
  }
  return packages
}

/** The names a manifest takes from the workspace (`workspace:` ranges). */
export function workspaceDependencies(manifest) {
  const all = { ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies }
  return Object.keys(all).filter((name) => String(all[name]).startsWith('workspace:'))
}

/** `names` and the workspace packages they depend on, each after its dependencies. */
export function buildOrder(packages, names) {
  const order = []
  const visit = (name, path) => {
    if (order.includes(name)) return
    if (path.includes(name)) throw new Error(`Dependency cycle: ${[...path, name].join(' -> ')}`)
    const pkg = packages.get(name)
    if (!pkg) throw new Error(`No workspace package is named ${name}.`)
    for (const dep of pkg.deps) visit(dep, [...path, name])
    order.push(name)
  }
  for (const name of names) visit(name, [])
  return order
}

function filesUnder(dir) {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
}

/** The files whose change makes a package's build out of date (its own and its dependencies'). */
export function buildInputs(packages, name, root) {
  const files = SHARED_INPUTS.map((file) => join(root, file)).filter((file) => existsSync(file))
  for (const dep of buildOrder(packages, [name])) {
    const { dir } = packages.get(dep)
    files.push(...filesUnder(join(dir, 'src')), ...PACKAGE_INPUTS.map((file) => join(dir, file)).filter((file) => existsSync(file)))
  }
  return files
}

/** The files a manifest points at: exports, main, module, types, bin (not package.json itself). */
export function declaredOutputs(manifest) {
  const paths = new Set()
  const collect = (value) => {
    if (typeof value === 'string') paths.add(value)
    else if (value && typeof value === 'object') Object.values(value).forEach(collect)
  }
  collect([manifest.exports, manifest.main, manifest.module, manifest.types, manifest.bin])
  return [...paths].map((path) => path.replace(/^\.\//, '')).filter((path) => path !== 'package.json')
}

/** Why a package must be built, or `undefined` when its build is up to date. */
export function staleReason(packages, name, root) {
  const { dir, manifest } = packages.get(name)
  const missing = declaredOutputs(manifest).find((path) => !existsSync(join(dir, path)))
  if (missing) return `${missing} is missing`
  const outputs = filesUnder(join(dir, 'dist'))
  if (outputs.length === 0) return 'dist/ is empty'
  const oldestOutput = Math.min(...outputs.map((file) => statSync(file).mtimeMs))
  const newer = buildInputs(packages, name, root).find((file) => statSync(file).mtimeMs >= oldestOutput)
  return newer ? `${relative(root, newer)} is newer than the build` : undefined
}

function run(command, args, cwd) {
  return new Promise((done) => {
    const output = []
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' })
    child.stdout.on('data', (chunk) => output.push(chunk))
    child.stderr.on('data', (chunk) => output.push(chunk))
    child.once('error', (error) => done({ code: 1, error, output: Buffer.concat(output) }))
    child.once('close', (code, signal) => done({ code, signal, output: Buffer.concat(output) }))
  })
}

const seconds = (since) => ((performance.now() - since) / 1000).toFixed(1)

/**
 * Build `names` and their workspace dependencies where out of date, printing one line per
 * package. Resolves to 0, or to the failed build's exit code after printing its output.
 */
export async function buildPackages({ root, names }) {
  const packages = workspacePackages(root)
  const rebuilt = new Set()
  for (const name of buildOrder(packages, names)) {
    const depRebuilt = packages.get(name).deps.find((dep) => rebuilt.has(dep))
    const reason = depRebuilt ? `${depRebuilt} was rebuilt` : staleReason(packages, name, root)
    if (!reason) {
      console.log(`  ${name}: up to date, skipped`)
      continue
    }
    process.stdout.write(`  building ${name}… `)
    const started = performance.now()
    const result = await run('pnpm', ['--silent', 'run', 'build'], packages.get(name).dir)
    if (result.code !== 0) {
      console.log('failed')
      process.stderr.write(result.output)
      const how = result.error ? `could not run pnpm: ${result.error.message}` : result.signal ? `signal ${result.signal}` : `exit code ${result.code}`
      console.error(`\nThe build of ${name} failed after ${seconds(started)} s (${how}).`)
      return result.code || 1
    }
    console.log(`built in ${seconds(started)} s (${reason})`)
    rebuilt.add(name)
  }
  return 0
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ options: { root: { type: 'string' } }, allowPositionals: true })
  const root = resolve(values.root ?? fileURLToPath(new URL('..', import.meta.url)))
  const names = positionals.length > 0 ? positionals : [...workspacePackages(root).keys()]
  process.exitCode = await buildPackages({ root, names })
}
