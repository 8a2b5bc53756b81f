/**
 * `@authlete-guard/core/unstable`: the guard's stages, for tools and benchmarks that drive them
 * one by one. No compatibility promise: these may change in any release. Apps use `createGuard`.
 */
export { decide } from './decision/decide'
export { extractIntrospectionRequest } from './request/extract'
export type { Extraction, ExtractContext } from './request/extract'
export { extractCredentials, extractDpopProof } from './request/credentials'
export type { CredentialsFailure, CredentialsResult, DpopProofResult, PresentedCredentials } from './request/credentials'
export { resolvePublicUrl } from './request/public-url'
export type { PublicUrlOptions, PublicUrlResult } from './request/public-url'
