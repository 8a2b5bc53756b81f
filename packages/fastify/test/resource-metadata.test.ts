/**
 * Fastify-specific behaviour of `resourceMetadata(guard)` (issue 21, point 2). What every adapter
 * serves the same way is test/adapter-kit/resource-metadata.test.ts; here: the routes are the
 * root's whatever the registration's prefix, and they live next to the `authleteGuard` plugin and
 * the app's own GET routes (Fastify's automatic HEAD routes), real HTTP on 127.0.0.1.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import authleteGuard, { createGuard, resourceMetadata, type Guard } from '../src/index'

// Constructed only: serving the metadata never calls Authlete.
const guard: Guard = createGuard({
  authlete: { baseUrl: 'http://127.0.0.1:9', serviceId: '1', accessToken: 'fastify-metadata-test' },
  resource: 'https://api.example.com/mcp',
  resourceMetadata: { authorization_servers: ['https://as.example.com'] },
})
let app: FastifyInstance | undefined

afterEach(async () => {
  await app?.close()
  app = undefined
})
afterAll(() => guard.close())

async function listen(instance: FastifyInstance): Promise<string> {
  app = instance
  await instance.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(instance.server.address() as { port: number }).port}`
}

describe('resourceMetadata(guard) on Fastify', () => {
  test('serves at the origin\'s well-known paths even when registered with a prefix', async () => {
    const instance = Fastify()
    await instance.register(resourceMetadata(guard), { prefix: '/v1' })
    const url = await listen(instance)
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await fetch(url + path)
      expect(res.status, path).toBe(200)
      expect(await res.json()).toEqual(guard.resourceMetadata())
    }
    expect((await fetch(`${url}/v1/.well-known/oauth-protected-resource`)).status).toBe(404)
  })

  test('next to the authleteGuard plugin and the app\'s GET routes (and their automatic HEAD routes)', async () => {
    const instance = Fastify({ exposeHeadRoutes: true })
    await instance.register(authleteGuard, { guard })
    await instance.register(resourceMetadata(guard))
    instance.get('/open', async () => 'open')
    const url = await listen(instance)
    expect((await fetch(`${url}/.well-known/oauth-protected-resource/mcp`, { method: 'HEAD' })).status).toBe(200)
    const head = await fetch(`${url}/open`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('access-control-allow-origin')).toBeNull()
  })

  test('a trailing slash Fastify routes to the same route (ignoreTrailingSlash) is not the metadata: 404', async () => {
    const instance = Fastify({ routerOptions: { ignoreTrailingSlash: true } })
    await instance.register(resourceMetadata(guard))
    const url = await listen(instance)
    expect((await fetch(`${url}/.well-known/oauth-protected-resource/mcp`)).status).toBe(200)
    expect((await fetch(`${url}/.well-known/oauth-protected-resource/mcp/`)).status).toBe(404)
  })
})
