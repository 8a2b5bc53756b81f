import { describe, expect, it } from 'vitest'
import { normaliseAuthority, resolvePublicUrl, type PublicUrlOptions } from '../src/request/public-url'
import type { RequestLike } from '../src/types'
import { rfc9449 } from './vectors'

type Case = [name: string, request: Partial<RequestLike>, options: PublicUrlOptions, expected: { htu: string; targetUri?: string } | { error: RegExp }]

const base: RequestLike = { method: 'GET', url: '/api/me', headers: { host: 'api.example.com' } }

describe('resolvePublicUrl (RFC 9449 §4.3 htu, reference §6)', () => {
  const cases: Case[] = [
    ['socket + Host, plain http', {}, {}, { htu: 'http://api.example.com/api/me' }],
    ['socket + Host over TLS', { encrypted: true }, {}, { htu: 'https://api.example.com/api/me' }],
    ['RFC 3986 §6.2.2.1 host lower-cased', { headers: { host: 'API.Example.COM' } }, {}, { htu: 'http://api.example.com/api/me' }],
    ['RFC 3986 §6.2.3 default port 443 dropped for https', { encrypted: true, headers: { host: 'api.example.com:443' } }, {}, { htu: 'https://api.example.com/api/me' }],
    ['RFC 3986 §6.2.3 default port 80 dropped for http', { headers: { host: 'api.example.com:80' } }, {}, { htu: 'http://api.example.com/api/me' }],
    ['non-default port kept', { headers: { host: '127.0.0.1:3000' } }, {}, { htu: 'http://127.0.0.1:3000/api/me' }],
    ['port 443 kept for http', { headers: { host: 'h:443' } }, {}, { htu: 'http://h:443/api/me' }],
    ['IPv6 literal', { headers: { host: '[::1]:8080' } }, {}, { htu: 'http://[::1]:8080/api/me' }],
    ['RFC 9449 §4.3 query and fragment excluded from htu, query kept in targetUri', { url: '/api/me?a=1&b=2#frag' }, {}, { htu: 'http://api.example.com/api/me', targetUri: 'http://api.example.com/api/me?a=1&b=2' }],
    ['path as received: trailing slash kept', { url: '/api/me/' }, {}, { htu: 'http://api.example.com/api/me/' }],
    ['path as received: percent-encoding and case kept', { url: '/API/%7Euser' }, {}, { htu: 'http://api.example.com/API/%7Euser' }],
    ['absolute-form target: only its path and query are used when Host is present', { url: 'http://localhost:3000/api/me?x=1' }, {}, { htu: 'http://api.example.com/api/me', targetUri: 'http://api.example.com/api/me?x=1' }],
    ['absolute URL without a Host header: its own origin', { url: 'HTTPS://Example.org:443/p', headers: {} }, {}, { htu: 'https://example.org/p' }],
    ['publicUrl wins over Host and forwarded headers', { headers: { host: 'internal:8080', 'x-forwarded-host': 'evil.example' } }, { publicUrl: 'https://API.example.com', trustProxy: true }, { htu: 'https://api.example.com/api/me' }],
    ['publicUrl path prefix (path-prefixing gateway)', {}, { publicUrl: 'https://gw.example.com/svc/' }, { htu: 'https://gw.example.com/svc/api/me' }],
    ['untrusted X-Forwarded-* change nothing', { headers: { host: 'internal:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' } }, {}, { htu: 'http://internal:8080/api/me' }],
    ['trustProxy false: forwarded headers change nothing', { headers: { host: 'internal:8080', 'x-forwarded-proto': 'https' } }, { trustProxy: false }, { htu: 'http://internal:8080/api/me' }],
    ['trusted X-Forwarded-Proto + X-Forwarded-Host', { headers: { host: 'internal:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' } }, { trustProxy: true }, { htu: 'https://api.example.com/api/me' }],
    ['trusted X-Forwarded-Proto alone keeps Host', { headers: { host: 'api.example.com', 'x-forwarded-proto': 'HTTPS' } }, { trustProxy: true }, { htu: 'https://api.example.com/api/me' }],
    ['trusted X-Forwarded-Host with port, default for the forwarded scheme dropped', { headers: { host: 'i', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com:443' } }, { trustProxy: true }, { htu: 'https://api.example.com/api/me' }],
    ['RFC 7239 Forwarded proto+host preferred over X-Forwarded-*', { headers: { host: 'i', forwarded: 'for=192.0.2.60;proto=https;host="api.example.com"', 'x-forwarded-host': 'other.example' } }, { trustProxy: true }, { htu: 'https://api.example.com/api/me' }],
    ['RFC 7239 Forwarded without host falls back to X-Forwarded-*', { headers: { host: 'i', forwarded: 'for=192.0.2.60;proto=https', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'x.example' } }, { trustProxy: true }, { htu: 'https://x.example/api/me' }],
    ['RFC 7239 first element with trustProxy true', { headers: { host: 'i', forwarded: 'proto=https;host=a.example, proto=http;host=b.example' } }, { trustProxy: true }, { htu: 'https://a.example/api/me' }],
    ['hop count 1: the element the nearest proxy appended, not the client-written one', { headers: { host: 'i', 'x-forwarded-host': 'evil.example, api.example.com', 'x-forwarded-proto': 'http, https' } }, { trustProxy: 1 }, { htu: 'https://api.example.com/api/me' }],
    ['hop count 2 with two proxies', { headers: { host: 'i', 'x-forwarded-host': 'evil.example, api.example.com, lb.internal', 'x-forwarded-proto': 'http, https, http' } }, { trustProxy: 2 }, { htu: 'https://api.example.com/api/me' }],
    // RFC 9110 §5.6.4 quoted strings, read from the right: what the client wrote never swallows the proxy's element.
    ['hop count 1: a client-written quote that never ends does not swallow the proxy\'s element', { headers: { host: 'i', 'x-forwarded-host': 'evil.example", api.example.com', 'x-forwarded-proto': 'https' } }, { trustProxy: 1 }, { htu: 'https://api.example.com/api/me' }],
    ['hop count 1: a client-written escaped backslash before a closing quote (\\\\")', { headers: { host: 'i', forwarded: 'proto=http;host="evil.example\\\\", proto=https;host=api.example.com' } }, { trustProxy: 1 }, { htu: 'https://api.example.com/api/me' }],
    ['hop count 1: a comma inside a quoted string is no separator', { headers: { host: 'i', forwarded: 'proto=https;host=api.example.com;x="a, b"' } }, { trustProxy: 1 }, { htu: 'https://api.example.com/api/me' }],
    ['predicate trusting the peer', { remoteAddress: '10.0.0.5', headers: { host: 'i', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' } }, { trustProxy: (a) => a.startsWith('10.') }, { htu: 'https://api.example.com/api/me' }],
    ['predicate refusing the peer: forwarded headers ignored', { remoteAddress: '203.0.113.9', headers: { host: 'i', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' } }, { trustProxy: (a) => a.startsWith('10.') }, { htu: 'http://i/api/me' }],
    ['framework origin used when the guard has no trustProxy', { frameworkOrigin: { protocol: 'https', host: 'API.example.com:443' }, headers: { host: 'i' } }, {}, { htu: 'https://api.example.com/api/me' }],
    ['explicit trustProxy false overrides the framework origin', { frameworkOrigin: { protocol: 'https', host: 'api.example.com' }, headers: { host: 'i' } }, { trustProxy: false }, { htu: 'http://i/api/me' }],
    ['reference §6: a path inside Host is refused (htu laundering)', { headers: { host: 'api.example.com/admin' } }, {}, { error: /RFC 3986/ }],
    ['RFC 3986 §3.2 userinfo in Host refused', { headers: { host: 'user@api.example.com' } }, {}, { error: /RFC 3986/ }],
    ['RFC 3986 §3.2.3 non-numeric port refused', { headers: { host: 'api.example.com:http' } }, {}, { error: /RFC 3986/ }],
    ['port out of range refused', { headers: { host: 'api.example.com:70000' } }, {}, { error: /RFC 3986/ }],
    ['space in Host refused', { headers: { host: 'api example.com' } }, {}, { error: /RFC 3986/ }],
    ['trusted forwarded host with a path refused', { headers: { host: 'i', 'x-forwarded-host': 'a.example/x' } }, { trustProxy: true }, { error: /RFC 3986/ }],
    ['trusted forwarded proto that is not http(s) refused', { headers: { host: 'i', 'x-forwarded-proto': 'gopher' } }, { trustProxy: true }, { error: /http or https/ }],
    ['no Host at all refused', { headers: {} }, {}, { error: /no Host/ }],
    ['two Host headers refused', { headers: { host: ['a.example', 'b.example'] } }, {}, { error: /more than one Host/ }],
    ['request target not a path refused', { url: '*' }, {}, { error: /not a valid path/ }],
    // A proof for /api/admin must not run the /files/* route: frameworks route on the raw path,
    // Authlete compares htu normalised (RFC 3986 §6.2.2.3).
    ...([
      '/files/../api/admin', '/files/%2e%2e/api/admin', '/files/%2E%2e/api/admin', '/files/.%2E/api/admin', '/files/%2e./api/admin',
      '/x/../..', '/api/./admin', '/api/admin/.', '/api/admin/..', '/files\\..\\api/admin', '/api\\admin', '/api/%2e/admin',
    ].map((url): Case => [`dot segment or backslash refused: ${url}`, { url }, {}, { error: /dot segment or a backslash/ }])),
    ['dot segment refused even with a fixed publicUrl', { url: '/files/../api/admin' }, { publicUrl: 'https://api.example.com' }, { error: /dot segment/ }],
    ['dots inside a segment are fine', { url: '/api/.well-known/a..b/...?q=../x' }, {}, { htu: 'http://api.example.com/api/.well-known/a..b/...', targetUri: 'http://api.example.com/api/.well-known/a..b/...?q=../x' }],
    // A hop count n believes the element the n-th proxy from the app wrote; with fewer elements the
    // left-most may be the client's own, so none is believed.
    ['hop count 2, one client-sent X-Forwarded-Host: not believed', { headers: { host: 'api.internal', 'x-forwarded-host': 'evil.example' } }, { trustProxy: 2 }, { htu: 'http://api.internal/api/me' }],
    ['hop count 2, one client-sent X-Forwarded-Proto: not believed', { headers: { host: 'api.internal', 'x-forwarded-proto': 'https' } }, { trustProxy: 2 }, { htu: 'http://api.internal/api/me' }],
    ['hop count 3, two elements in Forwarded: not believed', { headers: { host: 'api.internal', forwarded: 'proto=https;host=evil.example, proto=https;host=lb.example' } }, { trustProxy: 3 }, { htu: 'http://api.internal/api/me' }],
  ]
  it.each(cases)('%s', (_name, request, options, expected) => {
    const result = resolvePublicUrl({ ...base, ...request }, options)
    if ('error' in expected) {
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.reason).toMatch(expected.error)
    } else {
      expect(result).toMatchObject({ ok: true, htu: expected.htu, targetUri: expected.targetUri ?? expected.htu })
    }
  })

  it('RFC 9449 §7.1 example: the resource request resolves to the proof\'s htu', () => {
    const v = rfc9449.rs_request_example
    const url = new URL(v.url)
    const result = resolvePublicUrl({ method: v.method, url: url.pathname, headers: { host: url.host }, encrypted: true })
    expect(result).toMatchObject({ ok: true, htu: v.decoded_payload.htu })
  })

  it('normaliseAuthority keeps hosts in RFC 3986 reg-name syntax that URL parsers read alike', () => {
    expect(normaliseAuthority('Example.com:0443', 'https')).toBe('example.com')
    expect(normaliseAuthority('example.com:08080', 'http')).toBe('example.com:8080')
    expect(normaliseAuthority('Exa%41mple.com', 'https')).toBeUndefined() // percent-encoded: parsers decode it
    expect(normaliseAuthority('%00', 'http')).toBeUndefined()
    expect(normaliseAuthority('xn--', 'http')).toBeUndefined() // invalid IDNA label
    expect(normaliseAuthority('[v1.x]', 'http')).toBeUndefined() // IPvFuture
    expect(normaliseAuthority('[::1]:8080', 'http')).toBe('[::1]:8080')
    expect(normaliseAuthority('a.example:', 'http')).toBe('a.example')
    expect(normaliseAuthority('a#b', 'http')).toBeUndefined()
    expect(normaliseAuthority('a?b', 'http')).toBeUndefined()
  })
})
