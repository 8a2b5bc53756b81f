// RFC 9449 §4.3: every check of a DPoP proof is made by the guard itself, before anything else,
// and a failing proof is answered 401 invalid_dpop_proof without calling Authlete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair, type DpopProofOptions } from '@authlete-guard/emulator'
import { fixtureKeyPair } from '../../../test/fixtures/keys'
import { createGuard, type Guard, type RequestLike } from '../src'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
const HTU = 'https://api.example.com/api/me'
let emu: Emulator
let guard: Guard
let key: DpopKeyPair
let token: string

beforeAll(async () => {
  emu = await startEmulator()
  key = await createDpopKeyPair('ES256')
  token = (await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })).accessToken
  guard = createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: 'https://api.example.com' })
})
afterAll(async () => {
  await guard?.close()
  await emu?.close()
})

const request = (dpop: string, method = 'GET', tokenValue = token): RequestLike => ({ method, url: '/api/me?q=1', headers: { host: 'internal', authorization: `DPoP ${tokenValue}`, dpop } })
const proof = (options: Partial<DpopProofOptions> = {}, signer = key) => createDpopProof(signer, { htm: 'GET', htu: HTU, accessToken: token, ...options })
const now = () => Math.floor(Date.now() / 1000)
/** Swap a proof's payload for another one, keeping its header and (now wrong) signature. */
const tampered = (jwt: string, claims: Record<string, unknown>) => {
  const [h, , s] = jwt.split('.')
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`
}

describe('a valid proof passes the local checks and reaches Authlete', () => {
  it('ES256 with the token\'s key -> 200 from Authlete', async () => {
    const before = emu.requests.length
    const decision = await guard.check(request(await proof()))
    expect(decision.allowed && decision.auth.subject).toBe('alice')
    expect(emu.requests.length - before).toBe(1)
  })
  it.each(['RS256', 'PS256', 'ES384', 'ES512', 'EdDSA'] as const)('%s proofs verify locally (an unbound token, so Authlete accepts any key)', async (alg) => {
    const other = await fixtureKeyPair(alg)
    const unbound = (await emu.createToken({ subject: 'bob', scopes: [] })).accessToken
    const decision = await guard.check(request(await createDpopProof(other, { htm: 'GET', htu: HTU, accessToken: unbound }), 'GET', unbound))
    expect(decision.allowed, JSON.stringify(decision)).toBe(true)
  })
})

describe('each failing check is a local 401 invalid_dpop_proof, Authlete is not called', () => {
  const cases: Array<[string, () => Promise<string>, RegExp]> = [
    ['typ is not dpop+jwt', () => proof({ header: { typ: 'JWT' } }), /typ/],
    ['typ missing', () => proof({ header: { typ: undefined } }), /typ/],
    ['alg none (unsigned)', () => proof({ header: { alg: 'none' } }), /alg/],
    ['alg HS256', () => proof({ header: { alg: 'HS256' } }), /alg/],
    ['alg not in dpopAlgs (made up)', () => proof({ header: { alg: 'ES999' } }), /alg/],
    ['no jwk', () => proof({ header: { jwk: undefined } }), /jwk/],
    ['a private jwk (d present)', () => proof({ header: { jwk: { ...key.publicJwk, d: 'AAAA' } } }), /not a public key/],
    ['a symmetric jwk', () => proof({ header: { jwk: { kty: 'oct', k: 'AAAA' } } }), /not a public key/],
    ['jwk of another curve than alg', async () => proof({ header: { jwk: (await createDpopKeyPair('ES384')).publicJwk } }), /does not fit alg/],
    ['signature by another key than the jwk', async () => proof({ header: { jwk: (await createDpopKeyPair('ES256')).publicJwk } }), /signature is invalid/],
    ['claims changed after signing', async () => tampered(await proof(), { jti: 'x', htm: 'GET', htu: HTU, iat: now(), ath: 'y' }), /ath|signature/],
    ['htm for another method', () => proof({ htm: 'POST' }), /htm/],
    ['htu for another path', () => proof({ htu: 'https://api.example.com/api/admin' }), /htu/],
    ['htu for another host', () => proof({ htu: 'https://evil.example/api/me' }), /htu/],
    ['htu not a URL', () => proof({ htu: 'nope' }), /htu/],
    ['iat 301 s old', () => proof({ iat: now() - 301 }), /too old/],
    ['iat 61 s in the future', () => proof({ iat: now() + 61 }), /future/],
    ['iat missing', () => proof({ claims: { iat: undefined } }), /iat/],
    ['jti missing', () => proof({ claims: { jti: undefined } }), /jti/],
    ['jti of 257 characters', () => proof({ jti: 'j'.repeat(257) }), /jti/],
    ['ath missing', () => proof({ accessToken: undefined }), /ath/],
    ['ath of another token', () => proof({ accessToken: 'another-token' }), /ath/],
    ['not a JWT (bad base64url JSON)', async () => 'e30.bm90IGpzb24.c2ln', /JWT/],
  ]
  it.each(cases)('%s', async (_name, make, description) => {
    const before = emu.requests.length
    const decision = await guard.check(request(await make()))
    expect(decision.allowed).toBe(false)
    if (decision.allowed) return
    expect([decision.status, decision.error]).toEqual([401, 'invalid_dpop_proof'])
    expect(decision.errorDescription).toMatch(description)
    expect(decision.headers['WWW-Authenticate']).toMatch(/^DPoP error="invalid_dpop_proof", error_description="[^"]+", algs="/)
    expect(emu.requests.length - before).toBe(0)
  })
  it('an RSA key shorter than 2048 bits is refused', async () => {
    const short = await fixtureKeyPair('RS256', { modulusLength: 1024 })
    const decision = await guard.check(request(await createDpopProof(short, { htm: 'GET', htu: HTU, accessToken: token })))
    expect(!decision.allowed && decision.errorDescription).toMatch(/2048 bits/)
  })
  it('the iat window is an option (dpopIat)', async () => {
    const strict = createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: 'https://api.example.com', dpopIat: { maxAgeSeconds: 10 } })
    const decision = await strict.check(request(await proof({ iat: now() - 30 })))
    expect(!decision.allowed && decision.errorDescription).toMatch(/too old/)
    await strict.close()
  })
})

describe('a proof header already checked is remembered per process, its alg still judged per guard', () => {
  it('a header one guard accepted (ES256) is refused by a guard whose dpopAlgs leave ES256 out, without Authlete', async () => {
    const narrow = createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: 'https://api.example.com', dpopAlgs: ['RS256'] })
    try {
      // The same key, so the same header: the first check remembers it.
      expect((await guard.check(request(await proof()))).allowed).toBe(true)
      const before = emu.requests.length
      const refused = await narrow.check(request(await proof()))
      expect(!refused.allowed && [refused.status, refused.error, refused.errorDescription]).toEqual([401, 'invalid_dpop_proof', 'The DPoP proof\'s alg is not one of RS256.'])
      expect(emu.requests.length).toBe(before)
      // And the remembered header still passes the first guard.
      expect((await guard.check(request(await proof()))).allowed).toBe(true)
    } finally {
      await narrow.close()
    }
  })
})
