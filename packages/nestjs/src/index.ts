/**
 * `@authlete-guard/nestjs`: the guard as a NestJS module. Import `AuthleteGuardModule` once, mark
 * handlers or controllers with `@Protect(routeOptions)`, read the principal with `@Auth()`.
 */
export { AuthleteGuardModule } from './module'
export type { AuthleteGuardModuleAsyncOptions, AuthleteGuardModuleOptions } from './module'
export { Protect } from './protect'
export { Auth } from './auth'
export { AUTHLETE_GUARD } from './tokens'

// The core's list every adapter re-exports, and on Node its undici-pool guard as createGuard.
export * from '@authlete-guard/core/adapter'
export { createNodeGuard as createGuard, type NodeAuthleteOptions as AuthleteOptions, type NodeGuardOptions as GuardOptions } from '@authlete-guard/core/node'
