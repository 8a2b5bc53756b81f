#!/usr/bin/env node
// `pnpm demo` runs this first: builds the packages the demo imports (the `workspace:` dependencies
// in examples/demo/package.json, and theirs), dependencies first, one line per package, and skips
// each package whose build is newer than its sources (scripts/build-packages.mjs says exactly what
// is compared). A build's own output is shown only when it fails (then all of it, errors
// included), and its exit code is passed on.
//
//   node examples/demo/build.mjs [--root DIR]   DIR: another checkout laid out like this one (tests)
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { buildPackages, workspaceDependencies } from '../../scripts/build-packages.mjs'

const { values } = parseArgs({ options: { root: { type: 'string' } } })
const root = resolve(values.root ?? fileURLToPath(new URL('../..', import.meta.url)))
const demo = JSON.parse(readFileSync(join(root, 'examples', 'demo', 'package.json'), 'utf8'))

console.log('Building the packages the demo imports (skipping those built since their last change)…')
const started = performance.now()
const code = await buildPackages({ root, names: workspaceDependencies(demo) })
const seconds = ((performance.now() - started) / 1000).toFixed(1)
if (code === 0) {
  console.log(`Ready in ${seconds} s.\n`)
} else {
  console.error('The demo needs the packages built; fix the error above and run it again.')
  process.exitCode = code
}
