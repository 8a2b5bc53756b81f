// The /node guard checks DPoP proofs with node:crypto instead of WebCrypto: the same answers for
// every algorithm, valid and forged alike (the root entry's checks are pinned in local-verification).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { fixtureKeyPair } from '../../../test/fixtures/keys'
import { createGuard as createWebGuard, type Guard, type RequestLike } from '../src'
import { createGuard as createNodeGuard } from '../src/node'
import { createNodeCrypto } from '../src/node/crypto'
import { isAuthleteGuardError } from '../src/errors'
import { thrown } from './support/thrown'
import { verifyAlgorithm } from '../src/dpop/algorithms'
import { jwkThumbprint } from '../src/dpop/jwk'
import { webCrypto } from '../src/dpop/crypto'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
const HTU = 'https://api.example.com/api/me'
let emu: Emulator
const guards: Guard[] = []

beforeAll(async () => {
  emu = await startEmulator()
  emu.configure({ rejectReplayedProofs: false })
})
afterAll(async () => {
  await Promise.all(guards.map((g) => g.close()))
  await emu?.close()
})

const request = (token: string, dpop: string): RequestLike => ({ method: 'GET', url: '/api/me', headers: { host: 'internal', authorization: `DPoP ${token}`, dpop } })
const make = (create: typeof createWebGuard) => {
  const guard = create({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: 'https://api.example.com' })
  guards.push(guard)
  return guard
}
const makeInline: typeof createWebGuard = (options) => {
  const guard = createNodeGuard({ ...options, verify: 'inline' })
  guards.push(guard)
  return guard
}

describe.each(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const)('%s', (alg) => {
  let key: DpopKeyPair
  let other: DpopKeyPair
  let token: string
  beforeAll(async () => {
    ;[key, other] = await Promise.all([fixtureKeyPair(alg), fixtureKeyPair(alg, { index: 1 })])
    token = (await emu.createToken({ subject: 'alice', scopes: [], dpopKeyThumbprint: key.thumbprint })).accessToken
  })
  it.each([
    ['WebCrypto (root entry)', createWebGuard],
    ['node:crypto on the thread pool (/node default)', createNodeGuard as typeof createWebGuard],
    ["node:crypto on the calling thread (/node, verify: 'inline')", makeInline],
  ])('%s: a valid proof passes, a forged signature and a foreign jwk fail locally', async (_name, create) => {
    const guard = make(create)
    const valid = await createDpopProof(key, { htm: 'GET', htu: HTU, accessToken: token })
    expect((await guard.check(request(token, valid))).allowed).toBe(true)
    // The header of one key, the signature of another: refused without Authlete.
    const [h] = valid.split('.')
    const [, p, sig] = (await createDpopProof(other, { htm: 'GET', htu: HTU, accessToken: token })).split('.')
    const before = emu.requests.length
    const forged = await guard.check(request(token, `${h}.${p}.${sig}`))
    expect(!forged.allowed && forged.errorDescription).toBe('The DPoP proof\'s signature is invalid.')
    expect(emu.requests.length).toBe(before)
  })
})

describe('the primitives agree', () => {
  it('SHA-256 in base64url: node:crypto and WebCrypto give the same digest', async () => {
    for (const text of ['', 'a', 'Zx9.~_-', 'é€😀', 'x'.repeat(10_000)]) expect(createNodeCrypto('pool').sha256(text)).toBe(await webCrypto.sha256(text))
  })
})

describe.each([
  ['on the thread pool', true],
  ['on the calling thread', false],
] as const)('node:crypto signature checks %s', (_name, pool) => {
  const primitives = createNodeCrypto(pool ? 'pool' : 'inline')
  it.each(['RS256', 'PS384', 'ES256', 'ES512', 'EdDSA'] as const)('%s: the same answers as WebCrypto for a valid, a forged and a tampered proof', async (alg) => {
    const [key, other] = await Promise.all([fixtureKeyPair(alg), fixtureKeyPair(alg, { index: 1 })])
    const proof = await createDpopProof(key, { htm: 'GET', htu: HTU })
    const [h, p, sig] = proof.split('.') as [string, string, string]
    const [, p2, otherSig] = (await createDpopProof(other, { htm: 'GET', htu: HTU })).split('.') as [string, string, string]
    const jwk = key.publicJwk as Parameters<typeof primitives.verify>[2]
    const algorithm = verifyAlgorithm(alg, jwk)!
    const cacheKey = `${alg} ${await jwkThumbprint(jwk, webCrypto.sha256)}`
    const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'))
    const cases = [
      { input: `${h}.${p}`, signature: sig, valid: true },
      { input: `${h}.${p}`, signature: otherSig, valid: false }, // another key's signature
      { input: `${h}.${p2}`, signature: sig, valid: false }, // the payload changed
    ]
    for (const c of cases) {
      const answer = primitives.verify(alg, algorithm, jwk, cacheKey, bytes(c.signature), c.input)
      // The pool answers later (a promise); the calling thread answers at once (a boolean).
      expect(answer instanceof Promise).toBe(pool)
      expect(await answer).toBe(c.valid)
      expect(await webCrypto.verify(alg, algorithm, jwk, cacheKey, bytes(c.signature), c.input)).toBe(c.valid)
    }
  })
})

describe('verify: where /node checks signatures', () => {
  it.each([['pool'], ['inline'], [undefined]] as const)('verify %s is accepted', (verify) => {
    const guard = createNodeGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, verify })
    guards.push(guard)
    expect(typeof guard.check).toBe('function')
  })
  it.each([['threads'], [true], ['POOL']] as const)('verify %s throws ERR_INVALID_CONFIG at start-up', (verify) => {
    const error = thrown(() => createNodeGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, verify: verify as never }))
    expect(isAuthleteGuardError(error) && error.code).toBe('ERR_INVALID_CONFIG')
    expect(String((error as Error).message)).toContain("verify must be 'pool' or 'inline'")
  })
})
