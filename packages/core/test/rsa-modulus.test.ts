// Issue 19, point 7: an RSA key's size is its modulus measured without leading zero octets
// (RFC 7518 §6.3.1.1). A 1024-bit key whose `n` is zero-padded to 256 octets looks like 2048 bits
// by length alone; the guard must refuse it (401 invalid_dpop_proof, Authlete not called), on the
// root entry (WebCrypto) and on `@authlete-guard/core/node` (node:crypto) alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { fixtureKeyPair } from '../../../test/fixtures/keys'
import { createGuard, type Guard } from '../src'
import { checkProof } from '../src/dpop/verify'
import { createGuard as createNodeGuard } from '../src/node'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
const HTU = 'https://api.example.com/api/me'
let emu: Emulator
let token: string
let short: DpopKeyPair
const ENTRIES = { 'root entry (WebCrypto)': createGuard, '/node (node:crypto)': createNodeGuard } as const
const guards = new Map<string, Guard>()

/** `n` left-padded with zero octets to `octets` octets. */
function padded(n: string, octets: number): string {
  const bytes = Buffer.from(n, 'base64url')
  return Buffer.concat([Buffer.alloc(octets - bytes.length), bytes]).toString('base64url')
}

beforeAll(async () => {
  emu = await startEmulator()
  short = await fixtureKeyPair('RS256', { modulusLength: 1024 })
  // Unbound: Authlete would accept a proof by any key, so only the guard's own check can refuse.
  token = (await emu.createToken({ subject: 'alice', scopes: [] })).accessToken
  const authlete = { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }
  for (const [name, create] of Object.entries(ENTRIES)) guards.set(name, create({ authlete, publicUrl: 'https://api.example.com' }))
})
afterAll(async () => {
  await Promise.all([...guards.values()].map((guard) => guard.close()))
  await emu?.close()
})

describe('a 1024-bit RSA key zero-padded to 256 octets is refused', () => {
  it('the padded n is 256 octets long, with a leading zero octet', () => {
    const n = Buffer.from(padded(short.publicJwk.n!, 256), 'base64url')
    expect([n.length, n[0]]).toEqual([256, 0])
    expect(Buffer.from(short.publicJwk.n!, 'base64url').length).toBe(128)
  })

  it.each(Object.keys(ENTRIES))('%s: 401 invalid_dpop_proof, before any Authlete call', async (name) => {
    const guard = guards.get(name)!
    const jwk = { ...short.publicJwk, n: padded(short.publicJwk.n!, 256) }
    const proof = await createDpopProof(short, { htm: 'GET', htu: HTU, accessToken: token, header: { jwk } })
    const before = emu.requests.length
    const decision = await guard.check({ method: 'GET', url: '/api/me', headers: { host: 'internal', authorization: `DPoP ${token}`, dpop: proof } })
    expect(decision.allowed).toBe(false)
    if (decision.allowed) return
    expect([decision.status, decision.error]).toEqual([401, 'invalid_dpop_proof'])
    expect(decision.errorDescription).toMatch(/shorter than 2048 bits/)
    expect(emu.requests.length - before).toBe(0)
  })
})

describe('the measure is the modulus itself, not its encoding', () => {
  it('a 2048-bit key with a zero-padded n still passes the size check (its signature verifies)', async () => {
    const key = await fixtureKeyPair('RS256')
    const jwk = { ...key.publicJwk, n: padded(key.publicJwk.n!, 257) }
    const proof = await createDpopProof(key, { htm: 'GET', htu: HTU, accessToken: 'tok', header: { jwk } })
    const checked = await checkProof(proof, { htm: 'GET', htu: HTU, accessToken: 'tok', algs: ['RS256'], now: Date.now(), maxAgeSeconds: 300, maxFutureSeconds: 60 })
    expect(checked.ok).toBe(true)
  })

  it('the unpadded 1024-bit key is refused too (control)', async () => {
    const proof = await createDpopProof(short, { htm: 'GET', htu: HTU, accessToken: 'tok' })
    const checked = await checkProof(proof, { htm: 'GET', htu: HTU, accessToken: 'tok', algs: ['RS256'], now: Date.now(), maxAgeSeconds: 300, maxFutureSeconds: 60 })
    expect(checked.ok).toBe(false)
    expect(!checked.ok && checked.description).toMatch(/shorter than 2048 bits/)
  })
})
