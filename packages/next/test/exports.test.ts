import { expect, test } from 'vitest'
import * as api from '../src/index'

// The public surface grows only on purpose: a new export must be added here too.
test('public exports', () => {
  expect(Object.keys(api).sort()).toEqual(['AuthleteGuardError', 'authleteOptionsFromEnv', 'createGuard', 'isAuthleteGuardError', 'withAuth'])
})

test('no runtime import of next: the built package is runtime-agnostic', async () => {
  const { readFile } = await import('node:fs/promises')
  const source = await readFile(new URL('../src/with-auth.ts', import.meta.url), 'utf8')
  expect(source).not.toMatch(/from 'next|require\('next/)
})
