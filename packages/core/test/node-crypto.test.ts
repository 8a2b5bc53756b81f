// The /node guard checks DPoP proofs with node:crypto instead of WebCrypto: the same answers for
// every algorithm, valid and forged alike (the root entry's checks are pinned in local-verification).
import { availableParallelism } from 'node:os'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { fixtureKeyPair } from '../../../test/fixtures/keys'
import { createGuard as createWebGuard, type Guard, type RequestLike } from '../src'
import { createGuard as createNodeGuard } from '../src/node'
import { createNodeCrypto, liveSample, nodeCrypto, poolWorthIt } from '../src/node/crypto'
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
    ['node:crypto (/node)', createNodeGuard as typeof createWebGuard],
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
    for (const text of ['', 'a', 'Zx9.~_-', 'é€😀', 'x'.repeat(10_000)]) expect(nodeCrypto.sha256(text)).toBe(await webCrypto.sha256(text))
  })
})

describe.each([
  ['on the thread pool', true],
  ['on the calling thread', false],
] as const)('node:crypto signature checks %s', (_name, pool) => {
  const primitives = createNodeCrypto({ pool })
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

describe('poolWorthIt: the thread pool only while the event loop is busy and another CPU is idle', () => {
  const block = (ms: number) => {
    const end = performance.now() + ms
    while (performance.now() < end) {
      // a synchronous stretch: the event loop is busy
    }
  }
  const idle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  it('decides on the last sample, taken at most every 100 ms', async () => {
    const samples = [
      { busy: 0.9, idleCpus: 1.2 }, // busy loop, a free CPU: the pool
      { busy: 0.9, idleCpus: 0.2 }, // busy loop, but every CPU taken: the pool would only queue
      { busy: 0.2, idleCpus: 1.5 }, // an idle loop: no hop
    ]
    let taken = 0
    const worth = poolWorthIt(() => samples[taken++]!)
    expect(worth()).toBe(false) // nothing sampled yet
    await idle(110)
    expect(worth()).toBe(true)
    expect(worth()).toBe(true) // within 100 ms: the same answer, no new sample
    expect(taken).toBe(1)
    await idle(110)
    expect(worth()).toBe(false)
    await idle(110)
    expect(worth()).toBe(false)
    expect(taken).toBe(3)
  })
  it('the live sample: a busy stretch reads as busy, an idle one as idle; idle CPUs within the machine', async () => {
    const sample = liveSample()
    block(150)
    const busy = sample()
    expect(busy.busy).toBeGreaterThan(0.8)
    await idle(200)
    const quiet = sample()
    expect(quiet.busy).toBeLessThan(0.5)
    for (const s of [busy, quiet]) expect(s.idleCpus >= 0 && s.idleCpus <= availableParallelism() + 0.01).toBe(true)
  })
  it('a pool decided per check: a promise while busy, a boolean while idle, the same answer', async () => {
    let busy = true
    const primitives = createNodeCrypto({ pool: () => busy })
    const key = await createDpopKeyPair('ES256')
    const [h, p, sig] = (await createDpopProof(key, { htm: 'GET', htu: HTU })).split('.') as [string, string, string]
    const jwk = key.publicJwk as Parameters<typeof primitives.verify>[2]
    const args = ['ES256', verifyAlgorithm('ES256', jwk)!, jwk, `ES256 ${await jwkThumbprint(jwk, webCrypto.sha256)}`, new Uint8Array(Buffer.from(sig, 'base64url')), `${h}.${p}`] as const
    const onPool = primitives.verify(...args)
    expect(onPool instanceof Promise && (await onPool)).toBe(true)
    busy = false
    expect(primitives.verify(...args)).toBe(true)
  })
})
