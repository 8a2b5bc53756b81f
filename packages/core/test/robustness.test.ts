// Bad input never crashes or hangs the guard: tens of thousands of deterministic pseudo-random
// requests with hostile header values and paths must each resolve to a well-formed decision, and
// none that a framework could route elsewhere (dot segments) is ever allowed.
import { describe, expect, it } from 'vitest'
import { createGuard, type RequestLike } from '../src'
import { resolvePublicUrl } from '../src/unstable'
import { hasDotSegment, requestPath } from '../src/request/public-url'
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

const PIECES = ['..', '%2e', '%2E%2e', '/../', '/./', '\\', '%5c', 'Bearer', 'DPoP', 'dpop', 'bearer', 'Basic', ' ', '  ', ',', ', ', '=', '==', '"', '\\', ';', 'a', 'Z9', '-._~+/', '%41', '%', '\u00e9', '\u0000', '\t', 'eyJ0eXAiOiJkcG9wK2p3dCJ9', '.', 'x'.repeat(300), '[::1]', ':443', ':', '@', '/', '?', '#', 'host', 'proto=https', 'for=1.2.3.4', 'https', 'http']

function junk(next: () => number, max = 8): string {
  let out = ''
  const n = Math.floor(next() * max)
  for (let i = 0; i < n; i++) out += PIECES[Math.floor(next() * PIECES.length)]
  return out
}

describe('hostile input', () => {
  it('20,000 random requests, Authlete answering OK to anything: every decision is well-formed and only clean requests are allowed', async () => {
    const next = prng(9449)
    // The worst Authlete: OK for whatever reaches it. The local refusals must hold on their own.
    stub.setDefault({ json: { action: 'OK', resultCode: 'A056001', clientId: 1, subject: 'alice', scopes: ['read'], expiresAt: 4102444800000 } })
    const guard = createGuard({ authlete: { baseUrl: stub.url, serviceId: '1', accessToken: 't', timeoutMs: 2000 }, trustProxy: true })
    const tally = { allowed: 0, denied: 0, dotSegments: 0 }
    for (let i = 0; i < 20_000; i++) {
      const headers: Record<string, string | string[]> = {}
      if (next() < 0.9) headers.authorization = next() < 0.5 ? `${next() < 0.5 ? 'DPoP' : 'Bearer'} ${junk(next)}` : junk(next)
      if (next() < 0.5) headers.dpop = next() < 0.2 ? [junk(next), junk(next)] : junk(next)
      if (next() < 0.9) headers.host = junk(next, 4) || 'a'
      if (next() < 0.3) headers.forwarded = junk(next)
      if (next() < 0.3) headers['x-forwarded-host'] = junk(next, 3)
      if (next() < 0.3) headers['x-forwarded-proto'] = junk(next, 2)
      // A quarter carry clean credentials, so only the path decides.
      if (next() < 0.25) Object.assign(headers, { authorization: 'Bearer good-token', host: 'api.example.com', dpop: [] })
      // A third of the paths route-confusion shaped: a dot segment or a backslash somewhere.
      const dotted = next() < 0.33
      const path = dotted ? `/files/${['..', '%2e%2e', '.%2E', '.', '%2e'][Math.floor(next() * 5)]}/api/admin${next() < 0.5 ? '' : `/${junk(next, 2)}`}` : `/${junk(next, 3)}`
      const request: RequestLike = { method: next() < 0.5 ? 'get' : 'POST', url: next() < 0.8 ? path : junk(next, 3), headers }
      const decision = await guard.check(request, { scopes: ['read'] })
      if (decision.allowed) {
        tally.allowed++
        // An allowed request had exactly one well-formed token and a clean path.
        expect(hasDotSegment(requestPath(request.url))).toBe(false)
        continue
      }
      tally.denied++
      if (dotted && request.url === path) tally.dotSegments++
      expect([400, 401, 500]).toContain(decision.status)
      expect(decision.headers['WWW-Authenticate']).toMatch(/^(Bearer|DPoP)\b/)
      expect(decision.headers['Cache-Control']).toBe('no-store')
      expect(() => JSON.parse(decision.body)).not.toThrow()
    }
    // The run covered every outcome that matters.
    expect(tally.allowed).toBeGreaterThan(1000)
    expect(tally.dotSegments).toBeGreaterThan(1000)
    // Whatever reached Authlete was well-formed: a token68 token, and for DPoP a one-JWT proof and an absolute htu without dot segments.
    for (const call of stub.calls) {
      expect(call.body.token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/)
      if (call.body.dpop !== undefined) {
        expect(call.body.dpop).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/)
        expect(() => new URL(call.body.htu)).not.toThrow()
        expect(call.body.htu).toMatch(/^https?:\/\/[^/?#@\s]+\/[^?#\s]*$/)
        expect(new URL(call.body.htu).href).toBe(call.body.htu.replace(/^([^:]+:\/\/[^/]+)/, (o: string) => new URL(o).origin))
      }
      expect(hasDotSegment(new URL(call.body.htu ?? 'http://x/').pathname)).toBe(false)
    }
    await guard.close()
  }, 120_000)

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
