/**
 * app.ts on Deno (`Deno.serve`) and Bun (`Bun.serve`), each a child process started from the
 * runtime's own binary (test/node_modules/{deno,bun}) on 127.0.0.1, importing `hono` and the
 * built `@authlete-guard/hono` from test/node_modules; the four cases of cases.ts over real HTTP.
 * Deno runs with --allow-net=127.0.0.1 and the five AUTHLETE_* variables only, nothing downloaded.
 */
import { describe, expect, it } from 'vitest'
import { itGuardsRoutesOn } from './cases'
import { runtimes, scratchDir, type RuntimeServer } from './support'

describe.each(runtimes.map((runtime) => [runtime.name, runtime] as const))('%s', (_name, runtime) => {
  const servers: RuntimeServer[] = []

  itGuardsRoutesOn(async (env) => {
    const scratch = await scratchDir()
    try {
      // One after the other: both at once would race on a fresh Deno cache folder.
      servers.push(await runtime.start(env.up, scratch.path))
      servers.push(await runtime.start(env.down, scratch.path))
    } catch (error) {
      await Promise.all(servers.map((server) => server.close()))
      await scratch.remove()
      throw error
    }
    return {
      up: servers[0]!.origin,
      down: servers[1]!.origin,
      async close() {
        await Promise.all(servers.map((server) => server.close()))
        await scratch.remove()
      },
    }
  })

  it('runs the built package (packages/hono/dist), not the sources', () => {
    expect(servers.map((server) => server.resolved)).toEqual(servers.map(() => expect.stringMatching(/\/packages\/hono\/dist\/index\.js$/)))
    expect(servers).toHaveLength(2)
  })
})
