// The root entry's helpers for code beside the guard that must hand a token on or write a
// challenge of its own (@authlete-guard/mcp's AuthInfo.token and requireScopes): the guard's own
// rules, exported once, so no package copies them.
import { describe, expect, it } from 'vitest'
import { fromFetchRequest, presentedAccessToken, renderChallenge } from '../src/index'
import { parseChallenges } from '../src/decision/challenge'

const PROOF = 'eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiIxIn0.c2ln'

describe('presentedAccessToken(request)', () => {
  it('gives the token and its scheme, as the guard reads them (scheme in any case)', () => {
    expect(presentedAccessToken({ method: 'GET', url: '/mcp', headers: { authorization: 'Bearer abc.def' } })).toEqual({ scheme: 'Bearer', token: 'abc.def' })
    expect(presentedAccessToken({ method: 'POST', url: '/mcp', headers: { authorization: 'dpop xyz', dpop: PROOF } })).toEqual({ scheme: 'DPoP', token: 'xyz' })
    const request = new Request('http://127.0.0.1/mcp', { headers: { authorization: 'DPoP xyz', dpop: PROOF } })
    expect(presentedAccessToken(fromFetchRequest(request))).toEqual({ scheme: 'DPoP', token: 'xyz' })
  })

  it('is undefined where the guard would find no token it accepts', () => {
    const cases: Record<string, string | string[]>[] = [
      {},
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: 'DPoP xyz' }, // no proof
      { authorization: 'Bearer abc', dpop: PROOF }, // a proof beside a Bearer token
      { authorization: ['Bearer abc', 'Bearer def'] },
      { authorization: 'Bearer a b' },
    ]
    for (const headers of cases) expect(presentedAccessToken({ method: 'GET', url: '/mcp', headers }), JSON.stringify(headers)).toBeUndefined()
  })
})

describe('renderChallenge(scheme, params)', () => {
  it('quotes every value (RFC 9110 §5.6.4: " and \\ escaped), leaves out undefined ones, and parses back', () => {
    const value = renderChallenge('Bearer', [['error', 'insufficient_scope'], ['realm', undefined], ['scope', 'a "b" c\\d']])
    expect(value).toBe('Bearer error="insufficient_scope", scope="a \\"b\\" c\\\\d"')
    expect(parseChallenges(value)).toEqual([{ scheme: 'Bearer', params: [['error', 'insufficient_scope'], ['scope', 'a "b" c\\d']] }])
  })

  it('a scheme without parameters is the bare scheme', () => {
    expect(renderChallenge('DPoP', [['realm', undefined]])).toBe('DPoP')
  })
})
