/**
 * `@authlete-guard/core/unstable`: the guard's stages, for tools and benchmarks that drive them
 * one by one. No compatibility promise: these may change in any release. Apps use `createGuard`.
 */
export { decide } from './decision'
export { extractIntrospectionRequest } from './extract'
export type { Extraction, ExtractContext } from './extract'
export { extractCredentials, extractDpopProof } from './request'
export type { CredentialsFailure, CredentialsResult, DpopProofResult, PresentedCredentials } from './request'
export { resolvePublicUrl } from './public-url'
export type { PublicUrlOptions, PublicUrlResult } from './public-url'
