import { expect, it } from 'vitest'
import * as surface from '../src/index'

// The public surface grows only on purpose: a new export must be added here too.
it('exports exactly the public surface', () => {
  expect(Object.keys(surface).sort()).toEqual([
    'AuthleteGuardError',
    'DEFAULT_BASIC_REALM',
    'DEFAULT_CONNECTIONS',
    'DEFAULT_DPOP_ALGS',
    'DEFAULT_PAR_BASIC_REALM',
    'DEFAULT_TIMEOUT_MS',
    'SERVER_ERROR_BODY',
    'TOKEN_APP_ACTIONS',
    'authleteOptionsFromEnv',
    'createAuthleteClient',
    'createAuthorizationServer',
    'createGuard',
    'decide',
    'extractCredentials',
    'extractDpopProof',
    'extractIntrospectionRequest',
    'fromFetchRequest',
    'fromNodeRequest',
    'isAuthleteGuardError',
    'readClientCredentials',
    'resolvePublicUrl',
    'validateRouteOptions',
  ])
})
