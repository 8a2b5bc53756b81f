import { expect, test } from 'vitest'
import * as api from '../src/index'

// The public surface grows only on purpose: a new export must be added here too.
test('public exports', () => {
  expect(Object.keys(api).sort()).toEqual([
    'AuthleteGuardError',
    'authFromHeaders',
    'authProxy',
    'authleteOptionsFromEnv',
    'checkInProxy',
    'createGuard',
    'createMemoryReplayStore',
    'isAuthleteGuardError',
    'resourceMetadata',
    'withAuth',
    'withoutAuthHeaders',
  ])
})
