import type { EmulatorSettings } from './types'

/** The service's endpoint URL settings (Authlete's names), as options and `emu.configure()` take them. */
export const ENDPOINT_SETTINGS = [
  'authorizationEndpoint',
  'tokenEndpoint',
  'userInfoEndpoint',
  'pushedAuthReqEndpoint',
  'introspectionEndpoint',
  'revocationEndpoint',
] as const

/** One of {@link ENDPOINT_SETTINGS}. */
export type EndpointSetting = (typeof ENDPOINT_SETTINGS)[number]

/** The issuer, or a URL setting, must be an absolute http(s) URL without a fragment. */
export function checkServiceUrl(name: string, value: unknown): void {
  let url: URL | undefined
  try {
    url = typeof value === 'string' ? new URL(value) : undefined
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hash !== '' || (value as string).includes('#')) {
    throw new TypeError(`${name} must be an absolute http(s) URL without a fragment, got ${JSON.stringify(value)}`)
  }
}

/** `{issuer}{path}`, without a doubled slash. */
const underIssuer = (settings: EmulatorSettings, path: string): string => `${settings.issuer.replace(/\/+$/, '')}${path}`

/**
 * The service's token endpoint: the `tokenEndpoint` setting, else `{issuer}/token`. It is the
 * `token_endpoint` of `/service/configuration` and the `htu` of token requests that carry none.
 *
 * @example
 * ```ts
 * tokenEndpointOf({ ...settings, issuer: 'http://127.0.0.1:4010' }) // 'http://127.0.0.1:4010/token'
 * ```
 */
export const tokenEndpointOf = (settings: EmulatorSettings): string => settings.tokenEndpoint ?? underIssuer(settings, '/token')

/**
 * The service's authorization endpoint: the `authorizationEndpoint` setting, else
 * `{issuer}/authorize` (the emulator has no authorization endpoint of its own; your app does).
 *
 * @example
 * ```ts
 * authorizationEndpointOf({ ...settings, issuer: 'https://as.example.com' }) // 'https://as.example.com/authorize'
 * ```
 */
export const authorizationEndpointOf = (settings: EmulatorSettings): string => settings.authorizationEndpoint ?? underIssuer(settings, '/authorize')
