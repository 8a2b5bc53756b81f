#!/usr/bin/env node
import { main } from './cli-main'

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signals: process, env: process.env }).then(
  (result) => {
    if (!result.emulator) process.exitCode = result.exitCode
  },
  (error: unknown) => {
    process.stderr.write(`authlete-emulator: ${String(error)}\n`)
    process.exitCode = 1
  },
)
