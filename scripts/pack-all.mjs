#!/usr/bin/env node
// `pnpm pack:all`: a tarball of every publishable package (the packages/* that are not private)
// in one folder, dist-tarballs/ at the repository root (its earlier tarballs removed first), for installing the
// packages before they are on the registry (docs/install-from-tarballs.md). Packages whose build
// is out of date are built first (scripts/build-packages.mjs). Each tarball is made by
// `pnpm pack`, which rewrites `workspace:` ranges to the real versions.
//
//   node scripts/pack-all.mjs [--out DIR]
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { buildPackages, workspacePackages } from './build-packages.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const { values } = parseArgs({ options: { out: { type: 'string' } } })
const out = resolve(values.out ?? join(root, 'dist-tarballs'))

function pack(dir) {
  return new Promise((done, fail) => {
    let output = ''
    const child = spawn('pnpm', ['pack', '--pack-destination', out], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' })
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.once('error', fail)
    child.once('close', (code) => (code === 0 ? done() : fail(new Error(`pnpm pack failed in ${relative(root, dir)} (exit code ${code}):\n${output}`))))
  })
}

const publishable = [...workspacePackages(root).values()].filter((pkg) => pkg.manifest.private !== true)
console.log('Building the packages whose build is out of date…')
const code = await buildPackages({ root, names: publishable.map((pkg) => pkg.name) })
if (code !== 0) process.exit(code)

mkdirSync(out, { recursive: true })
// Tarballs of an earlier version would be picked up by a wildcard install: only this run's stay.
for (const file of readdirSync(out)) if (/^authlete-guard-.*\.tgz$/.test(file)) rmSync(join(out, file))
try {
  for (const pkg of publishable) await pack(pkg.dir)
} catch (error) {
  console.error(error.message)
  process.exit(1)
}
const tarballs = readdirSync(out).filter((file) => file.endsWith('.tgz')).sort()
const shown = relative(process.cwd(), out)
console.log(`\n${tarballs.length} tarballs in ${shown === '' ? '.' : shown.startsWith('..') ? out : shown}/:`)
for (const file of tarballs) console.log(`  ${file}`)
