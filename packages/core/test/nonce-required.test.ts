// `dpopNonceRequired`: Authlete 3.0 (API V3) only. On V3 an OK without `dpopNonce` for such a
// route is not a reply Authlete gives (reference §9): 500, the route never runs. On V2 the route
// cannot be enforced: the guard refuses it (500, ERR_INVALID_CONFIG) without calling Authlete.
import { describe, expect, it } from 'vitest'
import { createGuard, type GuardErrorEvent } from '../src'
import { createGuard as createNodeGuard } from '../src/node'
import { useAuthleteStub } from './support/authlete-stub'
import { signedProof } from './support/proofs'

const TOKEN = 'access-token-for-nonce-tests'
const stub = useAuthleteStub()
const OK = { action: 'OK', resultCode: 'A056001', clientId: 3300001, subject: 'alice', scopes: ['read'], expiresAt: 1900000000000, existent: true, usable: true, sufficient: true }
const dpopRequest = async () => ({
  method: 'GET',
  url: '/api/me',
  headers: { host: 'api.example.com', authorization: `DPoP ${TOKEN}`, dpop: await signedProof('GET', 'https://api.example.com/api/me', TOKEN) },
  encrypted: true,
})

describe.each([
  ['root entry', createGuard],
  ['/node', createNodeGuard as typeof createGuard],
])('%s', (_entry, create) => {
  const v3 = (events: GuardErrorEvent[]) => create({ authlete: { baseUrl: stub.url, serviceId: '715948317', accessToken: 'svc' }, onError: (e) => events.push(e) })
  it('V3: OK without dpopNonce for a route with dpopNonceRequired -> 500 ERR_AUTHLETE_INVALID_RESPONSE, never allowed', async () => {
    const events: GuardErrorEvent[] = []
    const guard = v3(events)
    stub.reply({ json: OK }, { json: { ...OK, dpopNonce: null } })
    for (let i = 0; i < 2; i++) {
      const decision = await guard.check(await dpopRequest(), { dpopNonceRequired: true })
      expect(!decision.allowed && [decision.status, decision.cause?.code]).toEqual([500, 'ERR_AUTHLETE_INVALID_RESPONSE'])
    }
    expect(events.map((e) => e.error.message)).toEqual(Array(2).fill('Authlete answered OK without a dpopNonce for a route with dpopNonceRequired.'))
    await guard.close()
  })
  it('V3: OK with dpopNonce allows (DPoP-Nonce on the response); a route without the requirement needs none', async () => {
    const guard = v3([])
    stub.reply({ json: { ...OK, dpopNonce: 'next-nonce' } }, { json: OK })
    const required = await guard.check(await dpopRequest(), { dpopNonceRequired: true })
    expect(required.allowed && required.headers).toEqual({ 'DPoP-Nonce': 'next-nonce' })
    expect((await guard.check(await dpopRequest())).allowed).toBe(true)
    await guard.close()
  })
  it('V2: a route with dpopNonceRequired is refused by the guard (500, ERR_INVALID_CONFIG) without an Authlete call', async () => {
    const events: GuardErrorEvent[] = []
    const guard = create({ authlete: { baseUrl: stub.url, apiKey: '12345', apiSecret: 'shh' }, onError: (e) => events.push(e) })
    const decision = await guard.check(await dpopRequest(), { dpopNonceRequired: true })
    expect(!decision.allowed && [decision.status, decision.cause?.code]).toEqual([500, 'ERR_INVALID_CONFIG'])
    expect(events.map((e) => e.error.code)).toEqual(['ERR_INVALID_CONFIG'])
    expect(stub.calls).toHaveLength(0)
    await guard.close()
  })
})
