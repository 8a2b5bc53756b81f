import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import * as api from '../src/index'

// The public surface grows only on purpose: a new export must be added here too.
test('public exports', () => {
  expect(Object.keys(api).sort()).toEqual([
    'AUTHLETE_GUARD',
    'Auth',
    'AuthleteGuardError',
    'AuthleteGuardModule',
    'Protect',
    'authleteOptionsFromEnv',
    'createGuard',
    'createMemoryReplayStore',
    'isAuthleteGuardError',
  ])
})

// NestJS maps its Express and Fastify platforms through the core (@authlete-guard/core/node), so
// an app on Fastify does not install the Express adapter. (test/package-shape/one-instance.test.ts
// checks the built files import no other adapter.)
test('package.json: the core is its one dependency', () => {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }
  expect(Object.keys(manifest.dependencies)).toEqual(['@authlete-guard/core'])
})
