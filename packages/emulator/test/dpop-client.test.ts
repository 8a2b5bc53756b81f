import { createPublicKey, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { jwtVerify, importJWK } from 'jose'
import { computeAth, createDpopKeyPair, createDpopProof, jwkThumbprint, normalizeHtu } from '@authlete-guard/emulator'
import { loadFixture } from './helpers'

const rfc = loadFixture('rfc9449.json')
const seed = loadFixture('seed-token-request.json')

describe('DPoP hashes', () => {
  it('computeAth matches the RFC 9449 §7.1 example', () => {
    expect(computeAth(rfc.rs_request_example.access_token)).toBe(rfc.rs_request_example.expected_ath)
  })

  it('jwkThumbprint matches the RFC 9449 example key (EC)', () => {
    expect(jwkThumbprint(rfc.rs_request_example.decoded_header.jwk)).toBe(rfc.rs_request_example.expected_jkt)
  })

  it('jwkThumbprint matches RFC 7638 §3.1 (RSA) and ignores non-required members', () => {
    const n =
      '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw'
    expect(jwkThumbprint({ kty: 'RSA', n, e: 'AQAB', alg: 'RS256', kid: '2011-04-29' })).toBe(rfc.rfc7638_rsa_thumbprint.expected)
  })

  it('jwkThumbprint of the seed proof key', () => {
    const header = JSON.parse(Buffer.from(seed.request.headers.dpop.split('.')[0], 'base64url').toString())
    expect(jwkThumbprint(header.jwk)).toBe(seed.decoded_proof.jwk_thumbprint)
  })

  it('jwkThumbprint rejects unknown key types and missing members', () => {
    expect(() => jwkThumbprint({ kty: 'XYZ' })).toThrow(TypeError)
    expect(() => jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'abc' })).toThrow(TypeError)
  })
})

describe('normalizeHtu (RFC 3986 §6.2.2/6.2.3)', () => {
  it.each([
    ['HTTPS://API.Example.COM:443/me?x=1#frag', 'https://api.example.com/me'],
    ['http://127.0.0.1:80/a/b', 'http://127.0.0.1/a/b'],
    ['http://127.0.0.1:8080/a/', 'http://127.0.0.1:8080/a/'],
    ['https://a.example/x/../y', 'https://a.example/y'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeHtu(input)).toBe(expected)
  })

  it('keeps a trailing slash significant and rejects relative URLs', () => {
    expect(normalizeHtu('https://a.example/x')).not.toBe(normalizeHtu('https://a.example/x/'))
    expect(normalizeHtu('/relative')).toBeUndefined()
  })
})

describe('createDpopKeyPair / createDpopProof', () => {
  it.each(['ES256', 'ES384', 'ES512', 'ES256K', 'RS256', 'PS256', 'PS512', 'EdDSA'] as const)('%s proofs verify with the embedded jwk', async (alg) => {
    const key = await createDpopKeyPair(alg)
    expect(key.alg).toBe(alg)
    expect(key.publicJwk).not.toHaveProperty('d')
    expect(key.thumbprint).toBe(jwkThumbprint(key.publicJwk))
    const proof = await createDpopProof(key, { htm: 'GET', htu: 'https://rs.example/a', accessToken: 'tok', nonce: 'n1', jti: 'j1', iat: 1700000000 })
    const [h, p, s] = proof.split('.') as [string, string, string]
    const header = JSON.parse(Buffer.from(h, 'base64url').toString())
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
    expect(header).toEqual({ typ: 'dpop+jwt', alg, jwk: key.publicJwk })
    expect(claims).toEqual({ jti: 'j1', htm: 'GET', htu: 'https://rs.example/a', iat: 1700000000, ath: computeAth('tok'), nonce: 'n1' })
    const publicKey = createPublicKey({ key: key.publicJwk, format: 'jwk' })
    const digest = alg === 'EdDSA' ? null : `sha${alg.slice(2, 5)}`
    const ok = verify(
      digest,
      Buffer.from(`${h}.${p}`),
      alg.startsWith('ES') ? { key: publicKey, dsaEncoding: 'ieee-p1363' } : alg.startsWith('PS') ? { key: publicKey, padding: 6, saltLength: -1 } : publicKey,
      Buffer.from(s, 'base64url'),
    )
    expect(ok).toBe(true)
  })

  it('proofs verify with jose too (independent implementation)', async () => {
    const key = await createDpopKeyPair('ES256')
    const proof = await createDpopProof(key, { htm: 'POST', htu: 'https://as.example/token' })
    const { payload, protectedHeader } = await jwtVerify(proof, await importJWK(key.publicJwk as never, 'ES256'), { typ: 'dpop+jwt' })
    expect(payload.htm).toBe('POST')
    expect(protectedHeader.alg).toBe('ES256')
  })

  it('header/claims overrides replace and remove members; alg none yields an unsigned JWT', async () => {
    const key = await createDpopKeyPair('ES256')
    const proof = await createDpopProof(key, { htm: 'GET', htu: 'https://a/', header: { typ: 'JWT', jwk: undefined }, claims: { jti: undefined, extra: 1 } })
    const [h, p] = proof.split('.') as [string, string]
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ typ: 'JWT', alg: 'ES256' })
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString())
    expect(claims).not.toHaveProperty('jti')
    expect(claims.extra).toBe(1)
    const unsigned = await createDpopProof(key, { htm: 'GET', htu: 'https://a/', header: { alg: 'none' } })
    expect(unsigned.endsWith('.')).toBe(true)
  })
})
