// Listening must not change the traffic to Authlete much: with onDecision (or a channel
// subscriber), a DPoP key mismatch (A065309) is explained by one standard-introspection call per
// token per minute at most; past that, the reason carries no tokenJkt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopKeyPair, createDpopProof, startEmulator, type DpopKeyPair } from '@authlete-guard/emulator'
import { createGuard, type CheckEvent, type RequestLike } from '../src'

type Emulator = Awaited<ReturnType<typeof startEmulator>>
const ORIGIN = 'https://api.example.com'
let emu: Emulator
let key: DpopKeyPair
let otherKey: DpopKeyPair
let clock = 0 // ms added to the guard's clock

beforeAll(async () => {
  emu = await startEmulator()
  ;[key, otherKey] = await Promise.all([createDpopKeyPair('ES256'), createDpopKeyPair('ES256')])
})
afterAll(async () => {
  await emu?.close()
})

const calls = (apiPath: string) => emu.requests.filter((r) => r.apiPath === apiPath).length
const mismatched = async (token: string): Promise<RequestLike> => ({
  method: 'GET',
  url: '/api/me',
  headers: { host: 'internal', authorization: `DPoP ${token}`, dpop: await createDpopProof(otherKey, { htm: 'GET', htu: `${ORIGIN}/api/me`, accessToken: token }) },
})

describe('the key-mismatch explanation is bounded', () => {
  it('10 mismatching requests with one token and a listener -> 10 introspections + 1 standard introspection; again after a minute', async () => {
    const events: CheckEvent[] = []
    const guard = createGuard({
      authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken },
      publicUrl: ORIGIN,
      now: () => Date.now() + clock,
      onDecision: (e) => events.push(e),
    })
    const token = (await emu.createToken({ subject: 'alice', scopes: ['read'], dpopKeyThumbprint: key.thumbprint })).accessToken
    const before = [calls('/auth/introspection'), calls('/auth/introspection/standard')]
    for (let i = 0; i < 10; i++) expect((await guard.check(await mismatched(token))).allowed).toBe(false)
    expect([calls('/auth/introspection') - before[0]!, calls('/auth/introspection/standard') - before[1]!]).toEqual([10, 1])
    expect(events.map((e) => e.reason?.resultCode)).toEqual(Array(10).fill('A065309'))
    expect(events.map((e) => e.reason?.tokenJkt)).toEqual([key.thumbprint, ...Array(9).fill(undefined)])

    clock = 60_000
    await guard.check(await mismatched(token))
    expect(calls('/auth/introspection/standard') - before[1]!).toBe(2)
    expect(events.at(-1)?.reason?.tokenJkt).toBe(key.thumbprint)
    await guard.close()
  })
  it('the bound is per token: another token gets its own explanation', async () => {
    const events: CheckEvent[] = []
    const guard = createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, publicUrl: ORIGIN, onDecision: (e) => events.push(e) })
    const [first, second] = await Promise.all([1, 2].map(async () => (await emu.createToken({ subject: 'alice', dpopKeyThumbprint: key.thumbprint })).accessToken))
    await guard.check(await mismatched(first!))
    await guard.check(await mismatched(second!))
    expect(events.map((e) => e.reason?.tokenJkt)).toEqual([key.thumbprint, key.thumbprint])
    await guard.close()
  })
})
