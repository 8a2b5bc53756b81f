// The four cases every runtime is held to, on app.ts: real HTTP from Node to 127.0.0.1, one
// emulator as Authlete, a freshly signed DPoP proof for exactly the URL that is sent.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, DEFAULT_CLIENT, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { unreachableUrl } from '../support/unreachable'
import type { Env } from './app'
import { TIMEOUT } from './support'

type Emulator = Awaited<ReturnType<typeof startEmulator>>

/** Two copies of app.ts running on the runtime under test. */
export interface RunningApps {
  /** Origin (`http://127.0.0.1:PORT`) of the app whose AUTHLETE_BASE_URL is the emulator. */
  up: string
  /** Origin of the app whose AUTHLETE_BASE_URL is a closed port: Authlete is down. */
  down: string
  close(): Promise<void>
}

/** Start both apps with these environments (bindings on Workers, process env on Deno and Bun). */
export type StartApps = (env: { up: Env; down: Env }) => Promise<RunningApps>

const SUBJECT = 'alice'

/** Registers the hooks and the four tests for one runtime; call inside its `describe`. */
export function itGuardsRoutesOn(start: StartApps): void {
  let emu: Emulator | undefined
  let key: DpopKeyPair
  let apps: RunningApps | undefined

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 })
    key = await createDpopKeyPair('ES256')
    const credentials = { AUTHLETE_SERVICE_APIKEY: emu.serviceId, AUTHLETE_SERVICE_ACCESSTOKEN: emu.accessToken }
    apps = await start({
      up: { AUTHLETE_BASE_URL: emu.url, ...credentials },
      down: { AUTHLETE_BASE_URL: await unreachableUrl(), ...credentials },
    })
  }, TIMEOUT.hook)

  afterAll(async () => {
    try {
      await apps?.close()
    } finally {
      await emu?.close()
    }
  }, TIMEOUT.hook)

  /** A DPoP-bound token carrying only `profile`. */
  const boundToken = async () => (await emu!.createToken({ subject: SUBJECT, scopes: ['profile'], dpopKeyThumbprint: key.thumbprint })).accessToken

  /** GET `origin + path` with `DPoP <token>` and, unless `proof: false`, a proof signed for that URL. */
  async function get(origin: string, path: string, token: string, { proof = true } = {}) {
    const url = origin + path
    const headers: Record<string, string> = { authorization: `DPoP ${token}` }
    if (proof) headers.dpop = await createDpopProof(key, { htm: 'GET', htu: url, accessToken: token })
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT.test / 2) })
    const text = await response.text()
    const where = `${response.status} ${text} WWW-Authenticate: ${response.headers.get('www-authenticate')}`
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
    return { response, body, where }
  }

  const routeRuns = async (origin: string) => ((await (await fetch(`${origin}/route-runs`, { signal: AbortSignal.timeout(TIMEOUT.test / 2) })).json()) as { runs: number }).runs

  it('(a) a DPoP-bound token with a valid proof -> 200 and the principal', async () => {
    const token = await boundToken()
    const before = await routeRuns(apps!.up)
    const { response, body, where } = await get(apps!.up, '/api/me', token)
    expect(response.status, where).toBe(200)
    expect(body).toEqual({ sub: SUBJECT, clientId: DEFAULT_CLIENT.clientId, scopes: ['profile'], tokenType: 'DPoP' })
    expect(await routeRuns(apps!.up)).toBe(before + 1)
  }, TIMEOUT.test)

  // Denials: the status, a DPoP challenge with the error, no-store, the JSON body; the route never runs.
  it.each([
    ['(b) the token lacks the route scope (admin) -> 403 insufficient_scope with WWW-Authenticate', { app: 'up', path: '/api/admin', proof: true, status: 403, error: 'insufficient_scope' }],
    ['(c) the DPoP scheme without a proof -> 401 invalid_dpop_proof', { app: 'up', path: '/api/me', proof: false, status: 401, error: 'invalid_dpop_proof' }],
    ['(d) Authlete is down -> 500 server_error, the route does not run', { app: 'down', path: '/api/me', proof: true, status: 500, error: 'server_error' }],
  ] as const)('%s', async (_name, { app, path, proof, status, error }) => {
    const origin = apps![app]
    const token = await boundToken()
    const before = await routeRuns(origin)
    const { response, body, where } = await get(origin, path, token, { proof })
    expect(response.status, where).toBe(status)
    expect(response.headers.get('www-authenticate'), where).toMatch(new RegExp(`^DPoP\\b.*\\berror="${error}"`))
    expect(response.headers.get('cache-control'), where).toMatch(/\bno-store\b/)
    expect(response.headers.get('content-type'), where).toMatch(/^application\/json\b/)
    expect(body, where).toMatchObject({ error })
    expect(await routeRuns(origin), `the route must not run; ${where}`).toBe(before)
  }, TIMEOUT.test)
}
