/**
 * The seed document's example ("Using DPoP", Authlete), reproduced exactly from
 * ../shared/vectors/seed-token-request.json: the `/auth/token` body the token endpoint must send,
 * and the answer the client must get.
 */
import { describe, expect, it } from 'vitest'
import { type RequestLike } from '../../src'
import { createAuthorizationServer } from '../../src/authorization-server'
import { useAuthleteStub } from '../support/authlete-stub'
import { seedTokenRequest as seed } from '../vectors'
import { lower, SERVICE_ID, SERVICE_TOKEN } from './support'

const stub = useAuthleteStub()

const authlete = () => ({ baseUrl: stub.url, serviceId: SERVICE_ID, accessToken: SERVICE_TOKEN, timeoutMs: 2000 })

async function runSeed(request: RequestLike, options: { trustProxy?: boolean; publicUrl?: string } = {}) {
  const as = createAuthorizationServer({ authlete: authlete(), ...options })
  stub.reply({ json: seed.example_authlete_token_response })
  const result = await as.token(request, seed.request.body)
  await as.close()
  return result
}

function expectSeedExchange(result: Awaited<ReturnType<typeof runSeed>>) {
  expect(stub.calls).toHaveLength(1)
  expect(stub.calls[0]!.path).toBe(`/api/${SERVICE_ID}/auth/token`)
  // Exactly the seed's body: no extra member (no clientId, no targetUri, no dpopNonceRequired).
  expect(stub.calls[0]!.body).toEqual(seed.expected_authlete_token_request)
  const expected = seed.expected_client_response
  expect(result.done).toBe(true)
  if (!result.done) return
  expect(result.status).toBe(expected.status)
  expect(lower(result.headers)).toEqual(expected.headers)
  expect(result.body).toBe(expected.body)
  expect(result.action).toBe('OK')
}

describe('seed example: POST /token on as.example.com with a DPoP proof (RFC 9449 §5)', () => {
  it('the seed proof was made for the seed htu (sanity check of the vector)', () => {
    const payload = JSON.parse(Buffer.from(seed.request.headers.dpop.split('.')[1], 'base64url').toString('utf8'))
    expect(payload).toEqual(seed.decoded_proof.payload)
    expect(payload.htu).toBe(seed.expected_authlete_token_request.htu)
  })

  it('RFC 9449 §4.3 directly over TLS: socket encrypted, Host as.example.com', async () => {
    const result = await runSeed({ method: seed.request.method, url: seed.request.path, headers: seed.request.headers, encrypted: true, remoteAddress: '203.0.113.9' })
    expectSeedExchange(result)
  })

  it('RFC 7239 behind a trusted TLS-terminating proxy: plain socket, X-Forwarded-Proto https, X-Forwarded-Host', async () => {
    const headers = { ...seed.request.headers, host: '10.0.0.5:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'as.example.com' }
    const result = await runSeed({ method: 'POST', url: '/token', headers, encrypted: false, remoteAddress: '10.0.0.1' }, { trustProxy: true })
    expectSeedExchange(result)
  })

  it('RFC 7239 behind a trusted proxy that keeps Host and sends only X-Forwarded-Proto https', async () => {
    const headers = { ...seed.request.headers, 'x-forwarded-proto': 'https' }
    const result = await runSeed({ method: 'POST', url: '/token', headers, encrypted: false, remoteAddress: '10.0.0.1' }, { trustProxy: true })
    expectSeedExchange(result)
  })

  it('RFC 7239 Forwarded: proto=https;host=as.example.com from a trusted proxy', async () => {
    const headers = { ...seed.request.headers, host: 'backend:3000', forwarded: 'for=198.51.100.7;proto=https;host=as.example.com' }
    const result = await runSeed({ method: 'POST', url: '/token', headers, encrypted: false, remoteAddress: '10.0.0.1' }, { trustProxy: true })
    expectSeedExchange(result)
  })

  it('a fixed publicUrl gives the same htu whatever the socket says', async () => {
    const headers = { ...seed.request.headers, host: '127.0.0.1:3000' }
    const result = await runSeed({ method: 'POST', url: '/token', headers, encrypted: false }, { publicUrl: 'https://as.example.com' })
    expectSeedExchange(result)
  })

  it('§6 forwarded headers from an untrusted peer are ignored: the htu is the plain socket\'s', async () => {
    const headers = { ...seed.request.headers, 'x-forwarded-proto': 'https' }
    await runSeed({ method: 'POST', url: '/token', headers, encrypted: false, remoteAddress: '10.0.0.1' })
    expect(stub.calls[0]!.body.htu).toBe('http://as.example.com/token')
    expect(stub.calls[0]!.body).not.toEqual(seed.expected_authlete_token_request)
  })
})
