/**
 * What an edge/Workers bundler pulls in from the published entries (resolved through test/
 * node_modules and the packages' exports maps, so dist): esbuild, platform neutral, mainFields
 * module then main, nothing external but `hono`. The root of `@authlete-guard/core` and
 * `@authlete-guard/hono` must bundle without a Node built-in or undici; `@authlete-guard/core/node`
 * must pull both in, which shows the check can fail.
 */
import { describe, expect, it } from 'vitest'
import { bundle, TIMEOUT } from './support'

const undiciFiles = (inputs: string[]) => inputs.filter((input) => /(^|\/)undici(@|\/)/.test(input))

describe('bundling for the edge (esbuild, platform neutral)', () => {
  it.each([
    { entry: '@authlete-guard/core', dist: 'packages/core/dist/index.js', external: [] },
    { entry: '@authlete-guard/hono', dist: 'packages/hono/dist/index.js', external: ['hono'] },
  ])('$entry bundles with no node: import and no undici', async ({ entry, dist, external }) => {
    const { inputs, nodeImports } = await bundle({ contents: `export * from '${entry}'` }, { external })
    expect(inputs).toContain(dist)
    expect(inputs).toContain('packages/core/dist/index.js')
    expect(nodeImports).toEqual([])
    expect(undiciFiles(inputs)).toEqual([])
  }, TIMEOUT.test)

  it('control: @authlete-guard/core/node does pull undici and Node built-ins in', async () => {
    const { inputs, nodeImports } = await bundle({ contents: `export * from '@authlete-guard/core/node'` })
    expect(inputs).toContain('packages/core/dist/node.js')
    expect(undiciFiles(inputs).length).toBeGreaterThan(0)
    expect(nodeImports.length).toBeGreaterThan(0)
  }, TIMEOUT.test)
})
