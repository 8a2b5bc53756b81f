import { loadVector } from '../../../test/vectors'
import { readFileSync } from 'node:fs'
import type { Emulator } from '@authlete-guard/emulator'

/** Response of an API call made by {@link callApi}. */
export interface ApiCall {
  status: number
  headers: Headers
  text: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any
}

export interface CallOptions {
  /** `V3` (default) uses `/api/{serviceId}` and Bearer; `V2` uses `/api` and Basic. */
  version?: 'V2' | 'V3'
  /** Override the Authorization header; null sends none. */
  authorization?: string | null
  /** Send this raw body instead of JSON. */
  raw?: string
  method?: string
}

/** POST an Authlete API call to the emulator over real HTTP. */
export async function callApi(emu: Emulator, apiPath: string, body: unknown, options: CallOptions = {}): Promise<ApiCall> {
  const version = options.version ?? 'V3'
  const url = version === 'V3' ? `${emu.url}/api/${emu.serviceId}${apiPath}` : `${emu.url}/api${apiPath}`
  const defaultAuthorization =
    version === 'V3' ? `Bearer ${emu.accessToken}` : `Basic ${Buffer.from(`${emu.apiKey}:${emu.apiSecret}`).toString('base64')}`
  const authorization = options.authorization === undefined ? defaultAuthorization : options.authorization
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
  if (authorization !== null) headers.authorization = authorization
  const method = options.method ?? 'POST'
  const response = await fetch(url, {
    method,
    headers,
    body: method === 'GET' ? undefined : (options.raw ?? JSON.stringify(body)),
  })
  const text = await response.text()
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return { status: response.status, headers: response.headers, text, body: parsed }
}

/** Build a JWT from raw parts (for deliberately malformed proofs). */
export function craftJwt(header: unknown, claims: unknown, signature = ''): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${encode(header)}.${encode(claims)}.${signature}`
}

/** Load a shared test vector (`../shared/vectors`, or the repository's committed copy). */
export function loadFixture<T = any>(name: string): T {
  return loadVector<T>(name)
}

/** A settable clock for `startEmulator({ now })`. */
export function manualClock(start = Date.now()) {
  let current = start
  return {
    now: () => current,
    set: (ms: number) => {
      current = ms
    },
    advance: (ms: number) => {
      current += ms
    },
  }
}

export const ALL_ALGS = 'RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 ES256K EdDSA'
