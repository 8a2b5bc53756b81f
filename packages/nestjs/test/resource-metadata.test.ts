// Issue 21, point 2, the Nest side: `resourceMetadata` is a module option, so it works with the
// guard of forRoot and with the one forRootAsync's factory makes. (What every adapter serves, the
// same way, is test/adapter-kit/resource-metadata.test.ts.)
import { describe, expect, it } from 'vitest'
import { useAdapterTestbed } from '../../../test/support/adapter-testbed'
import { AuthleteGuardModule, createGuard, isAuthleteGuardError, type Guard } from '../src/index'
import { failure, MeController, PLATFORMS, useNestApps } from './nest-app'

const bed = useAdapterTestbed()
const nest = useNestApps()

const RESOURCE = 'https://api.example.com/mcp'
const METADATA = { authorization_servers: ['https://as.example.com'] }

/** A guard on the file's emulator; `closed` tells whether `close()` was called. */
function guardWith(options: { resource?: string; resourceMetadata?: typeof METADATA }): Guard & { closed: () => boolean } {
  const emu = bed.emu()
  const guard = createGuard({ authlete: { baseUrl: emu.url, serviceId: emu.serviceId, accessToken: emu.accessToken }, ...options })
  let closed = false
  return {
    ...guard,
    resourceMetadata: () => guard.resourceMetadata(),
    close: async () => {
      closed = true
      await guard.close()
    },
    closed: () => closed,
  }
}

describe.each(PLATFORMS)('AuthleteGuardModule resourceMetadata on %s', (platform) => {
  it('forRootAsync: the factory\'s { guard, resourceMetadata: true } serves the metadata; @Protect routes work as before', async () => {
    const guard = guardWith({ resource: RESOURCE, resourceMetadata: METADATA })
    const root = { module: class AsyncMetadataApp {}, imports: [AuthleteGuardModule.forRootAsync({ useFactory: async () => ({ guard, resourceMetadata: true }) })], controllers: [MeController] }
    const url = await nest.start(root, platform)
    const res = await fetch(`${url}/.well-known/oauth-protected-resource/mcp`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(guard.resourceMetadata())
    const { accessToken } = await bed.emu().createToken({ subject: 'alice', scopes: ['profile'], resources: [RESOURCE] })
    const me = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${accessToken}` } })
    expect([me.status, await me.json()]).toEqual([200, { sub: 'alice' }])
    expect((await fetch(`${url}/me`)).status).toBe(401)
  })

  it('forRootAsync: a factory guard without resource fails start-up with ERR_INVALID_CONFIG, and is closed', async () => {
    const guard = guardWith({})
    const root = { module: class AsyncNoResource {}, imports: [AuthleteGuardModule.forRootAsync({ useFactory: () => ({ guard, resourceMetadata: true }) })] }
    const error = await failure(() => nest.start(root, platform))
    expect(isAuthleteGuardError(error) && error.code, String(error)).toBe('ERR_INVALID_CONFIG')
    expect((error as Error).message).toMatch(/AuthleteGuardModule\.forRootAsync\(\{ resourceMetadata \}\) needs a guard created with resource/)
    expect(guard.closed()).toBe(true)
  })

  it('serves at the origin\'s well-known paths whatever the global prefix (Nest mounts its middleware under it)', async () => {
    const guard = guardWith({ resource: RESOURCE, resourceMetadata: METADATA })
    const root = { module: class PrefixedApp {}, imports: [AuthleteGuardModule.forRoot({ guard, resourceMetadata: true })], controllers: [MeController] }
    const url = await nest.start(root, platform, { setup: (app) => void app.setGlobalPrefix('api') })
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const res = await fetch(url + path)
      expect(res.status, path).toBe(200)
      expect(await res.json()).toEqual(guard.resourceMetadata())
    }
    expect((await fetch(`${url}/api/me`)).status).toBe(401)
  })

  it('without the option nothing is served: the well-known path is Nest\'s 404', async () => {
    const guard = guardWith({ resource: RESOURCE, resourceMetadata: METADATA })
    const root = { module: class NoMetadataApp {}, imports: [AuthleteGuardModule.forRoot({ guard })], controllers: [MeController] }
    const url = await nest.start(root, platform)
    expect((await fetch(`${url}/.well-known/oauth-protected-resource`)).status).toBe(404)
  })
})
