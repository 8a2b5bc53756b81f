// Issue 21, point 2: every adapter serves the guard's OAuth 2.0 Protected Resource Metadata
// (RFC 9728) the same way, at the path-inserted URL (§3.1) and at /.well-known/oauth-protected-resource:
// GET and HEAD as cacheable JSON with CORS `*`, OPTIONS as a preflight (the MCP SDK's client sends
// MCP-Protocol-Version), 405 for other methods, every other request left to the app. One table,
// run against a real app of each framework on 127.0.0.1 (drivers in resource-metadata-drivers.ts).
import { afterAll, describe, expect, it } from 'vitest'
import { createGuard, isAuthleteGuardError, type Guard, type GuardErrorEvent, type GuardOptions } from '@authlete-guard/core'
import { drivers, FACTORY_DRIVERS, type MetadataApp } from './resource-metadata-drivers'

// Constructed only: serving the metadata never calls Authlete, so the base URL is never reached.
const AUTHLETE = { baseUrl: 'http://127.0.0.1:9', serviceId: '1', accessToken: 'resource-metadata-test' }
const RESOURCE = 'https://api.example.com/mcp'
const PATH_INSERTED = '/.well-known/oauth-protected-resource/mcp'
const ROOT = '/.well-known/oauth-protected-resource'
const METADATA = { authorization_servers: ['https://as.example.com'], scopes_supported: ['mcp:tools'], resource_name: 'Example MCP server' }

const guards: Guard[] = []
const apps: MetadataApp[] = []
function newGuard(options: Partial<GuardOptions> = { resource: RESOURCE, resourceMetadata: METADATA }): Guard {
  const guard = createGuard({ authlete: AUTHLETE, ...options } as GuardOptions)
  guards.push(guard)
  return guard
}
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()))
  await Promise.all(guards.map((guard) => guard.close()))
})

/** The code of what `promise` rejects with, or 'none'. */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return isAuthleteGuardError(error) ? `${error.code}: ${error.message}` : `other: ${String(error)}`
  }
  return 'none'
}

describe.each(drivers.map((driver) => [driver.name, driver] as const))('%s: resourceMetadata(guard)', (_name, driver) => {
  const guard = newGuard()
  let app: Promise<MetadataApp> | undefined
  const url = async (path: string) => {
    app ??= driver.start(guard).then((started) => (apps.push(started), started))
    return (await app).url + path
  }

  it.each([PATH_INSERTED, ROOT])('GET %s -> 200, the guard\'s document as JSON, cacheable, CORS *', async (path) => {
    const res = await fetch(await url(path))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json\b/)
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    const body = await res.text()
    expect(JSON.parse(body)).toEqual(guard.resourceMetadata())
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(body)))
  })

  it('GET with a query (the SDK copies the resource URL\'s query onto the metadata URL) -> 200', async () => {
    const res = await fetch(await url(`${PATH_INSERTED}?tenant=a`))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(guard.resourceMetadata())
  })

  it.each([PATH_INSERTED, ROOT])('HEAD %s -> 200, the GET\'s headers, no body', async (path) => {
    const get = await fetch(await url(path))
    const res = await fetch(await url(path), { method: 'HEAD' })
    expect(res.status).toBe(200)
    for (const name of ['content-type', 'cache-control', 'access-control-allow-origin', 'content-length']) {
      expect(res.headers.get(name), name).toBe(get.headers.get(name))
    }
    expect(await res.text()).toBe('')
  })

  it.each([PATH_INSERTED, ROOT])('OPTIONS %s (a browser\'s preflight) -> 204 with the CORS headers the MCP client needs', async (path) => {
    const res = await fetch(await url(path), {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.org', 'access-control-request-method': 'GET', 'access-control-request-headers': 'mcp-protocol-version' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS')
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase().split(/\s*,\s*/)).toContain('mcp-protocol-version')
    expect(res.headers.get('access-control-max-age')).toBe('86400')
    expect(await res.text()).toBe('')
  })

  it.each(['POST', 'PUT', 'DELETE'])('%s -> 405 with Allow', async (method) => {
    const res = await fetch(await url(PATH_INSERTED), { method })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
  })

  it('leaves every other request to the app: its own route runs, another well-known path is not served', async () => {
    expect((await fetch(await url(ROOT))).status).toBe(200) // the same app serves the metadata
    const hello = await fetch(await url('/hello'))
    expect([hello.status, await hello.text()]).toEqual([200, `hello from ${driver.name.replace(/-.*|\d$/, '')}`])
    const other = await fetch(await url(`${ROOT}/other`))
    expect(other.status).toBe(404)
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('maxAgeSeconds sets the Cache-Control max-age', async () => {
    const started = await driver.start(guard, { maxAgeSeconds: 60 })
    apps.push(started)
    const res = await fetch(started.url + ROOT)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('public, max-age=60')
  })

  it('refuses at start-up (ERR_INVALID_CONFIG) a guard without resource (createGuard itself refuses one without resourceMetadata)', async () => {
    expect(await rejection(driver.setUp(newGuard({})))).toMatch(/^ERR_INVALID_CONFIG: .*resourceMetadata.* needs a guard created with resource and resourceMetadata/)
    expect(await rejection((async () => driver.setUp(newGuard({ resource: RESOURCE })))())).toMatch(/^ERR_INVALID_CONFIG: resource needs resourceMetadata with authorization_servers/)
    expect(await rejection(driver.setUp(newGuard()))).toBe('none')
  })
})

describe.each(drivers.filter((driver) => FACTORY_DRIVERS.includes(driver.name)).map((driver) => [driver.name, driver] as const))('%s: resourceMetadata(guardFactory)', (_name, driver) => {
  it('calls the factory on the first metadata request, not before, and serves its guard\'s document', async () => {
    let calls = 0
    const guard = newGuard()
    const app = await driver.start(() => (calls++, guard))
    apps.push(app)
    expect((await fetch(`${app.url}/hello`)).status).toBe(200)
    expect(calls).toBe(0)
    const res = await fetch(app.url + PATH_INSERTED)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(guard.resourceMetadata())
    expect(calls).toBe(1)
  })

  it('fails closed: 500 for the metadata when the factory\'s guard cannot serve it, the cause to its onError', async () => {
    const events: GuardErrorEvent[] = []
    const guard = newGuard({ onError: (event) => void events.push(event) })
    const app = await driver.start(() => guard)
    apps.push(app)
    const res = await fetch(app.url + ROOT)
    expect(res.status).toBe(500)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toMatchObject({ error: 'server_error' })
    expect(events).toEqual([expect.objectContaining({ operation: 'resource metadata', method: 'GET', path: ROOT, error: expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }) })])
    expect((await fetch(`${app.url}/hello`)).status).toBe(200)
  })
})
