// Issue 21, point 2: the adapter kit's metadata endpoint (kit/resource-metadata.ts), what every
// adapter's resourceMetadata(guard) is built on. The answers on the wire, per framework, are
// test/adapter-kit/resource-metadata.test.ts; here what no framework shows: the document
// serialised once per guard, the factory's failures, the options and request forms.
import { afterAll, describe, expect, it, vi } from 'vitest'
import {
  createGuard,
  DEFAULT_RESOURCE_METADATA_MAX_AGE_SECONDS,
  resourceMetadataFetchResponder,
  resourceMetadataPaths,
  resourceMetadataResponder,
  type Guard,
  type GuardOptions,
} from '../src/index'

const AUTHLETE = { baseUrl: 'http://127.0.0.1:9', serviceId: '1', accessToken: 'kit-test' }
const METADATA = { authorization_servers: ['https://as.example.com'] }
const WHERE = 'kit-test: resourceMetadata(guard)'
const guards: Guard[] = []
function newGuard(options: Partial<GuardOptions> = { resource: 'https://api.example.com/mcp', resourceMetadata: METADATA }): Guard {
  const guard = createGuard({ authlete: AUTHLETE, ...options } as GuardOptions)
  guards.push(guard)
  return guard
}
afterAll(() => Promise.all(guards.map((guard) => guard.close())))

const configError = (message: RegExp) => expect.objectContaining({ code: 'ERR_INVALID_CONFIG', message: expect.stringMatching(message) })

describe('resourceMetadataResponder', () => {
  it('serialises the document once per guard, whatever the number of responders and requests', () => {
    const guard = newGuard()
    let calls = 0
    const counted: Guard = { ...guard, resourceMetadata: () => (calls++, guard.resourceMetadata()) }
    const first = resourceMetadataResponder(counted, WHERE)
    const second = resourceMetadataResponder(counted, WHERE, { maxAgeSeconds: 5 })
    const bodies = [first, second, first].map((respond) => respond({ method: 'GET', url: '/.well-known/oauth-protected-resource/mcp' })!.body)
    expect(calls).toBe(1)
    expect(bodies.map((body) => JSON.parse(body))).toEqual([guard.resourceMetadata(), guard.resourceMetadata(), guard.resourceMetadata()])
  })

  it('reads the path of an origin-form or absolute-form target, query and all; any method case', () => {
    const respond = resourceMetadataResponder(newGuard(), WHERE)
    expect(respond({ method: 'get', url: 'https://api.example.com/.well-known/oauth-protected-resource/mcp?x=1' })?.status).toBe(200)
    expect(respond({ method: 'GET', url: '/.well-known/oauth-protected-resource?x=1' })?.status).toBe(200)
    expect(respond({ method: 'GET', url: '/.well-known/oauth-protected-resource/mc' })).toBeUndefined()
    expect(respond({ method: 'GET', url: '/.well-known/oauth-protected-resourcex' })).toBeUndefined()
    expect(respond({ method: 'GET', url: '/mcp' })).toBeUndefined()
  })

  it('a resource without a path has one metadata path', () => {
    expect(resourceMetadataPaths(newGuard({ resource: 'https://api.example.com', resourceMetadata: METADATA }), WHERE)).toEqual(['/.well-known/oauth-protected-resource'])
    expect(resourceMetadataPaths(newGuard(), WHERE)).toEqual(['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'])
  })

  it('checks its arguments at the call: the guard, its resource and document, maxAgeSeconds', () => {
    expect(() => resourceMetadataResponder(undefined as unknown as Guard, WHERE)).toThrow(configError(/^kit-test: resourceMetadata\(guard\) needs a guard/))
    expect(() => resourceMetadataResponder(newGuard({}), WHERE)).toThrow(configError(/needs a guard created with resource and resourceMetadata/))
    // A Guard of the app's own making whose document throws: named, at the call.
    const noDocument: Guard = { ...newGuard(), resourceMetadata: () => newGuard({}).resourceMetadata() }
    expect(() => resourceMetadataPaths(noDocument, WHERE)).toThrow(configError(/^kit-test: resourceMetadata\(guard\): guard\.resourceMetadata\(\) needs the resource option/))
    for (const maxAgeSeconds of [-1, 1.5, Number.NaN, '60' as unknown as number]) {
      expect(() => resourceMetadataResponder(newGuard(), WHERE, { maxAgeSeconds })).toThrow(configError(/maxAgeSeconds must be an integer/))
    }
    const zero = resourceMetadataResponder(newGuard(), WHERE, { maxAgeSeconds: 0 })
    expect(zero({ method: 'GET', url: '/.well-known/oauth-protected-resource' })?.headers['Cache-Control']).toBe('public, max-age=0')
    expect(DEFAULT_RESOURCE_METADATA_MAX_AGE_SECONDS).toBe(3600)
  })

  it('a factory: called on the first metadata request only; a throw is a 500, reported, and tried again next time', () => {
    const guard = newGuard()
    let calls = 0
    let fail = true
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const respond = resourceMetadataResponder(() => {
        calls++
        if (fail) throw new Error('no environment yet')
        return guard
      }, WHERE)
      expect(respond({ method: 'GET', url: '/api/items' })).toBeUndefined()
      expect(calls).toBe(0)
      const failed = respond({ method: 'GET', url: '/.well-known/oauth-protected-resource' })!
      expect([failed.status, failed.headers['Cache-Control'], JSON.parse(failed.body).error]).toEqual([500, 'no-store', 'server_error'])
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/resource metadata denied with 500: ERR_CALLBACK_FAILED: kit-test: resourceMetadata\(guard\): the guard factory threw/))
      fail = false
      expect(respond({ method: 'GET', url: '/.well-known/oauth-protected-resource' })?.status).toBe(200)
      expect(calls).toBe(2)
    } finally {
      warn.mockRestore()
    }
  })
})

describe('resourceMetadataFetchResponder', () => {
  it('answers a Request with a Response: no body for HEAD and 204, undefined for other paths', async () => {
    const guard = newGuard()
    const respond = resourceMetadataFetchResponder(guard, WHERE)
    const get = respond(new Request('https://api.example.com/.well-known/oauth-protected-resource/mcp'))!
    expect(await get.json()).toEqual(guard.resourceMetadata())
    const head = respond(new Request('https://api.example.com/.well-known/oauth-protected-resource/mcp', { method: 'HEAD' }))!
    expect([head.status, head.body, head.headers.get('content-length')]).toEqual([200, null, get.headers.get('content-length')])
    const preflight = respond(new Request('https://api.example.com/.well-known/oauth-protected-resource', { method: 'OPTIONS' }))!
    expect([preflight.status, preflight.body]).toEqual([204, null])
    expect(respond(new Request('https://api.example.com/mcp'))).toBeUndefined()
  })
})
