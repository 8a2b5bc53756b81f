import { describe, expect, it } from 'vitest'
import { extractCredentials } from '../src/request/credentials'
import { rfc9449 } from './vectors'

const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ.c2ln'
const req = (headers: Record<string, string | string[]> | Headers, url = '/api') => ({ method: 'GET', url, headers })

describe('extractCredentials', () => {
  const cases: Array<[name: string, headers: Record<string, string | string[]> | Headers, expected: object, url?: string]> = [
    ['RFC 6750 §2.1 Bearer token, scheme stripped', { authorization: 'Bearer abc.DEF-_~+/=' }, { ok: true, scheme: 'Bearer', token: 'abc.DEF-_~+/=' }],
    ['RFC 7235 §2.1 scheme is case-insensitive (bEaReR)', { authorization: 'bEaReR tok' }, { ok: true, scheme: 'Bearer', token: 'tok' }],
    ['RFC 9449 §7.1 DPoP token with one proof', { authorization: 'DPoP tok', dpop: JWT }, { ok: true, scheme: 'DPoP', token: 'tok', dpop: JWT }],
    ['RFC 9449 §7.1 dpop scheme lower-case', { authorization: 'dpop tok', dpop: JWT }, { ok: true, scheme: 'DPoP', token: 'tok', dpop: JWT }],
    ['RFC 6750 §3.1 no Authorization header -> missing', {}, { ok: false, kind: 'missing' }],
    ['RFC 6750 §3.1 another scheme (Basic) carries no access token', { authorization: 'Basic dXNlcjpwdw==' }, { ok: false, kind: 'missing' }],
    ['RFC 6750 §3.1 scheme without token -> invalid_request', { authorization: 'Bearer' }, { ok: false, kind: 'invalid_request', scheme: 'Bearer' }],
    ['RFC 7235 token68 syntax: space inside the token -> invalid_request', { authorization: 'Bearer a b' }, { ok: false, kind: 'invalid_request' }],
    ['RFC 7235 token68 syntax: comma -> invalid_request', { authorization: 'Bearer a,b' }, { ok: false, kind: 'invalid_request' }],
    ['RFC 6750 §3.1 a comma-joined Authorization value counts as two headers', { authorization: 'Bearer a, Bearer b' }, { ok: false, kind: 'invalid_request', description: 'The request has more than one Authorization header.' }],
    ['RFC 7235 token68 syntax: "=" only at the end', { authorization: 'Bearer a=b' }, { ok: false, kind: 'invalid_request' }],
    ['RFC 6750 §3.1 two Authorization headers -> invalid_request', { authorization: ['Bearer a', 'Bearer b'] }, { ok: false, kind: 'invalid_request' }],
    ['RFC 6750 §3.1 fetch Headers joining two Authorization values -> invalid_request', new Headers([['authorization', 'Bearer a'], ['authorization', 'Bearer b']]), { ok: false, kind: 'invalid_request', description: 'The request has more than one Authorization header.' }],
    ['RFC 6750 §2 token in header and query -> invalid_request', { authorization: 'Bearer a' }, { ok: false, kind: 'invalid_request' }, '/api?x=1&access_token=a'],
    ['RFC 9449 §7.2 Bearer scheme plus a DPoP header -> invalid_request', { authorization: 'Bearer tok', dpop: JWT }, { ok: false, kind: 'invalid_request', scheme: 'Bearer' }],
    ['RFC 9449 §7.1 DPoP scheme without a DPoP header -> invalid_dpop_proof', { authorization: 'DPoP tok' }, { ok: false, kind: 'invalid_dpop_proof', scheme: 'DPoP' }],
    ['RFC 9449 §4.3 two DPoP headers -> invalid_dpop_proof', { authorization: 'DPoP tok', dpop: [JWT, JWT] }, { ok: false, kind: 'invalid_dpop_proof' }],
    ['RFC 9449 §4.3 comma-joined DPoP values -> invalid_dpop_proof', { authorization: 'DPoP tok', dpop: `${JWT}, ${JWT}` }, { ok: false, kind: 'invalid_dpop_proof' }],
    ['RFC 9449 §4.3 DPoP header that is not a JWT -> invalid_dpop_proof', { authorization: 'DPoP tok', dpop: 'not-a-jwt' }, { ok: false, kind: 'invalid_dpop_proof' }],
    ['RFC 9449 §4.3 empty DPoP header -> invalid_dpop_proof', { authorization: 'DPoP tok', dpop: '' }, { ok: false, kind: 'invalid_dpop_proof' }],
    ['header names are case-insensitive in a hand-built record', { Authorization: 'Bearer tok' }, { ok: true, scheme: 'Bearer', token: 'tok' }],
  ]
  it.each(cases)('%s', (_name, headers, expected, url) => {
    expect(extractCredentials(req(headers, url))).toMatchObject(expected)
  })

  it('RFC 9449 §7.1 example request: token with "~" and "." and the example proof', () => {
    const v = rfc9449.rs_request_example
    const result = extractCredentials(req({ authorization: v.authorization, dpop: v.dpop_proof }))
    expect(result).toEqual({ ok: true, scheme: 'DPoP', token: v.access_token, dpop: v.dpop_proof })
  })
})
