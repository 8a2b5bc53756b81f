// Issue 21, point 1: the resource's identity. `resource`, `resourceMetadata` and `audience` are
// checked at start-up (ERR_INVALID_CONFIG naming the mistake), the metadata URL is RFC 9728 §3.1's
// path insertion, and `guard.resourceMetadata()` is the RFC 9728 document, fresh each call.
import { describe, expect, it } from 'vitest'
import { createGuard, DEFAULT_DPOP_ALGS, protectedResourceMetadataUrl, type GuardOptions, type ProtectedResourceMetadata } from '../src'
import { createGuard as createNodeGuard } from '../src/node'
import { thrown } from './support/thrown'

// Built only: these guards never call Authlete.
const authlete = { baseUrl: 'https://us.authlete.com', serviceId: '715948317', accessToken: 'service-token' }
const guardWith = (options: Partial<GuardOptions>) => createGuard({ authlete, ...options })
const AS = ['https://as.example.com']
/** A guard with `resource` and the smallest metadata it needs. */
const resourceGuard = (resource: string, options: Partial<GuardOptions> = {}) => guardWith({ resource, resourceMetadata: { authorization_servers: AS }, ...options })
const RESOURCE = 'https://api.example.com/mcp'

describe('resource, resourceMetadata and audience are checked at start-up', () => {
  it.each<[string, Partial<GuardOptions>, RegExp]>([
    ['a relative resource', { resource: '/mcp' }, /resource must be an absolute https URL .* not "\/mcp", which is not an absolute URL/],
    ['a resource that is no URL', { resource: 'api.example.com/mcp' }, /resource must be an absolute https URL/],
    ['an empty resource', { resource: '' }, /resource must be an absolute https URL/],
    ['a resource that is not a string', { resource: 42 as never }, /resource must be an absolute https URL/],
    ['a resource of another scheme', { resource: 'ftp://api.example.com/mcp' }, /resource must be an absolute https URL .* not "ftp:/],
    ['a resource with a fragment', { resource: 'https://api.example.com/mcp#tools' }, /has a fragment \(RFC 8707 §2\)/],
    ['a resource with an empty fragment', { resource: 'https://api.example.com/mcp#' }, /has a fragment/],
    ['a resource with a query', { resource: 'https://api.example.com/mcp?tenant=a' }, /has a query/],
    ['a resource with an empty query', { resource: 'https://api.example.com/mcp?' }, /has a query/],
    ['a resource with credentials', { resource: 'https://user:pw@api.example.com/mcp' }, /resource must not carry credentials/],
    ['http on a public host', { resource: 'http://api.example.com/mcp' }, /http is refused for api\.example\.com: tokens would travel in the clear/],
    ['http on a private address', { resource: 'http://10.0.0.5/mcp' }, /http is refused for 10\.0\.0\.5/],
    ['resourceMetadata without resource', { resourceMetadata: { authorization_servers: AS } }, /resourceMetadata needs resource/],
    ['resourceMetadata not an object', { resource: RESOURCE, resourceMetadata: ['https://as.example.com'] as never }, /resourceMetadata must be an object of RFC 9728 members/],
    ['authorization_servers missing', { resource: RESOURCE, resourceMetadata: {} as never }, /resourceMetadata\.authorization_servers must list at least one authorization server/],
    ['authorization_servers empty', { resource: RESOURCE, resourceMetadata: { authorization_servers: [] } }, /authorization_servers must list at least one/],
    ['authorization_servers a string', { resource: RESOURCE, resourceMetadata: { authorization_servers: 'https://as.example.com' as never } }, /authorization_servers must list at least one/],
    ['authorization_servers holding a non-URL', { resource: RESOURCE, resourceMetadata: { authorization_servers: ['as.example.com'] } }, /authorization_servers must hold absolute http\(s\) URLs; not "as\.example\.com"/],
    ['authorization_servers holding a number', { resource: RESOURCE, resourceMetadata: { authorization_servers: [1] as never } }, /authorization_servers must be an array of non-empty strings/],
    ['scopes_supported not an array', { resource: RESOURCE, resourceMetadata: { authorization_servers: AS, scopes_supported: 'read' as never } }, /resourceMetadata\.scopes_supported must be an array of non-empty strings/],
    ['scopes_supported holding a number', { resource: RESOURCE, resourceMetadata: { authorization_servers: AS, scopes_supported: ['read', 2] as never } }, /scopes_supported must be an array of non-empty strings/],
    ['bearer_methods_supported not an array', { resource: RESOURCE, resourceMetadata: { authorization_servers: AS, bearer_methods_supported: 'header' as never } }, /bearer_methods_supported must be an array/],
    ['bearer_methods_supported holding a number', { resource: RESOURCE, resourceMetadata: { authorization_servers: AS, bearer_methods_supported: [1] as never } }, /bearer_methods_supported must be an array of non-empty strings/],
    ['an unknown bearer method', { resource: RESOURCE, resourceMetadata: { authorization_servers: AS, bearer_methods_supported: ['header', 'cookie'] as never } }, /bearer_methods_supported may only hold 'header'.*; not "cookie"/],
    ['the bearer method body (the guard reads the header only)', { resource: RESOURCE, resourceMetadata: { authorization_servers: AS, bearer_methods_supported: ['header', 'body'] as never } }, /^resourceMetadata\.bearer_methods_supported may only hold 'header': the guard reads access tokens from the Authorization header only \(RFC 6750 §2\.1\), and refuses them in a form body or the query; not "body"\.$/],
    ['the bearer method query', { resource: RESOURCE, resourceMetadata: { authorization_servers: AS, bearer_methods_supported: ['query'] as never } }, /may only hold 'header'.*; not "query"/],
    ['resource without resourceMetadata', { resource: RESOURCE }, /^resource needs resourceMetadata with authorization_servers: every 401 points clients to the resource's metadata \(RFC 9728\), .* resourceMetadata: \{ authorization_servers: \['https:\/\/as\.example\.com'\] \} \}\)\.$/],
    ['a resource with a dot segment (used as written)', { resource: 'https://api.example.com/v1/../mcp' }, /resource is used exactly as written \(RFC 9728 §3\.3\), so write it as a URL reads: "https:\/\/api\.example\.com\/v1\/\.\.\/mcp" reads as "https:\/\/api\.example\.com\/mcp"/],
    ['a resource with a space', { resource: 'https://api.example.com/m cp' }, /used exactly as written/],
    ['a resource with a backslash', { resource: 'https://api.example.com\\mcp' }, /used exactly as written/],
    ['a resource with surrounding spaces', { resource: ' https://api.example.com/mcp' }, /used exactly as written/],
    ['a resource with a tab in its host', { resource: 'https://api.exa\tmple.com/mcp' }, /used exactly as written/],
    ['a resource with non-ASCII', { resource: 'https://api.example.com/caf\u00e9' }, /used exactly as written/],
    ['a resource with an empty userinfo', { resource: 'https://@api.example.com/mcp' }, /resource must not carry credentials/],
    ['dpop_signing_alg_values_supported given by the app', { resource: RESOURCE, resourceMetadata: { authorization_servers: AS, dpop_signing_alg_values_supported: ['ES256'] } as never }, /dpop_signing_alg_values_supported is filled by the guard from dpopAlgs: set dpopAlgs instead/],
    ['resource inside resourceMetadata', { resource: RESOURCE, resourceMetadata: { authorization_servers: AS, resource: RESOURCE } as never }, /resourceMetadata\.resource is the guard's resource option/],
    ['a camelCase member', { resource: RESOURCE, resourceMetadata: { authorizationServers: AS } as never }, /Unknown resourceMetadata option "authorizationServers"\. Did you mean authorization_servers\?/],
    ['a URL member that is no URL', { resource: RESOURCE, resourceMetadata: { authorization_servers: AS, resource_documentation: 'docs' } }, /resourceMetadata\.resource_documentation must be an absolute http\(s\) URL/],
    ['a boolean member that is a string', { resource: RESOURCE, resourceMetadata: { authorization_servers: AS, dpop_bound_access_tokens_required: 'yes' as never } }, /dpop_bound_access_tokens_required must be a boolean/],
    ['audience neither strict nor any', { resource: RESOURCE, audience: 'loose' as never }, /audience must be 'strict' or 'any'; not "loose"/],
    ['audience without resource', { audience: 'strict' }, /audience needs resource/],
    ['resurce (typo)', { resurce: RESOURCE } as never, /Unknown createGuard option "resurce"\. Did you mean resource\?/],
  ])('%s', (_name, options, message) => {
    const error = thrown(() => guardWith(options))
    expect(error.code).toBe('ERR_INVALID_CONFIG')
    expect(error.message).toMatch(message)
  })

  it('the Node guard checks them the same way', () => {
    expect(thrown(() => createNodeGuard({ authlete, resource: 'http://api.example.com/mcp' })).code).toBe('ERR_INVALID_CONFIG')
    expect(thrown(() => createNodeGuard({ authlete, resource: RESOURCE })).message).toMatch(/^resource needs resourceMetadata/)
  })

  it.each(['http://localhost:3000/mcp', 'http://127.0.0.1:8080', 'http://[::1]:3000/mcp', 'https://api.example.com'])('accepts %s', (resource) => {
    expect(resourceGuard(resource).resourceMetadataUrl).toMatch(/\/\.well-known\/oauth-protected-resource/)
  })

  it('accepts every RFC 9728 member and audience "any"', () => {
    const full = {
      authorization_servers: AS, scopes_supported: ['mcp:tools'], bearer_methods_supported: ['header'] as const, resource_name: 'Tools',
      resource_documentation: 'https://docs.example.com', resource_policy_uri: 'https://example.com/policy', resource_tos_uri: 'https://example.com/tos',
      jwks_uri: 'https://api.example.com/jwks', resource_signing_alg_values_supported: ['ES256'], dpop_bound_access_tokens_required: true,
      tls_client_certificate_bound_access_tokens: false, authorization_details_types_supported: ['payment'], signed_metadata: 'eyJ.eyJ.sig',
    }
    expect(guardWith({ resource: RESOURCE, resourceMetadata: full, audience: 'any' }).resourceMetadata()).toMatchObject(full)
  })
})

describe('the metadata URL: RFC 9728 §3.1 path insertion into the identifier as written', () => {
  it.each([
    ['a path', 'https://api.example.com/mcp', 'https://api.example.com/.well-known/oauth-protected-resource/mcp'],
    ['the root, without a slash', 'https://api.example.com', 'https://api.example.com/.well-known/oauth-protected-resource'],
    ['the root, with a slash (the terminating slash after the host removed)', 'https://api.example.com/', 'https://api.example.com/.well-known/oauth-protected-resource'],
    ['a trailing slash after a path (kept)', 'https://api.example.com/mcp/', 'https://api.example.com/.well-known/oauth-protected-resource/mcp/'],
    ['a deeper path', 'https://api.example.com/v1/mcp', 'https://api.example.com/.well-known/oauth-protected-resource/v1/mcp'],
    ['a port', 'https://api.example.com:8443/mcp', 'https://api.example.com:8443/.well-known/oauth-protected-resource/mcp'],
    ['the default port (kept)', 'https://api.example.com:443/mcp', 'https://api.example.com:443/.well-known/oauth-protected-resource/mcp'],
    ['an upper-case scheme and host (kept)', 'HTTPS://API.Example.COM/MCP', 'HTTPS://API.Example.COM/.well-known/oauth-protected-resource/MCP'],
    ['percent-encoding (kept)', 'https://api.example.com/a%2Fb', 'https://api.example.com/.well-known/oauth-protected-resource/a%2Fb'],
    ['loopback http with a port', 'http://127.0.0.1:3000/mcp', 'http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp'],
    ['IPv6 loopback', 'http://[::1]:3000/', 'http://[::1]:3000/.well-known/oauth-protected-resource'],
  ])('%s: %s', (_name, resource, url) => {
    expect(protectedResourceMetadataUrl(resource)).toBe(url)
    expect(resourceGuard(resource).resourceMetadataUrl).toBe(url)
  })

  it('is undefined on a guard without resource', () => {
    expect(guardWith({}).resourceMetadataUrl).toBeUndefined()
  })

  it('protectedResourceMetadataUrl refuses what createGuard refuses, with the same error', () => {
    expect(thrown(() => protectedResourceMetadataUrl('https://api.example.com/mcp#x'))).toMatchObject({ code: 'ERR_INVALID_CONFIG', message: expect.stringMatching(/has a fragment/) })
    expect(thrown(() => protectedResourceMetadataUrl('/mcp')).code).toBe('ERR_INVALID_CONFIG')
  })
})

describe('guard.resourceMetadata(): the RFC 9728 document', () => {
  it('holds resource (as written, RFC 9728 §3.3), the members, bearer_methods_supported ["header"] and dpopAlgs as dpop_signing_alg_values_supported', () => {
    const guard = guardWith({ resource: 'https://API.example.com/mcp/', resourceMetadata: { authorization_servers: AS, scopes_supported: ['mcp:tools', 'mcp:admin'], resource_name: 'Tools' } })
    const document = guard.resourceMetadata()
    expect(guard.resourceMetadataUrl).toBe('https://API.example.com/.well-known/oauth-protected-resource/mcp/')
    expect(document).toEqual({
      resource: 'https://API.example.com/mcp/',
      authorization_servers: ['https://as.example.com'],
      scopes_supported: ['mcp:tools', 'mcp:admin'],
      resource_name: 'Tools',
      bearer_methods_supported: ['header'],
      dpop_signing_alg_values_supported: [...DEFAULT_DPOP_ALGS],
    })
    expect(Object.keys(document).slice(0, 2)).toEqual(['resource', 'authorization_servers'])
    expect(JSON.parse(JSON.stringify(document))).toEqual(document)
  })

  it('takes dpop_signing_alg_values_supported from dpopAlgs and keeps given bearer methods', () => {
    const guard = guardWith({ resource: RESOURCE, dpopAlgs: ['ES256', 'EdDSA'], resourceMetadata: { authorization_servers: AS, bearer_methods_supported: ['header'], dpop_bound_access_tokens_required: true } })
    expect(guard.resourceMetadata()).toMatchObject({ bearer_methods_supported: ['header'], dpop_signing_alg_values_supported: ['ES256', 'EdDSA'], dpop_bound_access_tokens_required: true })
    expect(guardWith({ resource: RESOURCE, resourceMetadata: { authorization_servers: AS, bearer_methods_supported: [] } }).resourceMetadata().bearer_methods_supported).toEqual([])
  })

  it('is a fresh plain object each call, sharing no array with the options or an earlier call', () => {
    const options = { authorization_servers: ['https://as.example.com'], scopes_supported: ['read'] }
    const guard = guardWith({ resource: RESOURCE, resourceMetadata: options })
    const first: ProtectedResourceMetadata = guard.resourceMetadata()
    first.authorization_servers.push('https://evil.example')
    first.dpop_signing_alg_values_supported.length = 0
    first.resource = 'https://evil.example'
    options.scopes_supported.push('admin')
    const second = guard.resourceMetadata()
    expect(second).not.toBe(first)
    expect(Object.getPrototypeOf(second)).toBe(Object.prototype)
    expect(second).toMatchObject({ resource: RESOURCE, authorization_servers: AS, scopes_supported: ['read'], dpop_signing_alg_values_supported: [...DEFAULT_DPOP_ALGS] })
  })

  it('throws ERR_INVALID_CONFIG on a guard without resource (with resource, createGuard requires resourceMetadata)', () => {
    expect(thrown(() => guardWith({}).resourceMetadata())).toMatchObject({ code: 'ERR_INVALID_CONFIG', message: expect.stringMatching(/needs the resource option/) })
  })

  it('guard.options shows the three options as given', () => {
    const guard = guardWith({ resource: 'https://API.example.com/mcp', resourceMetadata: { authorization_servers: AS }, audience: 'any' })
    expect(guard.options).toMatchObject({ resource: 'https://API.example.com/mcp', resourceMetadata: { authorization_servers: AS }, audience: 'any' })
  })
})
