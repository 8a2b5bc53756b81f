import { expect, it } from 'vitest'
import * as root from '../src/index'
import * as node from '../src/node/index'
import * as authorizationServer from '../src/authorization-server/index'
import * as unstable from '../src/unstable'

// The public surface grows only on purpose: a new export must be added here too.
it('the root entry exports what apps use, and nothing Node-only', () => {
  expect(Object.keys(root).sort()).toEqual([
    'AUTHLETE_CHANNEL',
    'AuthleteGuardError',
    'CHECK_CHANNEL',
    'DEFAULT_CACHE_MAX_ENTRIES',
    'DEFAULT_CACHE_TTL_MS',
    'DEFAULT_DPOP_ALGS',
    'DEFAULT_DPOP_IAT',
    'DEFAULT_REPLAY_MAX_ENTRIES',
    'DEFAULT_REPLAY_MAX_ENTRIES_PER_OWNER',
    'DEFAULT_RESOURCE_METADATA_MAX_AGE_SECONDS',
    'DEFAULT_TIMEOUT_MS',
    'assertGuard',
    'authleteOptionsFromEnv',
    'createAuthleteClient',
    'createGuard',
    'createMemoryReplayStore',
    'denialResponse',
    'fromFetchRequest',
    'isAuthleteGuardError',
    'lazyGuard',
    'presentedAccessToken',
    'protectedResourceMetadataUrl',
    'renderChallenge',
    'resourceMetadataFetchResponder',
    'resourceMetadataPaths',
    'resourceMetadataResponder',
    'routeCheck',
    'validateRouteOptions',
    'withDecisionHeaders',
  ])
})

it('/node: the undici-pool client, the guard and the authorization server on it, fromNodeRequest, the Node adapter kit', () => {
  expect(Object.keys(node).sort()).toEqual([
    'DEFAULT_CONNECTIONS',
    'DEFAULT_MAX_QUEUED',
    'DEFAULT_VERIFY',
    'createAuthleteClient', // deprecated: createNodeAuthleteClient
    'createAuthorizationServer', // deprecated: createNodeAuthorizationServer
    'createGuard', // deprecated: createNodeGuard
    'createNodeAuthleteClient',
    'createNodeAuthorizationServer',
    'createNodeGuard',
    'fromExpressRequest',
    'fromFastifyRequest',
    'fromNodeRequest',
    'readBody',
    'sendFastifyDenial',
    'setDecisionHeaders',
    'writeDenial',
  ])
})

it('/authorization-server: the token, PAR and UserInfo endpoints, and the metadata', () => {
  expect(Object.keys(authorizationServer).sort()).toEqual([
    'DEFAULT_BASIC_REALM',
    'DEFAULT_METADATA_MAX_AGE_SECONDS',
    'DEFAULT_METADATA_TTL_MS',
    'DEFAULT_PAR_BASIC_REALM',
    'SERVER_ERROR_BODY',
    'TOKEN_APP_ACTIONS',
    'authorizationServerMetadataPaths',
    'authorizationServerMetadataResponder',
    'createAuthorizationServer',
    'readClientCredentials',
  ])
})

it('/unstable: the stages, with no compatibility promise', () => {
  expect(Object.keys(unstable).sort()).toEqual(['decide', 'extractCredentials', 'extractDpopProof', 'extractIntrospectionRequest', 'resolvePublicUrl'])
})
