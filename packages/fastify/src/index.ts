export { authleteGuard, authleteGuard as default, getAuth } from './plugin'
export type { AuthleteGuardPluginOptions, ProtectHook } from './plugin'
export { resourceMetadata } from './resource-metadata'
// The core's list every adapter re-exports, and on Node its undici-pool guard as createGuard.
export * from '@authlete-guard/core/adapter'
export { createNodeGuard as createGuard, type NodeAuthleteOptions as AuthleteOptions, type NodeGuardOptions as GuardOptions } from '@authlete-guard/core/node'
