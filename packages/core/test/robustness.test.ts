// Bad input never crashes or hangs the guard: thousands of deterministic pseudo-random requests
// with hostile header values must each resolve to a well-formed decision.
import { describe, expect, it } from 'vitest'
import { createGuard, resolvePublicUrl, type RequestLike } from '../src'
import { useAuthleteStub } from './support/authlete-stub'

const stub = useAuthleteStub()

/** mulberry32: a small seeded PRNG, so a failure reproduces. */
function prng(seed: number) {
  return () => {
    seed |= 0
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const PIECES = ['Bearer', 'DPoP', 'dpop', 'bearer', 'Basic', ' ', '  ', ',', ', ', '=', '==', '"', '\\', ';', 'a', 'Z9', '-._~+/', '%41', '%', '\u00e9', '\u0000', '\t', 'eyJ0eXAiOiJkcG9wK2p3dCJ9', '.', 'x'.repeat(300), '[::1]', ':443', ':', '@', '/', '?', '#', 'host', 'proto=https', 'for=1.2.3.4', 'https', 'http']

function junk(next: () => number, max = 8): string {
  let out = ''
  const n = Math.floor(next() * max)
  for (let i = 0; i < n; i++) out += PIECES[Math.floor(next() * PIECES.length)]
  return out
}

describe('hostile input', () => {
  it('2000 random requests: every check resolves to a well-formed decision, never throws', async () => {
    const next = prng(9449)
    stub.setDefault({ json: { action: 'UNAUTHORIZED', responseContent: 'Bearer error="invalid_token"' } })
    const guard = createGuard({ authlete: { baseUrl: stub.url, serviceId: '1', accessToken: 't', timeoutMs: 2000 }, trustProxy: true })
    for (let i = 0; i < 2000; i++) {
      const headers: Record<string, string | string[]> = {}
      if (next() < 0.9) headers.authorization = next() < 0.5 ? `${next() < 0.5 ? 'DPoP' : 'Bearer'} ${junk(next)}` : junk(next)
      if (next() < 0.5) headers.dpop = next() < 0.2 ? [junk(next), junk(next)] : junk(next)
      if (next() < 0.9) headers.host = junk(next, 4) || 'a'
      if (next() < 0.3) headers.forwarded = junk(next)
      if (next() < 0.3) headers['x-forwarded-host'] = junk(next, 3)
      if (next() < 0.3) headers['x-forwarded-proto'] = junk(next, 2)
      const request: RequestLike = { method: next() < 0.5 ? 'get' : 'POST', url: next() < 0.8 ? `/${junk(next, 3)}` : junk(next, 3), headers }
      const decision = await guard.check(request, { scopes: ['read'] })
      expect(decision.allowed).toBe(false)
      if (decision.allowed) continue
      expect([400, 401, 500]).toContain(decision.status)
      expect(decision.headers['WWW-Authenticate']).toMatch(/^(Bearer|DPoP)\b/)
      expect(decision.headers['Cache-Control']).toBe('no-store')
      expect(() => JSON.parse(decision.body)).not.toThrow()
    }
    // Whatever reached Authlete was well-formed: a token68 token, and for DPoP a one-JWT proof and an absolute htu.
    for (const call of stub.calls) {
      expect(call.body.token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/)
      if (call.body.dpop !== undefined) {
        expect(call.body.dpop).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/)
        expect(() => new URL(call.body.htu)).not.toThrow()
        expect(call.body.htu).toMatch(/^https?:\/\/[^/?#@\s]+\/[^?#\s]*$/)
      }
    }
    await guard.close()
  }, 60_000)

  it('resolvePublicUrl never produces an htu a URL parser rejects or that differs from its own normalisation', () => {
    const next = prng(7638)
    for (let i = 0; i < 5000; i++) {
      const result = resolvePublicUrl(
        { method: 'GET', url: `/${junk(next, 3)}`, headers: { host: junk(next, 3), 'x-forwarded-host': junk(next, 2), 'x-forwarded-proto': junk(next, 1) } },
        { trustProxy: next() < 0.5 },
      )
      if (!result.ok) continue
      const parsed = new URL(result.htu)
      expect(`${parsed.protocol}//${parsed.host}`).toBe(result.htu.slice(0, result.htu.indexOf('/', 8)))
    }
  })
})
