// The core against the emulator: real DPoP verification behind guard.check, including the
// RFC 9449 §7.1 example request verified under the example's own clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '@authlete-guard/emulator'
import { createGuard, type Guard } from '../src'
import { rfc9449 } from './vectors'

const v = rfc9449.rs_request_example
const url = new URL(v.url)

describe('RFC 9449 §7.1 example request through guard.check and the emulator (fixed clock)', () => {
  let emu: Awaited<ReturnType<typeof startEmulator>>
  let now = v.fixed_now_for_tests * 1000
  let guard: Guard
  beforeAll(async () => {
    emu = await startEmulator({ now: () => now })
    await emu.createToken({ accessToken: v.access_token, subject: 'someone@example.com', scopes: ['read'], dpopKeyThumbprint: v.expected_jkt })
    // The guard checks the proof's iat locally too: it runs on the example's clock as well.
    guard = createGuard({ authlete: { baseUrl: emu.url, apiKey: emu.apiKey, apiSecret: emu.apiSecret }, now: () => now })
  })
  afterAll(async () => {
    await guard.close()
    await emu.close()
  })
  const request = (host = url.host) => ({ method: v.method, url: url.pathname, headers: { host, authorization: v.authorization, dpop: v.dpop_proof }, encrypted: true })

  it('the example proof is accepted for the example token (API v2 credentials)', async () => {
    const decision = await guard.check(request(), { scopes: ['read'] })
    expect(decision.allowed && decision.auth).toMatchObject({ subject: 'someone@example.com', tokenType: 'DPoP', scopes: ['read'] })
    expect(emu.requests.at(-1)).toMatchObject({ path: '/api/auth/introspection', body: { token: v.access_token, htm: 'GET', htu: v.decoded_payload.htu, dpop: v.dpop_proof } })
  })
  it('the same proof on another host fails: htu mismatch (RFC 9449 §4.3 check 9)', async () => {
    const decision = await guard.check(request('evil.example.org'), { scopes: ['read'] })
    expect(decision.allowed).toBe(false)
    expect(!decision.allowed && decision.status).toBe(401)
    expect(!decision.allowed && decision.errorDescription).toMatch(/htu/)
  })
  it('five minutes and one second later the proof is stale (iat window)', async () => {
    now += 301_000
    const decision = await guard.check(request(), { scopes: ['read'] })
    expect(!decision.allowed && decision.status).toBe(401)
    expect(!decision.allowed && decision.errorDescription).toMatch(/iat|old|stale|time/i)
  })
})
