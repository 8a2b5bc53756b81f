// The 429 of a DPoP key past its share of the replay store reaches the client through Express as
// the guard wrote it: status, Retry-After, content type, no-store and the JSON body.
import express from 'express'
import { afterAll, describe, expect, it } from 'vitest'
import { createDpopProof } from '@authlete-guard/emulator'
import { useAdapterTestbed } from '../../../test/support/adapter-testbed'
import { createGuard, createMemoryReplayStore, protect, type Guard } from '../src/index'

const bed = useAdapterTestbed()
const guards: Guard[] = []
afterAll(() => Promise.all(guards.map((g) => g.close())))

describe('Express: a replay-store limit (429)', () => {
  it('sends 429 with Retry-After, Content-Type, Cache-Control and the JSON body; the route does not run', async () => {
    const emu = bed.emu()
    const key = bed.key()
    const guard = createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, replay: createMemoryReplayStore({ maxEntriesPerOwner: 1 }) })
    guards.push(guard)
    let runs = 0
    const app = express()
    app.get('/me', protect(guard), (req, res) => {
      runs++
      res.json({ sub: req.auth.subject })
    })
    const url = await bed.serve(app)
    const { accessToken } = await emu.createToken({ subject: 'alice', scopes: [], dpopKeyThumbprint: key.thumbprint })
    const call = async () => {
      const dpop = await createDpopProof(key, { htm: 'GET', htu: `${url}/me`, accessToken })
      return fetch(`${url}/me`, { headers: { authorization: `DPoP ${accessToken}`, dpop } })
    }
    expect((await call()).status).toBe(200)
    const limited = await call()
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('360')
    expect(limited.headers.get('content-type')).toMatch(/^application\/json/)
    expect(limited.headers.get('cache-control')).toBe('no-store')
    expect(await limited.json()).toEqual({ error: 'too_many_requests', error_description: 'Too many DPoP proofs of this key are inside the replay window; retry later.' })
    expect(runs).toBe(1)
  })
})
