export { startEmulator } from './start-emulator'
export type { Emulator, EmulatorOptions, RuntimeSettings, CreateTokenOptions } from './start-emulator'
export type { AuthorizationCodeOptions } from './types'
export { createDpopKeyPair, createDpopProof } from './dpop-client'
export type { DpopKeyPair, DpopKeyPairOptions, DpopProofOptions } from './dpop-client'
export { computeAth, jwkThumbprint } from './dpop-hashes'
export { verifyDpopProof } from './dpop-verify'
export type { DpopVerifyInput, DpopVerifyResult, DpopVerifyError, DpopFailure } from './dpop-verify'
export { normalizeHtu } from './htu'
export { DPOP_ALGORITHMS } from './jws'
export type { DpopAlgorithm } from './jws'
export { buildChallenge, oauthErrorBody, DPOP_ALGS_VALUE, ERROR_URI_BASE } from './challenge'
export type { ChallengeParts } from './challenge'
export { RESULTS, formatResultMessage } from './result-codes'
export type { ResultEntry, ResultName } from './result-codes'
export type { Fault, FaultOptions, FaultInjector } from './faults'
export type { TokenCreateParams, TokenCreateResponse } from './token-create'
export type { PushedAuthorizationRequest } from './store'
export { REQUEST_URI_PREFIX } from './par'
export { SCOPE_CLAIMS } from './userinfo'
export {
  DEFAULT_CLIENT,
  DEFAULT_SERVICE_ID,
  DEFAULT_API_SECRET,
  DEFAULT_SERVICE_ACCESS_TOKEN,
  DEFAULT_ACCESS_TOKEN_DURATION,
  DEFAULT_REFRESH_TOKEN_DURATION,
  DEFAULT_DPOP_NONCE_DURATION,
  DEFAULT_AUTHORIZATION_CODE_DURATION,
  DEFAULT_PUSHED_AUTH_REQ_DURATION,
  DPOP_IAT_MAX_AGE_SECONDS,
  DPOP_IAT_MAX_FUTURE_SECONDS,
} from './defaults'
export type { ApiVersion, EmulatorClient, EmulatorSettings, GrantType, RecordedReply, RecordedRequest, TokenProperty, TokenRecord } from './types'
