import { describe, expect, it } from 'vitest'
import { denialResponse, withDecisionHeaders, type AllowDecision, type DenyDecision } from '../src'

const denial: DenyDecision = {
  allowed: false,
  status: 401,
  headers: { 'WWW-Authenticate': 'DPoP error="use_dpop_nonce"', 'DPoP-Nonce': 'n-1', 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  body: '{"error":"use_dpop_nonce"}',
  error: 'use_dpop_nonce',
  errorDescription: undefined,
}
const allow = (headers: Record<string, string>) => ({ allowed: true, headers }) as unknown as AllowDecision

describe('fetch-style answers', () => {
  it('denialResponse: status, every header and the body as decided', async () => {
    const res = denialResponse(denial)
    expect(res.status).toBe(401)
    expect(Object.fromEntries(res.headers)).toEqual({ 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-1', 'content-type': 'application/json', 'cache-control': 'no-store' })
    expect(await res.text()).toBe(denial.body)
  })
  it('withDecisionHeaders adds DPoP-Nonce to a mutable response in place', () => {
    const res = new Response('ok')
    expect(withDecisionHeaders(res, allow({ 'DPoP-Nonce': 'n-2' }))).toBe(res)
    expect(res.headers.get('dpop-nonce')).toBe('n-2')
  })
  it('withDecisionHeaders copies an immutable response (Response.redirect) and keeps status and body', async () => {
    const redirect = Response.redirect('https://example.com/next', 302)
    const out = withDecisionHeaders(redirect, allow({ 'DPoP-Nonce': 'n-3' }))
    expect(out).not.toBe(redirect)
    expect([out.status, out.headers.get('location'), out.headers.get('dpop-nonce')]).toEqual([302, 'https://example.com/next', 'n-3'])
  })
  it('no headers: the response is returned untouched', () => {
    const res = Response.redirect('https://example.com/', 302)
    expect(withDecisionHeaders(res, allow({}))).toBe(res)
  })
})
