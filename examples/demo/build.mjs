#!/usr/bin/env node
// `pnpm demo` runs this first: builds the packages the demo imports and says so, since a build
// takes a while and would otherwise look like a hang. The build's own output is shown only when it
// fails (then all of it, errors included), and its exit code is passed on.
//
//   node examples/demo/build.mjs                  pnpm --silent build, at the repository root
//   node examples/demo/build.mjs <command> [args]  another build command, e.g. for a test
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const [command, ...args] = process.argv.length > 2 ? process.argv.slice(2) : ['pnpm', '--silent', 'build']
const shown = process.argv.length > 2 ? [command, ...args].join(' ') : 'pnpm build'

console.log(`Building the packages (${shown})…`)
const started = performance.now()
const output = []
const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' })
child.stdout.on('data', (chunk) => output.push(chunk))
child.stderr.on('data', (chunk) => output.push(chunk))
child.once('error', (error) => {
  console.error(`Could not run ${shown}: ${error.message}`)
  process.exit(1)
})
child.once('close', (code, signal) => {
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  if (code === 0) {
    console.log(`Built in ${seconds} s.\n`)
    return
  }
  process.stderr.write(Buffer.concat(output))
  console.error(`\nThe build failed after ${seconds} s (${signal ? `signal ${signal}` : `exit code ${code}`}); the demo needs it.`)
  process.exit(code || 1)
})
